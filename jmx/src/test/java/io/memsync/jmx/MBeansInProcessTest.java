package io.memsync.jmx;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.Node;
import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.TestNodes;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.Notification;
import javax.management.NotificationListener;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two nodes in this JVM, each with its MBeans (a in the platform MBeanServer, b in one of its own): the values are
 * the nodes' real state, the operations act, and the notifications arrive.
 */
@Timeout(240)
class MBeansInProcessTest {
    private static final ObjectName NODE = MemSyncMBeans.nodeObjectName();
    private static final ObjectName REGION = MemSyncMBeans.regionObjectName("prices");

    @Test
    void attributesOperationsAndNotificationsReflectTheCluster(@TempDir Path tmp) throws Exception {
        List<Node> nodes = TestNodes.start("jmx-in-process", "a", "b");
        Node a = nodes.get(0);
        Node b = nodes.get(1);
        String bId = b.memberId();
        MBeanServer sa = ManagementFactory.getPlatformMBeanServer();
        MBeanServer sb = MBeanServerFactory.newMBeanServer();
        try (Recording recording = new Recording();
             MemSyncMBeans ja = MemSyncMBeans.register(a, sa);
             MemSyncMBeans jb = MemSyncMBeans.register(b, sb)) {
            recording.enable("io.memsync.region.sync.SyncRoundEvent");
            recording.enable("io.memsync.cluster.MigrationEvent");
            recording.enable("io.memsync.cluster.OwnershipChangeEvent");
            recording.enable("io.memsync.cluster.PagerFaultsEvent").withPeriod(Duration.ofMillis(100));
            recording.start();

            // The node's attributes.
            assertEquals("a", sa.getAttribute(NODE, "Name"));
            assertEquals(a.memberId(), sa.getAttribute(NODE, "MemberId"));
            assertEquals(2, sa.getAttribute(NODE, "ClusterSize"));
            String[] members = (String[]) sa.getAttribute(NODE, "Members");
            assertEquals(2, members.length, Arrays.toString(members));
            assertTrue(members[0].startsWith("a " + a.memberId() + " 127.0.0.1:"), members[0]);
            assertTrue(members[1].startsWith("b " + b.memberId() + " 127.0.0.1:"), members[1]);
            assertEquals("127.0.0.1:" + a.dataAddress().getPort(), sa.getAttribute(NODE, "DataAddress"));
            assertEquals(0, ((String[]) sa.getAttribute(NODE, "Regions")).length);

            BlockingQueue<Notification> atA = listen(sa, NODE);
            BlockingQueue<Notification> atB = listen(sb, NODE);

            // A region owned by a, replicated to b: each node gets its Region MBean.
            a.writerControl("prices", TestNodes.NO_WRITERS);
            ClusterRegion owned = a.createRegion("prices", 4 << 20, 65536, 1);
            Fixtures.await(() -> sa.isRegistered(REGION) && sb.isRegistered(REGION), 10,
                    "the Region MBeans were not registered");
            assertArrayEquals(new String[]{"prices"}, (String[]) sa.getAttribute(NODE, "Regions"));
            assertEquals("OWNER", sa.getAttribute(REGION, "Role"));
            assertEquals("REPLICA", sb.getAttribute(REGION, "Role"));
            assertEquals("a", sb.getAttribute(REGION, "Owner"));
            assertEquals(1L, sa.getAttribute(REGION, "Token"));
            assertEquals(4L << 20, sa.getAttribute(REGION, "SizeBytes"));
            assertEquals(65536, sa.getAttribute(REGION, "ChunkSize"));
            assertEquals(64, sa.getAttribute(REGION, "ChunkCount"));
            assertEquals(64L, sb.getAttribute(REGION, "PresentChunks"));
            assertEquals(1.0, sb.getAttribute(REGION, "Availability"));
            assertEquals(-1L, sb.getAttribute(REGION, "DirtyChunks"));
            assertEquals(-1L, sb.getAttribute(REGION, "ReplicaLagEpochs"));
            assertEquals("none", sb.getAttribute(REGION, "Tracker"));
            assertTrue(List.of("auto (wp)", "auto (hash)", "hash").contains(sa.getAttribute(REGION, "Tracker")),
                    "the default tracker, auto, says which method it uses now: " + sa.getAttribute(REGION, "Tracker"));
            assertEquals("NONE", sa.getAttribute(REGION, "MigrationPhase"));
            assertEquals(-1.0, sa.getAttribute(REGION, "LastMigrationPauseMillis"));

            // Three chunks written and flushed through JMX: the push counters moved by at least that much.
            long chunksBefore = (Long) sa.getAttribute(REGION, "ChunksPushed");
            long bytesBefore = (Long) sa.getAttribute(REGION, "BytesPushed");
            long epochBefore = (Long) sa.getAttribute(REGION, "Epoch");
            writeChunks(owned.segment(), 65536, 1, 7, 42);
            String flushed = (String) sa.invoke(REGION, "flush", null, null);
            assertTrue(flushed.startsWith("flushed region prices: epoch ") && flushed.contains("acknowledged by the "
                    + "replica quorum (1 of 1 wanted replicas placed)"), flushed);
            assertTrue((Long) sa.getAttribute(REGION, "ChunksPushed") >= chunksBefore + 3);
            assertTrue((Long) sa.getAttribute(REGION, "BytesPushed") >= bytesBefore + 3 * 65536);
            assertEquals(epochBefore + 1, sa.getAttribute(REGION, "Epoch"));
            assertTrue((Long) sa.getAttribute(REGION, "SyncCycles") > 0);
            assertEquals(0L, sa.getAttribute(REGION, "DirtyChunks"));
            assertEquals(0L, sa.getAttribute(REGION, "ReplicaLagEpochs"));
            String[] replicas = (String[]) sa.getAttribute(REGION, "Replicas");
            assertArrayEquals(new String[]{"b " + b.memberId() + " lag=0"}, replicas);
            assertEquals(epochBefore + 1, sb.getAttribute(REGION, "Epoch"), "the replica applied the flush");

            // A replica written behind memsync's back: repair sends the chunk again, and says so in a notification.
            assertEquals(0L, sa.getAttribute(NODE, "DivergedChunks"));
            io.memsync.cluster.BehindTheBack.write(b.region("prices"), 2L * 65536 + 16, -3L);
            String repaired = (String) sa.invoke(NODE, "repair", new Object[]{"prices"},
                    new String[]{String.class.getName()});
            assertTrue(repaired.contains("sent again the chunks that differed: {b=1}"), repaired);
            Notification diverged = next(atA, Notifications.REPLICA_DIVERGED);
            assertEquals("prices", ((CompositeData) diverged.getUserData()).get("region"));
            assertEquals("b", ((CompositeData) diverged.getUserData()).get("replica"));
            assertEquals(1L, ((CompositeData) diverged.getUserData()).get("chunks"));
            assertEquals(1L, sa.getAttribute(NODE, "DivergedChunks"));

            // Checksums: computed on each member, equal after the flush.
            String[] sums = (String[]) sb.invoke(NODE, "checksums", new Object[]{"prices"},
                    new String[]{String.class.getName()});
            assertEquals(2, sums.length, Arrays.toString(sums));
            assertTrue(sums[0].startsWith("a=") && sums[1].startsWith("b="), Arrays.toString(sums));
            assertEquals(sums[0].substring(2), sums[1].substring(2), "the copies differ: " + Arrays.toString(sums));
            assertEquals(sums[0].substring(2), sa.invoke(REGION, "checksum", null, null));

            // Paused, the owner pushes nothing and a flush fails; resumed, the writes made meanwhile go out.
            String paused = (String) sa.invoke(REGION, "pauseSync", null, null);
            assertTrue(paused.contains("paused"), paused);
            assertEquals(true, sa.getAttribute(REGION, "SyncPaused"));
            long pushedPaused = (Long) sa.getAttribute(REGION, "ChunksPushed");
            writeChunks(owned.segment(), 65536, 3, 9, 77);
            String m = failure(() -> sa.invoke(REGION, "flush", null, null));
            assertTrue(m.contains("paused") && m.contains("resume"), m);
            Thread.sleep(50);
            assertEquals(pushedPaused, sa.getAttribute(REGION, "ChunksPushed"), "a paused syncer pushed");
            assertTrue(((String) sa.invoke(NODE, "status", null, null)).contains("PAUSED"));
            sa.invoke(REGION, "resumeSync", null, null);
            sa.invoke(NODE, "flush", new Object[]{"prices"}, new String[]{String.class.getName()});
            assertTrue((Long) sa.getAttribute(REGION, "ChunksPushed") >= pushedPaused + 3);
            ClusterRegion replica = b.region("prices");
            assertEquals(77L, replica.segment().get(JAVA_LONG, 9L * 65536), "a write made while paused got lost");
            assertEquals(owned.checksum(), replica.checksum());

            // Tuning knobs.
            sa.setAttribute(REGION, new javax.management.Attribute("SyncIntervalMillis", 5L));
            assertEquals(Duration.ofMillis(5), owned.syncer().interval());
            assertEquals(5L, sa.getAttribute(REGION, "SyncIntervalMillis"));
            sa.setAttribute(NODE, new javax.management.Attribute("ReplicaLagThresholdEpochs", 4L));
            assertEquals(4L, sa.getAttribute(NODE, "ReplicaLagThresholdEpochs"));
            m = failure(() -> sa.setAttribute(REGION, new javax.management.Attribute("SyncIntervalMillis", 0L)));
            assertTrue(m.contains("from 1 to 3600000 ms, got 0"), m);

            String status = (String) sa.invoke(NODE, "status", null, null);
            assertTrue(status.contains("prices: 4 MiB in 64 chunks of 64 KiB, owner a, token 1"), status);
            assertTrue(status.contains("b acked epoch"), status);
            assertTrue(status.contains("here: OWNER"), status);

            // Bad input: clear errors.
            m = failure(() -> sa.invoke(REGION, "migrateTo", new Object[]{"nobody"},
                    new String[]{String.class.getName()}));
            assertTrue(m.contains("no live member is named or has the uuid 'nobody'") && m.contains("b "), m);
            m = failure(() -> sb.invoke(REGION, "flush", null, null));
            assertTrue(m.contains("flush it on its owner, a"), m);

            // A migration to b by name, through a's Region MBean: phases at a, ownership lost at a, gained at b.
            String result = (String) sa.invoke(REGION, "migrateTo", new Object[]{"b"},
                    new String[]{String.class.getName()});
            assertTrue(result.startsWith("migrated region prices to b: writers paused "), result);
            List<String> phases = List.of("PREPARING", "PRECOPY", "HANDOVER", "DONE");
            for (String phase : phases) {
                Notification n = next(atA, Notifications.MIGRATION_PHASE);
                assertEquals(phase, ((CompositeData) n.getUserData()).get("phase"), n.getMessage());
                assertEquals(NODE, n.getSource());
            }
            Notification lost = next(atA, Notifications.OWNERSHIP_LOST);
            assertEquals("b", ((CompositeData) lost.getUserData()).get("newOwner"));
            assertEquals(2L, ((CompositeData) lost.getUserData()).get("token"));
            Notification gained = next(atB, Notifications.OWNERSHIP_GAINED);
            assertEquals("prices", ((CompositeData) gained.getUserData()).get("region"));
            assertEquals("DONE", sa.getAttribute(REGION, "MigrationPhase"));
            assertEquals("b", sa.getAttribute(REGION, "MigrationDestination"));
            assertTrue((Double) sa.getAttribute(REGION, "LastMigrationPauseMillis") >= 0);
            Fixtures.await(() -> role(sb).equals("OWNER") && role(sa).equals("REPLICA"), 10,
                    "the roles did not follow the migration");
            assertEquals("b", sa.getAttribute(REGION, "Owner"));

            assertTrue((Long) sb.getAttribute(REGION, "ReplicaLagEpochs") >= 0);

            // A region without replicas migrated to b by uuid is paged in there: the pager counters show it, and
            // a's copy goes (with its MBean) once b holds everything.
            ObjectName paged = MemSyncMBeans.regionObjectName("paged");
            ClusterRegion source = a.createRegion("paged", 2 << 20, 65536, 0);
            writeChunks(source.segment(), 65536, 0, 20, 5);
            // Taken now: a drops its copy once b holds everything, which may come before the comparison below.
            long written = source.checksum();
            Fixtures.await(() -> sa.isRegistered(paged), 10, "no Region MBean for paged on a");
            m = failure(() -> sa.invoke(paged, "startMigration", new Object[]{"b"},
                    new String[]{String.class.getName()}));
            assertTrue(m.contains("could not start") && m.contains("no WriterControl"), m);
            a.writerControl("paged", TestNodes.NO_WRITERS);
            String started = (String) sa.invoke(NODE, "startMigration", new Object[]{"paged", bId},
                    new String[]{String.class.getName(), String.class.getName()});
            assertTrue(started.startsWith("migration of region paged from a to b started"), started);
            Fixtures.await(() -> "OWNER".equals(role(sb, paged)), 60, "b did not take paged over");
            assertEquals(32L, sb.getAttribute(paged, "ChunksPulled"));
            assertEquals(32L * 65536, sb.getAttribute(paged, "BytesPulled"));
            assertEquals(32L, sb.getAttribute(paged, "PresentChunks"));
            assertTrue((Long) sb.getAttribute(paged, "FaultLatencyMaxMicros") >= 0);
            assertEquals(written, Long.parseUnsignedLong((String) sb.invoke(paged, "checksum", null, null), 16));
            Fixtures.await(() -> !sa.isRegistered(paged), 30, "a's MBean for paged stayed after its copy went");

            // The other node leaving is a lost peer.
            jb.close();
            assertFalse(sb.isRegistered(NODE), "close() left the Node MBean registered");
            assertFalse(sb.isRegistered(REGION), "close() left a Region MBean registered");
            b.close();
            // b leaves in order: a takes the region over as soon as b says it leaves, which may be before Hazelcast
            // removes b from the members; the two notifications come in either order.
            List<Notification> both = nextOfEach(atA, Notifications.PEER_LOST, Notifications.OWNERSHIP_GAINED);
            assertEquals("b", ((CompositeData) both.get(0).getUserData()).get("member"));
            Fixtures.await(() -> "OWNER".equals(role(sa)), 30, "a did not take the region back over");
            assertEquals("prices", ((CompositeData) both.get(1).getUserData()).get("region"));

            recording.stop();
            Path dump = tmp.resolve("memsync.jfr");
            recording.dump(dump);
            Map<String, List<RecordedEvent>> events = RecordingFile.readAllEvents(dump).stream()
                    .collect(Collectors.groupingBy(e -> e.getEventType().getName()));
            List<RecordedEvent> rounds = events.getOrDefault("io.memsync.region.sync.SyncRoundEvent", List.of());
            // The background cycles (every 2 ms) may push the chunks before the flush does: count them all.
            List<RecordedEvent> prices = rounds.stream().filter(e -> e.getString("region").equals("prices")).toList();
            assertTrue(prices.stream().anyMatch(e -> e.getBoolean("flush")), "no flush round recorded");
            assertTrue(prices.stream().mapToLong(e -> e.getInt("chunks")).sum() >= 3, "fewer than 3 chunks recorded");
            assertTrue(prices.stream().allMatch(e -> e.getLong("bytes") == e.getInt("chunks") * 65536L),
                    "bytes are not chunks times the chunk size");
            RecordedEvent migration = events.get("io.memsync.cluster.MigrationEvent").getFirst();
            assertEquals("DONE", migration.getString("phase"));
            assertEquals(bId, migration.getString("destination"));
            assertTrue(migration.getInt("rounds") >= 1);
            List<RecordedEvent> ownership = events.get("io.memsync.cluster.OwnershipChangeEvent");
            assertTrue(ownership.stream().anyMatch(e -> !e.getBoolean("gained") && e.getLong("token") == 2),
                    "no ownership loss recorded");
            assertTrue(ownership.stream().anyMatch(e -> e.getBoolean("gained")), "no ownership gain recorded");
            List<RecordedEvent> faults = events.get("io.memsync.cluster.PagerFaultsEvent");
            assertNotNull(faults, "b's paged copy was never sampled; events: " + events.keySet());
            // A periodic event: the copy may have been sampled only while it was paging in (the MBean attributes
            // above checked the final 32).
            assertTrue(faults.stream().anyMatch(e -> e.getString("region").equals("paged")
                    && e.getLong("chunksPulled") > 0 && e.getLong("chunksPulled") <= 32), faults.toString());
        } finally {
            for (Node n : nodes) {
                n.close();
            }
        }
        assertFalse(sa.isRegistered(NODE), "close() left the Node MBean registered");
        assertFalse(sa.isRegistered(REGION), "close() left a Region MBean registered");
    }

    /** Writes {@code value} at the start of chunks {@code first}, {@code second} and {@code second + 1}. */
    private static void writeChunks(MemorySegment memory, int chunkSize, int first, int second, long value) {
        memory.set(JAVA_LONG, (long) first * chunkSize, value);
        memory.set(JAVA_LONG, (long) second * chunkSize, value);
        memory.set(JAVA_LONG, (long) (second + 1) * chunkSize, value);
    }

    /** The message of the failure {@code call} ends in, as a JMX client sees it (wrapped by the MBeanServer). */
    static String failure(org.junit.jupiter.api.function.Executable call) {
        Throwable t = assertThrows(Exception.class, call);
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    private static String role(MBeanServer server) {
        return role(server, REGION);
    }

    private static String role(MBeanServer server, ObjectName region) {
        try {
            return (String) server.getAttribute(region, "Role");
        } catch (JMException | RuntimeException e) {
            return "gone: " + e.getMessage();
        }
    }

    private static BlockingQueue<Notification> listen(MBeanServer server, ObjectName name) throws JMException {
        BlockingQueue<Notification> queue = new LinkedBlockingQueue<>();
        NotificationListener listener = (n, handback) -> queue.add(n);
        server.addNotificationListener(name, listener, null, null);
        return queue;
    }

    /** The next notification of each type, in any order, skipping others, within 30 s; in the order asked. */
    static List<Notification> nextOfEach(BlockingQueue<Notification> queue, String... types)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Notification[] found = new Notification[types.length];
        List<String> skipped = new java.util.ArrayList<>();
        while (System.nanoTime() < deadline && java.util.Arrays.asList(found).contains(null)) {
            Notification n = queue.poll(100, TimeUnit.MILLISECONDS);
            if (n == null) {
                continue;
            }
            int i = java.util.Arrays.asList(types).indexOf(n.getType());
            if (i >= 0 && found[i] == null) {
                found[i] = n;
            } else {
                skipped.add(n.getType() + ": " + n.getMessage());
            }
        }
        if (java.util.Arrays.asList(found).contains(null)) {
            throw new AssertionError("not every one of " + List.of(types) + " within 30 s; got "
                    + java.util.Arrays.toString(found) + ", skipped " + skipped);
        }
        return List.of(found);
    }

    /** The next notification of {@code type}, skipping others, within 30 s. */
    static Notification next(BlockingQueue<Notification> queue, String type) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<String> skipped = new java.util.ArrayList<>();
        while (System.nanoTime() < deadline) {
            Notification n = queue.poll(100, TimeUnit.MILLISECONDS);
            if (n != null && n.getType().equals(type)) {
                return n;
            }
            if (n != null) {
                skipped.add(n.getType() + ": " + n.getMessage());
            }
        }
        throw new AssertionError("no " + type + " notification within 30 s; got " + skipped);
    }
}
