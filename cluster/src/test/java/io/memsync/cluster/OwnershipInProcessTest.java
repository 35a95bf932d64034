package io.memsync.cluster;

import io.memsync.region.page.LazyRegion;
import org.junit.jupiter.api.AfterEach;
import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.FreePorts;
import io.memsync.cluster.testkit.TestNodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.memsync.cluster.testkit.Fixtures.await;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Changes of ownership with several nodes in this JVM: a paged copy becomes owner again, a mount never pages from
 * its own node, and one region's long fill never holds up another region's handover.
 */
@Timeout(240)
class OwnershipInProcessTest {
    private static final byte[] SECRET = Fixtures.secret();

    private final List<Node> nodes = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private final List<Thread> stalls = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private String cluster;

    /** Picks ports for {@code count} nodes; start them with {@link #start}. */
    private void plan(int count) throws Exception {
        cluster = "ownership-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        for (int i = 0; i < count; i++) {
            ports.add(FreePorts.pick());
        }
    }

    private Node start(int index, Duration flushTimeout) throws Exception {
        List<String> members = ports.stream().map(p -> "127.0.0.1:" + p).toList();
        NodeConfig base = NodeConfig.loopback("n" + index, cluster, ports.get(index), members, SECRET);
        NodeConfig config = new NodeConfig(base.name(), base.clusterName(), base.host(), base.hazelcastPort(),
                base.members(), 0, SECRET, base.syncInterval(), flushTimeout, base.flushQuorum(),
                Duration.ofMillis(200), 1, 4);
        Node node = Node.start(config);
        nodes.add(node);
        return node;
    }

    private void awaitSize(int size) throws Exception {
        for (Node n : nodes) {
            await(() -> n.clusterSize() == size, 60, n.name() + " seeing " + size + " members");
        }
    }


    @AfterEach
    void close() {
        release.countDown();
        for (Thread t : stalls) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (int i = nodes.size() - 1; i >= 0; i--) {
            try {
                nodes.get(i).close();
            } catch (Exception e) {
                System.err.println("closing " + nodes.get(i).name() + ": " + e);
            }
        }
    }

    private static void fill(MemorySegment m, long seed) {
        for (long o = 0; o < m.byteSize(); o += 4096) {
            m.set(JAVA_LONG, o, o * 31 + seed);
        }
    }

    @Test
    void aMountNeverPagesFromItsOwnNode() throws Exception {
        plan(2);
        Node a = start(0, Duration.ofSeconds(10));
        Node b = start(1, Duration.ofSeconds(10));
        awaitSize(2);
        ClusterRegion owned = a.createRegion("mounted", 8 << 20, 65536, 1);
        fill(owned.segment(), 5);
        owned.flush();
        assertNotNull(b.awaitRegion("mounted", Duration.ofSeconds(30)), "b is the replica");
        long servedByB = b.chunksServed();
        LazyRegion mount = b.mount("mounted", 4, false);
        assertEquals(owned.checksum(), ClusterRegion.crc32c(mount.segment()), "the mount reads the owner's bytes");
        assertEquals(servedByB, b.chunksServed(), "b's mount paged chunks from b's own JVM (a fault served by the "
                + "application's own JVM deadlocks it at the next safepoint)");
        // The owner counts a chunk once its write returned, which may be after the mount read it.
        await(() -> a.chunksServed() >= 128, 10, "the owner counting the 128 chunks it served the mount");
    }

    @Test
    void interruptingFlushesClosesNoReplicaLink() throws Exception {
        plan(2);
        Node a = start(0, Duration.ofSeconds(10));
        Node b = start(1, Duration.ofSeconds(10));
        awaitSize(2);
        ClusterRegion owned = a.createRegion("interrupted", 16 << 20, 65536, 1);
        await(() -> !owned.sink().replicas().isEmpty(), 30, "a pushing to b");
        io.memsync.cluster.wire.PeerLink link = owned.sink().replicas().getFirst().link();
        int interrupted = 0;
        for (int i = 0; i < 40; i++) {
            fill(owned.segment(), i);
            Thread flusher = Thread.ofPlatform().start(() -> {
                try {
                    owned.flush();
                } catch (java.io.IOException expected) {
                    // InterruptedIOException when the interrupt came first.
                }
            });
            // Interrupt at varying moments of the flush: while it pushes, while it waits for the acknowledgement.
            java.util.concurrent.locks.LockSupport.parkNanos(i * 100_000L);
            flusher.interrupt();
            flusher.join(30_000);
            interrupted++;
        }
        assertEquals(40, interrupted);
        assertEquals(null, link.failure(), "an interrupted flush closed the replica's link");
        assertTrue(owned.sink().replicas().getFirst().link() == link, "the replica was reconnected (and refilled)");
        owned.flush();
        assertEquals(owned.checksum(), b.region("interrupted").checksum());
    }

    @Test
    void aPagedCopyBecomesOwnerAgain() throws Exception {
        plan(4);
        Node a = start(0, Duration.ofSeconds(10));
        Node b = start(1, Duration.ofSeconds(10));
        Node c = start(2, Duration.ofSeconds(10));
        awaitSize(3);
        ClusterRegion owned = a.createRegion("again", 8 << 20, 65536, 2);
        fill(owned.segment(), 7);
        owned.flush();
        Node d = start(3, Duration.ofSeconds(10));
        awaitSize(4);
        for (Node n : nodes) {
            n.writerControl("again", TestNodes.NO_WRITERS);
        }
        // a -> d: d has no copy, so it pages the region in (a learner) and owns it paged.
        a.migrate("again", d.memberId(), MigrationOptions.defaults());
        await(() -> d.region("again") != null && d.region("again").isOwner(), 30, "d owning the region");
        ClusterRegion dOwned = d.region("again");
        assertNotNull(dOwned.pagerStatus(), "d's copy is paged");
        await(() -> dOwned.availability() >= 1.0, 60, "d paging everything in");
        await(() -> !d.directory().get("again").replicas().contains(a.memberId()), 30,
                "a dropped as a replica once d has everything");
        dOwned.segment().set(JAVA_LONG, 8, 1001L);
        dOwned.flush();
        // d -> b (a replica): d steps down and keeps its paged copy as a replica.
        d.migrate("again", b.memberId(), MigrationOptions.defaults());
        await(() -> b.region("again").isOwner(), 30, "b owning the region");
        await(() -> d.region("again") != null && d.region("again").role() == ClusterRegion.Role.REPLICA, 30,
                "d a replica");
        assertTrue(d.directory().get("again").replicas().contains(d.memberId()), "d stays a replica");
        b.region("again").segment().set(JAVA_LONG, 16, 1002L);
        b.region("again").flush();
        // b -> d: the paged copy must be able to track writes again (its range belongs to its pager's userfaultfd:
        // a second tracker on it fails with EBUSY).
        b.migrate("again", d.memberId(), MigrationOptions.defaults());
        await(() -> d.region("again").isOwner(), 30, "d, whose copy is paged, owning the region again");
        ClusterRegion again = d.region("again");
        again.segment().set(JAVA_LONG, 24, 1003L);
        again.flush();
        assertEquals(1001L, again.segment().get(JAVA_LONG, 8));
        assertEquals(1002L, again.segment().get(JAVA_LONG, 16));
        assertEquals(again.checksum(), c.region("again").checksum(), "the replica holds d's writes");
    }

    @Test
    void oneRegionsFillNeverHoldsUpAnotherRegionsHandover() throws Exception {
        plan(3);
        // A long flush timeout: the stalled fill below is not cut by the link watchdog while the test looks.
        Node x = start(0, Duration.ofSeconds(120));
        Node y = start(1, Duration.ofSeconds(120));
        awaitSize(2);
        ClusterRegion filled = y.createRegion("filled", 64 << 20, 65536, 1);
        fill(filled.segment(), 3);
        filled.flush();
        ClusterRegion handed = x.createRegion("handed", 1 << 20, 65536, 0);
        MemorySegment writers = handed.segment();
        Node z = start(2, Duration.ofSeconds(120));
        awaitSize(3);
        // z's data plane will hold the first chunk pushed into its copy of "filled" until the test ends.
        CountDownLatch holding = new CountDownLatch(1);
        Thread stall = Thread.ofPlatform().name("stall-filled").daemon(true).start(() -> {
            try {
                ClusterRegion copy = z.awaitRegion("filled", Duration.ofSeconds(60));
                if (copy != null) {
                    synchronized (copy.served()) {
                        holding.countDown();
                        release.await(120, TimeUnit.SECONDS);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        stalls.add(stall);
        // y leaves: x, its replica, claims "filled" and fills z, which places it as the new replica; the fill
        // (64 MiB) blocks as soon as the socket buffers are full.
        nodes.remove(y);
        y.close();
        await(() -> x.region("filled").isOwner(), 60, "x claiming the region y left");
        assertTrue(holding.await(60, TimeUnit.SECONDS), "z never got a copy of the region");
        await(() -> x.region("filled").replicaEpochs().containsKey(z.memberId()), 60, "x pushing to z");
        Thread.sleep(1000);
        assertTrue(x.region("filled").replicaEpochs().get(z.memberId()) < 0, "z's fill is not done");

        // Meanwhile the directory hands "handed", owned by x, to another owner: x must step down at once.
        RegionRecord r = x.directory().get("handed");
        assertNotNull(x.directory().claim("handed", r.token(), "another-owner", List.of()));
        await(() -> !x.region("handed").isOwner(), 30,
                "x stepping down as the owner of one region while it fills a replica of another");
        assertThrows(IllegalStateException.class, () -> writers.set(JAVA_LONG, 0, 1L),
                "the deposed owner's writers are revoked");
        assertTrue(stall.isAlive(), "the fill was still held when the handover went through");
        assertFalse(release.getCount() == 0);
    }
}
