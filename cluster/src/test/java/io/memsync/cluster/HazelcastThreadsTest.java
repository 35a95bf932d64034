package io.memsync.cluster;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.spi.impl.executionservice.ExecutionService;
import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.FreePorts;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link HazelcastThreads}: after the trim, Hazelcast's metrics scheduler runs on one thread, and its cached pool still
 * runs what it is given but keeps no idle thread long (before the trim: two metrics threads for ever, three cached
 * threads for ever and any more for 60 s).
 */
class HazelcastThreadsTest {

    @Test
    void idleCachedThreadsEndAndMetricsRunOnOneThreadAndBothStillWork() throws Exception {
        int port = FreePorts.pick();
        String cluster = "hz-threads-" + ProcessHandle.current().pid();
        NodeConfig config = NodeConfig.loopback("t", cluster, port, List.of("127.0.0.1:" + port), Fixtures.secret());
        HazelcastInstance hazelcast = Hazelcast.newHazelcastInstance(Membership.hazelcastConfig(config));
        try {
            String prefix = "hz.memsync-t.";
            assertEquals(2, threads(prefix + "MetricsRegistry.thread"));
            assertTrue(HazelcastThreads.trim(hazelcast), "the trim found no pools (see the DEBUG line)");
            awaitThreads(prefix + "MetricsRegistry.thread", 1);

            // A burst of eight tasks at once on the cached pool (an executor of its kind) takes eight threads, and
            // they end once idle: within the idle time and a margin at most four are left, however many of
            // Hazelcast's own periodic tasks keep busy (before the trim, threads beyond three stayed 60 s).
            ExecutionService executions = ((HazelcastInstanceProxy) hazelcast).getOriginal().node.getNodeEngine()
                    .getExecutionService();
            executions.register("memsync-test", 8, 64, com.hazelcast.internal.util.executor.ExecutorType.CACHED);
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(8);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            java.util.Set<String> ranOn = java.util.concurrent.ConcurrentHashMap.newKeySet();
            for (int i = 0; i < 8; i++) {
                executions.execute("memsync-test", () -> {
                    ranOn.add(Thread.currentThread().getName());
                    started.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            assertTrue(started.await(20, TimeUnit.SECONDS), "the burst did not run on eight threads at once");
            assertEquals(8, ranOn.size(), ranOn.toString());
            assertTrue(ranOn.stream().allMatch(n -> n.startsWith(prefix + "cached.thread")), ranOn.toString());
            assertTrue(threads(prefix + "cached.thread") >= 8);
            release.countDown();
            awaitThreads(prefix + "cached.thread", 4);
            // And the map the directory lives in works as before.
            hazelcast.getMap(Membership.DIRECTORY).put("k", new byte[]{1});
            assertEquals(1, ((byte[]) hazelcast.getMap(Membership.DIRECTORY).get("k"))[0]);
        } finally {
            hazelcast.shutdown();
        }
    }

    /**
     * Two members sized for memsync run no response thread (responses are handled on the IO thread that reads them)
     * and no priority generic thread (the generic thread takes priority operations first), and still answer each
     * other: the members join (heartbeats and the join are priority operations) and a map entry owned by one is
     * read from the other (its response crosses the network). Before: response-0 and priority-generic-operation
     * threads in each member.
     */
    @Test
    void noResponseOrPriorityThreadsAndRemoteOperationsStillAnswer() throws Exception {
        int a = FreePorts.pick();
        int b = FreePorts.pick();
        String cluster = "hz-ops-" + ProcessHandle.current().pid();
        List<String> members = List.of("127.0.0.1:" + a, "127.0.0.1:" + b);
        HazelcastInstance first = Hazelcast.newHazelcastInstance(Membership.hazelcastConfig(
                NodeConfig.loopback("ops-a", cluster, a, members, Fixtures.secret())));
        HazelcastInstance second = null;
        try {
            second = Hazelcast.newHazelcastInstance(Membership.hazelcastConfig(
                    NodeConfig.loopback("ops-b", cluster, b, members, Fixtures.secret())));
            assertEquals(2, first.getCluster().getMembers().size());
            for (String node : List.of("ops-a", "ops-b")) {
                String prefix = "hz.memsync-" + node + ".";
                assertEquals(0, threads(prefix + "response-"), node);
                assertEquals(0, threads(prefix + "priority-generic-operation"), node);
                assertEquals(1, threads(prefix + "generic-operation"), node);
            }
            var mapA = first.<String, byte[]>getMap(Membership.DIRECTORY);
            var mapB = second.<String, byte[]>getMap(Membership.DIRECTORY);
            int remote = 0;
            for (int i = 0; i < 64; i++) {
                String key = "k" + i;
                mapA.put(key, new byte[]{(byte) i});
                assertEquals((byte) i, mapB.get(key)[0], key);
                if (!first.getPartitionService().getPartition(key).getOwner().localMember()) {
                    remote++;
                }
            }
            assertTrue(remote > 0, "no key was owned by the other member: the test proved nothing remote");
        } finally {
            if (second != null) {
                second.shutdown();
            }
            first.shutdown();
        }
    }

    /** Waits until at most {@code count} threads' names start with {@code prefix}. */
    private static void awaitThreads(String prefix, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HazelcastThreads.CACHED_IDLE_SECONDS + 20);
        while (threads(prefix) > count && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(threads(prefix) <= count, () -> prefix + " threads: " + Thread.getAllStackTraces().entrySet()
                .stream().filter(e -> e.getKey().getName().startsWith(prefix))
                .map(e -> e.getKey().getName() + " " + java.util.Arrays.toString(e.getValue())).toList());
    }

    private static long threads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix))
                .count();
    }
}
