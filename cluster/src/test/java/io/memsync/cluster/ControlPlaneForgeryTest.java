package io.memsync.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.memsync.cluster.control.ControlKey;
import io.memsync.cluster.control.Envelope;
import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.TestNodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13: a plain Hazelcast member that knows the cluster's name (and memsync's code, which is public) but not
 * its secret joins the cluster and tries every forgery of the control plane: it gives the region to the replica with
 * the next token, puts a Java-serialized gadget where records live and into memsync's executors, rewrites a node's
 * data-plane endpoint, puts an old record back, replays a request and sends one meant for another member. Before the
 * signed control plane, the first alone made the owner drop its copy and the replica refuse the owner's pushes.
 * Now the owner keeps writing, the replica keeps taking its pushes, nothing is deserialized, and each attempt is
 * logged and counted; the foreign member is named once.
 */
@Timeout(180)
class ControlPlaneForgeryTest {
    /** Times a {@link Gadget} was deserialized in this JVM (the nodes run in it too). */
    static final AtomicInteger DESERIALIZED = new AtomicInteger();

    /** What an attacker would send: a class whose deserialization runs code. */
    static final class Gadget implements Serializable, Callable<String> {
        @Serial
        private static final long serialVersionUID = 1L;

        @Serial
        private void readObject(ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
            in.defaultReadObject();
            DESERIALIZED.incrementAndGet();
        }

        @Override
        public String call() {
            return "ran";
        }
    }

    @Test
    void aMemberWithoutTheSecretCanNeitherTakeNorBreakARegion() throws Exception {
        List<String> logged = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                synchronized (logged) {
                    logged.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger forgeryLog = Logger.getLogger("io.memsync.cluster.control.Forgeries");
        forgeryLog.addHandler(capture);
        List<Node> nodes = TestNodes.start("forgery", "a", "b");
        HazelcastInstance rogue = null;
        try {
            Node a = nodes.get(0);
            Node b = nodes.get(1);
            ClusterRegion owned = a.createRegion("guarded", 1 << 20, 65536, 1);
            Fixtures.await(() -> b.region("guarded") != null && b.directory().get("guarded").serving()
                    .contains(b.memberId()), 60, "b never served its replica");
            rogue = Hazelcast.newHazelcastInstance(rogueConfig(a));
            HazelcastInstance r = rogue;
            Fixtures.await(() -> r.getCluster().getMembers().size() == 3, 60, "the rogue member never joined");

            IMap<String, Object> directory = rogue.getMap(Membership.DIRECTORY);
            byte[] before = (byte[]) directory.get("guarded");
            assertNotNull(before, "the rogue reads the directory (it is no secret)");
            owned.segment().fill((byte) 1);
            owned.flush();
            RegionRecord record = a.directory().get("guarded");
            long token = record.token();

            // 1. The region given to the replica, with the next token: signed with a key guessed wrong.
            RegionRecord usurped = record.claimedBy(b.memberId(), List.of());
            Envelope guessed = new Envelope(new ControlKey("not-the-secret-but-long-enough".getBytes(
                    StandardCharsets.UTF_8), a.config().clusterName()));
            directory.set("guarded", guessed.seal(Envelope.Kind.RECORD, "guarded", Long.MAX_VALUE,
                    RecordCodec.encode(usurped)));
            // 2. The same, as the bytes a node signed for another key: a signed record of another region.
            a.createRegion("other", 1 << 20, 65536, 1);
            directory.set("guarded", directory.get("other"));
            // 3. A gadget where records live, and a record signed before put back (a replay).
            directory.set("guarded", new Gadget());
            directory.set("guarded", before);
            // 4. b's data-plane endpoint pointed at the rogue.
            IMap<String, Object> endpoints = rogue.getMap(Membership.ENDPOINTS);
            endpoints.set(b.memberId(), guessed.seal(Envelope.Kind.ENDPOINT, b.memberId(), Long.MAX_VALUE,
                    "127.0.0.1:1".getBytes(StandardCharsets.UTF_8)));
            // 5. A gadget into memsync's executor, a forged migration request, a request meant for b sent to a, and
            //    a request replayed.
            ExecutionException gadget = assertThrows(ExecutionException.class, () -> r.getExecutorService(
                    Membership.MIGRATIONS).submitToMember(new Gadget(), member(r, a)).get(30, TimeUnit.SECONDS));
            assertTrue(String.valueOf(gadget.getCause()).contains("not allowed"), String.valueOf(gadget.getCause()));
            MemberRequests forger = new MemberRequests(null, null, guessed, null);
            byte[] forged = forger.migrationRequest("guarded", b.memberId(), a.memberId(),
                    MigrationOptions.defaults());
            ExecutionException refused = assertThrows(ExecutionException.class, () -> r.getExecutorService(
                    Membership.MIGRATIONS).submitToMember(new MigrationRequest(forged), member(r, a))
                    .get(30, TimeUnit.SECONDS));
            assertInstanceOf(SecurityException.class, refused.getCause(), String.valueOf(refused.getCause()));
            byte[] forB = a.requests().migrationRequest("guarded", a.memberId(), b.memberId(),
                    MigrationOptions.defaults());
            ExecutionException misdirected = assertThrows(ExecutionException.class, () -> r.getExecutorService(
                    Membership.MIGRATIONS).submitToMember(new MigrationRequest(forB), member(r, a))
                    .get(30, TimeUnit.SECONDS));
            assertTrue(misdirected.getCause().getMessage().contains("meant for member"),
                    misdirected.getCause().getMessage());
            byte[] sniffed = a.requests().checksumRequest("guarded");
            assertEquals(owned.checksum(), r.getExecutorService(Membership.CHECKSUMS)
                    .submitToMember(new ChecksumRequest(sniffed), member(r, a)).get(30, TimeUnit.SECONDS));
            ExecutionException replayed = assertThrows(ExecutionException.class, () -> r.getExecutorService(
                    Membership.CHECKSUMS).submitToMember(new ChecksumRequest(sniffed), member(r, a))
                    .get(30, TimeUnit.SECONDS));
            assertTrue(replayed.getCause().getMessage().contains("replay"), replayed.getCause().getMessage());

            // 6. The record deleted: the owner writes it back.
            directory.delete("guarded");
            Fixtures.await(() -> directory.get("guarded") != null, 30, "the owner never wrote its record back");

            // The owner keeps owning and writing; the replica keeps taking its pushes.
            for (int round = 2; round < 6; round++) {
                owned.segment().fill((byte) round);
                owned.flush();
            }
            assertTrue(owned.isOwner(), "a gave up its region");
            assertEquals(a.memberId(), a.directory().get("guarded").owner());
            assertEquals(token, a.directory().get("guarded").token());
            assertEquals(a.memberId(), b.directory().get("guarded").owner());
            assertEquals(5, b.region("guarded").segment().get(ValueLayout.JAVA_BYTE, 12345));
            assertEquals(a.checksums("guarded").get("a"), a.checksums("guarded").get("b"));
            assertTrue(a.members().contains(b.memberId()), "a no longer counts b a member");
            assertEquals(0, DESERIALIZED.get(), "a node deserialized the gadget");

            // Each attempt was logged and counted; the foreign member was named once.
            Fixtures.await(() -> a.foreignMembers() == 1 && b.foreignMembers() == 1, 30,
                    "the rogue member was not called foreign");
            assertTrue(a.controlPlaneRefusals() >= 5, "a refused " + a.controlPlaneRefusals());
            assertTrue(b.controlPlaneRefusals() >= 3, "b refused " + b.controlPlaneRefusals());
            String all;
            synchronized (logged) {
                all = String.join("\n", logged);
            }
            for (String expected : List.of("not signed with this cluster's secret", "signed for 'other'",
                    "not memsync's", "a replay", "meant for member", "a request seen before",
                    "not a memsync node of this cluster", "the deletion of region guarded's directory entry")) {
                assertTrue(all.contains(expected), "no line says '" + expected + "':\n" + all);
            }
        } finally {
            if (rogue != null) {
                rogue.shutdown();
            }
            TestNodes.close(nodes);
            forgeryLog.removeHandler(capture);
        }
    }

    private static com.hazelcast.cluster.Member member(HazelcastInstance h, Node node) {
        return h.getCluster().getMembers().stream().filter(m -> m.getUuid().toString().equals(node.memberId()))
                .findFirst().orElseThrow();
    }

    /** A plain Hazelcast member: the cluster's name and its members' addresses, nothing of memsync's. */
    private static Config rogueConfig(Node a) throws java.io.IOException {
        Config c = new Config();
        c.setClusterName(a.config().clusterName());
        c.setInstanceName("rogue-" + System.nanoTime());
        c.setProperty("hazelcast.logging.type", "jdk");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        // The attacker knows memsync's code, and so the partition count its members must share to join.
        Membership.SMALL.forEach(c::setProperty);
        c.getNetworkConfig().setPort(io.memsync.cluster.testkit.FreePorts.pick()).setPortAutoIncrement(false);
        c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        c.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
        c.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
        c.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).setMembers(a.config().members());
        c.getMemberAttributeConfig().setAttribute(Membership.NAME_ATTRIBUTE, "rogue");
        return c;
    }
}
