package io.memsync.cluster;

import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.TestNodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A replica written by something other than memsync (as a process on its host writing its file would) is made
 * identical to its owner again: at once by {@link Node#repair}, which says what it fixed, and by the background check
 * on its own; listeners and counters hear of it; the owner's own writes are never taken for a divergence.
 */
@Timeout(180)
class AntiEntropyTest {
    private static final int CHUNK = 65536;

    @Test
    void aDivergedReplicaIsRepairedOnDemandAndInTheBackground() throws Exception {
        List<Node> nodes = TestNodes.start("anti-entropy-" + System.nanoTime(), "a", "b");
        try {
            Node a = nodes.get(0);
            Node b = nodes.get(1);
            a.antiEntropy(Duration.ZERO, 1);
            ClusterRegion owned = a.createRegion("r", 64L * CHUNK, CHUNK, 1);
            ClusterRegion replica = b.awaitRegion("r", Duration.ofSeconds(60));
            for (int c = 0; c < 64; c++) {
                owned.segment().set(JAVA_LONG, (long) c * CHUNK, c + 1);
            }
            owned.flush();
            Fixtures.await(() -> replica.checksum() == owned.checksum(), 30, "the replica never matched");
            List<String> heard = new CopyOnWriteArrayList<>();
            a.addDivergenceListener((region, node, chunks) -> heard.add(region + "@" + node + "=" + chunks));

            // Nothing differs: nothing is sent again.
            RepairReport clean = a.repair("r");
            assertEquals(Map.of(), clean.fixed(), clean.toString());
            assertEquals(1, clean.replicas());
            assertEquals(64, clean.chunks());

            // Three chunks of the replica written behind memsync's back.
            MemorySegment behind = replica.region().segment();
            for (int c : new int[] {3, 17, 63}) {
                behind.set(JAVA_LONG, (long) c * CHUNK + 8, -1L);
            }
            assertNotEquals(owned.checksum(), replica.checksum());
            RepairReport fixed = a.repair("r");
            assertEquals(Map.of("b", 3), fixed.fixed(), fixed.toString());
            assertEquals(owned.checksum(), replica.checksum(), "repair left the copies different");
            assertEquals(3, a.divergedChunks());
            assertEquals(1, a.repairs());
            assertEquals(List.of("r@b=3"), heard);

            // The owner's own writes between checks are no divergence.
            owned.segment().set(JAVA_LONG, 5L * CHUNK, 99L);
            assertEquals(Map.of(), a.repair("r").fixed());
            assertEquals(3, a.divergedChunks());

            // In the background, a window at a time, without anyone asking.
            behind.set(JAVA_LONG, 40L * CHUNK, 7L);
            a.antiEntropy(Duration.ofMillis(100), 16L * CHUNK);
            Fixtures.await(() -> replica.checksum() == owned.checksum(), 30, "the background check never repaired");
            assertEquals(4, a.divergedChunks());

            // Repair runs on the owner only.
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.repair("r"));
            assertTrue(e.getMessage().contains("repair it on its owner, a"), e.getMessage());
        } finally {
            TestNodes.close(nodes);
        }
    }
}
