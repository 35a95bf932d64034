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
 * {@link HazelcastThreads}: after the trim, Hazelcast's idle cached threads end and its metrics scheduler runs on one
 * thread, and both pools still run what they are given (before the trim: three cached threads and two metrics
 * threads for ever).
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
            assertEquals(3, threads(prefix + "cached.thread"), "Hazelcast's three cached threads are not there to trim");
            assertEquals(2, threads(prefix + "MetricsRegistry.thread"));
            assertTrue(HazelcastThreads.trim(hazelcast), "the trim found no pools (see the DEBUG line)");

            awaitThreads(prefix + "MetricsRegistry.thread", 1);
            // Hazelcast's periodic tasks (heartbeats every second) run on the cached pool: one or two threads stay busy.
            awaitThreads(prefix + "cached.thread", 2);

            // A named executor runs on the cached pool: it still runs.
            ExecutionService executions = ((HazelcastInstanceProxy) hazelcast).getOriginal().node.getNodeEngine()
                    .getExecutionService();
            String ranOn = executions.submit("memsync-test", () -> Thread.currentThread().getName())
                    .get(10, TimeUnit.SECONDS);
            assertTrue(ranOn.startsWith(prefix + "cached.thread"), ranOn);
            // And the map the directory lives in works as before.
            hazelcast.getMap(Membership.DIRECTORY).put("k", new byte[]{1});
            assertEquals(1, ((byte[]) hazelcast.getMap(Membership.DIRECTORY).get("k"))[0]);
        } finally {
            hazelcast.shutdown();
        }
    }

    /** Waits until at most {@code count} threads' names start with {@code prefix}. */
    private static void awaitThreads(String prefix, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HazelcastThreads.CACHED_IDLE_SECONDS + 15);
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
