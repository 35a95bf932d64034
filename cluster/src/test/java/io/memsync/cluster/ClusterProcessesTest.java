package io.memsync.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Nodes as separate JVMs on loopback: a real Hazelcast cluster and real TCP between processes. */
@Timeout(180)
class ClusterProcessesTest {

    /** Starts {@code count} nodes (added to {@code nodes} as they start) and waits until each sees all. */
    private static void startCluster(List<NodeProcess> nodes, String prefix, int count) throws Exception {
        NodeProcess.startCluster(nodes, prefix, count, List.of());
    }

    @Test
    void threeNodesReplicateAndEveryCopyChecksumsEqualAfterAFlush() throws Exception {
        List<NodeProcess> nodes = new ArrayList<>();
        try {
            startCluster(nodes, "n", 3);
            NodeProcess owner = nodes.get(0);
            owner.call("create shared " + (16 << 20) + " 65536 2", 60);
            for (int round = 1; round <= 3; round++) {
                owner.call("write shared " + round + " 50000", 30);
                owner.call("flush shared", 30);
                String expected = owner.call("checksum shared", 30).split(" ")[2];
                for (NodeProcess replica : nodes.subList(1, 3)) {
                    String[] answer = replica.call("checksum shared", 30).split(" ");
                    assertEquals(expected, answer[2], replica.name + " differs after flush " + round);
                    assertEquals(Integer.toString(round), answer[4], replica.name + " applied epoch");
                }
            }
        } finally {
            for (NodeProcess n : nodes) {
                n.close();
            }
        }
    }

    @Test
    void whenTheOwnerIsKilledAReplicaTakesOverWithEveryFlushedWrite() throws Exception {
        List<NodeProcess> nodes = new ArrayList<>();
        try {
            startCluster(nodes, "f", 3);
            NodeProcess owner = nodes.get(0);
            owner.call("create failing " + (16 << 20) + " 65536 2", 60);
            // Rounds write disjoint areas of 32 chunks; each is flushed, and its checksum noted on the owner.
            String[] flushed = new String[4];
            for (int round = 0; round < 4; round++) {
                String area = (round * 32) + " " + (round * 32 + 32);
                owner.call("write failing " + round + " 20000 " + area, 30);
                owner.call("flush failing", 30);
                flushed[round] = owner.call("checksum failing " + area, 30).split(" ")[2];
            }
            // Unflushed writes in flight, then the owner dies without a word.
            owner.call("write failing 99 20000 128 160", 30);
            owner.process().destroyForcibly().waitFor();

            NodeProcess successor = null;
            long until = System.nanoTime() + 60_000_000_000L;
            while (successor == null) {
                assertTrue(System.nanoTime() < until, "no replica took over within 60 s");
                for (NodeProcess n : nodes.subList(1, 3)) {
                    if (n.call("role failing", 10).startsWith("ok role owner")) {
                        successor = n;
                    }
                }
                Thread.sleep(100);
            }
            assertTrue(successor.call("role failing", 10).endsWith("token 2"), "the new owner holds token 2");
            for (int round = 0; round < 4; round++) {
                String area = (round * 32) + " " + (round * 32 + 32);
                assertEquals(flushed[round], successor.call("checksum failing " + area, 30).split(" ")[2],
                        "flushed round " + round + " survived the owner's death");
            }
            // The new owner writes and replicates to the replica that is left.
            NodeProcess other = nodes.get(1) == successor ? nodes.get(2) : nodes.get(1);
            successor.call("write failing 5 20000 200 232", 30);
            successor.call("flush failing", 30);
            assertEquals(successor.call("checksum failing", 30).split(" ")[2],
                    other.call("checksum failing", 30).split(" ")[2], "the remaining replica follows the new owner");
            assertTrue(other.call("role failing", 10).endsWith("token 2"), "the replica follows the new token");
        } finally {
            for (NodeProcess n : nodes) {
                n.close();
            }
        }
    }

    @Test
    void aRemoteMountPullsTheOwnersBytesWhileItKeepsWriting() throws Exception {
        List<NodeProcess> nodes = new ArrayList<>();
        try {
            startCluster(nodes, "m", 3);
            NodeProcess owner = nodes.get(0);
            NodeProcess reader = nodes.get(2);
            owner.call("create mounted " + (16 << 20) + " 65536 1", 60);
            owner.call("write mounted 1 20000 0 64", 30);
            owner.call("flush mounted", 30);
            reader.call("mount mounted 0", 60);
            for (int round = 1; round <= 3; round++) {
                String area = (round * 64) + " " + (round * 64 + 64);
                owner.call("write mounted " + (round + 1) + " 20000 " + area, 30);
                owner.call("flush mounted", 30);
                String previous = ((round - 1) * 64) + " " + (round * 64);
                assertEquals(owner.call("checksum mounted " + previous, 30).split(" ")[2],
                        reader.call("mountsum mounted " + previous, 60).split(" ")[2],
                        "the mount reads the owner's bytes of round " + (round - 1));
            }
            String present = reader.call("mountsum mounted 192 256", 60).split(" ")[4];
            assertTrue(Integer.parseInt(present) <= 256, "a direct mount pulled only what was read: " + present);
        } finally {
            for (NodeProcess n : nodes) {
                n.close();
            }
        }
    }

    @Test
    void aRemountPullsTheChunksTheLastMountOfTheRegionWaitedForFirst() throws Exception {
        List<NodeProcess> nodes = new ArrayList<>();
        try {
            startCluster(nodes, "w", 2);
            NodeProcess owner = nodes.get(0);
            NodeProcess reader = nodes.get(1);
            owner.call("create replayed " + (256 << 20) + " 65536 0", 60);
            owner.call("write replayed 1 50000 0 4096", 60);
            owner.call("flush replayed", 30);
            String pattern = java.util.stream.IntStream.of(new java.util.SplittableRandom(5).ints(0, 4096).distinct()
                    .limit(32).toArray()).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(","));
            String first = reader.call("mounttouch replayed 0 " + pattern, 60);
            // On demand only, every touch waits, and is counted by the time its read returns (CI once read 31: the pager
            // recorded a touch after queueing its fetch, and the install could wake the reader first).
            assertEquals("32", first.split(" ")[3], "on demand only, every touch waited: " + first);
            // Mounted again, with the background stream, and touched at once: the 32 chunks the last mount waited for
            // come first (without the replay the stream starts at chunk 0, and most of them wait: 256 MiB take it
            // half a second or more).
            String second = reader.call("mounttouch replayed 2 " + pattern, 60);
            assertTrue(Integer.parseInt(second.split(" ")[3]) <= 8, "the working set was replayed: " + second);
            String all = "0 4096";
            assertEquals(owner.call("checksum replayed " + all, 60).split(" ")[2],
                    reader.call("mountsum replayed " + all, 60).split(" ")[2], "the mount reads the owner's bytes");
        } finally {
            for (NodeProcess n : nodes) {
                n.close();
            }
        }
    }

    @Test
    void aLostReplicaIsReplacedAndTheNewOneFilledBeforeItFollows() throws Exception {
        List<NodeProcess> nodes = new ArrayList<>();
        try {
            startCluster(nodes, "r", 4);
            NodeProcess owner = nodes.get(0);
            owner.call("create placed " + (8 << 20) + " 65536 2", 60);
            owner.call("write placed 1 30000", 30);
            owner.call("flush placed", 30);
            List<NodeProcess> replicas = new ArrayList<>();
            NodeProcess spare = null;
            for (NodeProcess n : nodes.subList(1, 4)) {
                if (n.call("has placed", 10).equals("ok has yes")) {
                    replicas.add(n);
                } else {
                    spare = n;
                }
            }
            assertEquals(2, replicas.size(), "two replicas were placed");
            NodeProcess lost = replicas.get(0);
            lost.process().destroyForcibly().waitFor();
            long until = System.nanoTime() + 60_000_000_000L;
            while (!spare.call("has placed", 10).equals("ok has yes")) {
                assertTrue(System.nanoTime() < until, "no replica replaced the lost one within 60 s");
                Thread.sleep(100);
            }
            owner.call("write placed 2 30000", 30);
            long flushDeadline = System.nanoTime() + 60_000_000_000L;
            while (true) {
                try {
                    owner.call("flush placed", 30);
                    break;
                } catch (AssertionError notYet) {
                    // The re-placement may still be filling the new replica.
                    assertTrue(System.nanoTime() < flushDeadline, notYet.getMessage());
                    Thread.sleep(200);
                }
            }
            String expected = owner.call("checksum placed", 30).split(" ")[2];
            assertEquals(expected, spare.call("checksum placed", 30).split(" ")[2], "the new replica was filled");
            assertEquals(expected, replicas.get(1).call("checksum placed", 30).split(" ")[2], "the old one follows");
        } finally {
            for (NodeProcess n : nodes) {
                n.close();
            }
        }
    }

    @Test
    void aPausedReplicaDoesNotStallTheOwnerAndIsRefilledWhenItResumes() throws Exception {
        List<NodeProcess> nodes = new ArrayList<>();
        try {
            NodeProcess.startCluster(nodes, "p", 3,
                    List.of("--quorum=1", "--flush-timeout-ms=1000", "--maintenance-ms=300"));
            NodeProcess owner = nodes.get(0);
            NodeProcess paused = nodes.get(1);
            NodeProcess steady = nodes.get(2);
            owner.call("create paused " + (16 << 20) + " 65536 2", 60);
            owner.call("write paused 1 20000", 30);
            owner.call("flush paused", 30);
            assertEquals(owner.call("checksum paused", 30).split(" ")[2],
                    paused.call("checksum paused", 30).split(" ")[2], "both replicas start in step");

            // Stopped for 3 s, less than Hazelcast's 5 s, whatever the owner is doing then: still a member, but it
            // reads nothing. 16 MiB of writes fill the socket buffers; the owner's flushes take the quorum of 1 the
            // running replica makes (the directory update that ends a flush may still wait for the stopped member
            // while it holds that entry), and the stopped replica's link is cut after 1 s.
            paused.signal("STOP");
            Thread resumer = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(3000);
                    paused.signal("CONT");
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException("could not resume " + paused, e);
                }
            });
            try {
                owner.call("write paused 2 20000", 30);
                owner.call("flush paused", 30);
                owner.call("write paused 3 20000", 30);
                owner.call("flush paused", 30);
            } finally {
                resumer.join();
            }
            assertEquals(owner.call("checksum paused", 30).split(" ")[2],
                    steady.call("checksum paused", 30).split(" ")[2], "the running replica kept up");
            // The owner reconnects the resumed replica, sends it the whole region, and it follows the stream again.
            owner.call("write paused 4 2000", 30);
            owner.call("flush paused", 30);
            String sum = owner.call("checksum paused", 30).split(" ")[2];
            paused.awaitAnswer("checksum paused", "checksum " + sum + " ", "the resumed replica is refilled");
        } finally {
            for (NodeProcess n : nodes) {
                n.signal("CONT");
                n.close();
            }
        }
    }

    @Test
    void aReplicaCutOffLongerThanTheFailureDetectorRejoinsAsAReplicaAndIsRefilled() throws Exception {
        List<NodeProcess> nodes = new ArrayList<>();
        try {
            NodeProcess.startCluster(nodes, "s", 3,
                    List.of("--quorum=1", "--flush-timeout-ms=1000", "--maintenance-ms=300"));
            NodeProcess owner = nodes.get(0);
            NodeProcess cut = nodes.get(1);
            NodeProcess steady = nodes.get(2);
            owner.call("create split " + (16 << 20) + " 65536 2", 60);
            owner.call("write split 1 20000", 30);
            owner.call("flush split", 30);
            // Stopped for 8 s: the others remove it (5 s without heartbeats); on resuming it finds itself alone, a
            // cluster of one (no minimum size is configured), in which the owner is gone: it may claim the region
            // there. Hazelcast merges it back into the larger side, whose directory wins.
            cut.signal("STOP");
            try {
                owner.call("write split 2 20000", 30);
                owner.call("flush split", 30);
                Thread.sleep(8000);
            } finally {
                cut.signal("CONT");
            }
            long until = System.nanoTime() + 90_000_000_000L;
            while (true) {
                owner.call("write split 3 200", 30);
                owner.call("flush split", 30);
                String sum = owner.call("checksum split", 30).split(" ")[2];
                String got;
                try {
                    got = cut.call("checksum split", 40);
                } catch (AssertionError noCopyYet) {
                    // Between dropping the copy it owned on its side and being placed again by the owner.
                    got = noCopyYet.getMessage();
                }
                if (got.startsWith("ok checksum " + sum + " ")) {
                    break;
                }
                assertTrue(System.nanoTime() < until, "the cut-off replica follows the owner again within 90 s;"
                        + " it answers " + got + ", the owner has " + sum);
                Thread.sleep(500);
            }
            assertTrue(owner.call("role split", 30).startsWith("ok role owner token 1"), "the larger side kept it");
            assertTrue(cut.call("role split", 30).startsWith("ok role replica token 1"),
                    "the cut-off node follows the owner's token");
            assertEquals(owner.call("checksum split", 30).split(" ")[2],
                    steady.call("checksum split", 30).split(" ")[2], "the other replica kept up throughout");
        } finally {
            for (NodeProcess n : nodes) {
                n.signal("CONT");
                n.close();
            }
        }
    }

    @Test
    void aPausedOwnerIsFencedOutAndComesBackAsAReplica() throws Exception {
        List<NodeProcess> nodes = new ArrayList<>();
        try {
            NodeProcess.startCluster(nodes, "o", 3, List.of("--min-cluster-size=2", "--maintenance-ms=300"));
            NodeProcess old = nodes.get(0);
            old.call("create fenced " + (16 << 20) + " 65536 2", 60);
            old.call("write fenced 1 20000", 30);
            old.call("flush fenced", 30);

            old.signal("STOP");
            NodeProcess successor = null;
            try {
                long until = System.nanoTime() + 60_000_000_000L;
                while (successor == null) {
                    assertTrue(System.nanoTime() < until, "no replica took over from the paused owner within 60 s");
                    for (NodeProcess n : nodes.subList(1, 3)) {
                        if (n.call("role fenced", 10).startsWith("ok role owner")) {
                            successor = n;
                        }
                    }
                    Thread.sleep(100);
                }
                successor.call("write fenced 2 20000", 30);
                successor.call("flush fenced", 30);
            } finally {
                old.signal("CONT");
            }
            String sum = successor.call("checksum fenced", 30).split(" ")[2];

            // Woken up, the old owner still believes it owns the region: whatever it writes is never acknowledged.
            String write = old.ask("write fenced 3 20000", 30);
            String flush = old.ask("flush fenced", 30);
            assertTrue(write.startsWith("error") || flush.startsWith("error"),
                    "the deposed owner's write was refused or its flush failed: " + write + " / " + flush);
            assertEquals(sum, successor.call("checksum fenced", 30).split(" ")[2],
                    "nothing the deposed owner wrote reached the new owner");

            // It rejoins the cluster, learns of the new owner, and is placed and filled as a replica again.
            old.awaitAnswer("role fenced", "role replica token 2", "the old owner demoted itself");
            old.awaitAnswer("checksum fenced", "checksum " + sum + " ", "the old owner refilled as a replica");
        } finally {
            for (NodeProcess n : nodes) {
                n.signal("CONT");
                n.close();
            }
        }
    }
}
