package io.memsync.cluster;

import io.memsync.cluster.testkit.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Failover only to a complete copy, and pulls only from one, with separate node processes: a, b and c hold a
 * flushed region; d joins on a host of its own behind a rate-limited link; a dies, b (or c) claims and fills d
 * slowly. While d is half filled, a mount must read exactly the flushed bytes (d answers NOT_HELD, the owner
 * serves); when the new owner dies too, the replica holding every flushed epoch must take over, never d, even
 * when d's uuid sorts above it (the tie-break that made d win before).
 */
@Timeout(300)
class FailoverCompletenessTest {
    private static final int CHUNKS = 128;
    private static final List<String> OPTIONS = List.of("--flush-timeout-ms=60000");

    @Test
    void aReplicaBeingFilledNeitherServesPullsNorWinsFailover() throws Exception {
        assumeTrue(NetNamespace.available(), "needs root with ip and tc to build a second, rate-limited host; "
                + "run the tests as root to include this one");
        List<NodeProcess> nodes = new ArrayList<>();
        try (NetNamespace host = new NetNamespace()) {
            int[] ports = {FreePorts.pick(), FreePorts.pick(), FreePorts.pick(), FreePorts.pick()};
            List<String> members = List.of(host.hostAddress + ":" + ports[0], host.hostAddress + ":" + ports[1],
                    host.hostAddress + ":" + ports[2], host.address + ":" + ports[3]);
            NodeProcess a = start(nodes, "a", List.of(), host.hostAddress, ports[0], members);
            NodeProcess b = start(nodes, "b", List.of(), host.hostAddress, ports[1], members);
            NodeProcess c = start(nodes, "c", List.of(), host.hostAddress, ports[2], members);
            String bId = b.awaitReady(90);
            String cId = c.awaitReady(90);
            a.awaitReady(90);
            awaitMembers(List.of(a, b, c), 3);

            a.call("create full " + ((long) CHUNKS << 16) + " 65536 2", 60);
            a.call("write full 1 40000", 30);
            a.call("flush full", 60);
            String flushed = sum(a.call("checksum full", 30));
            assertEquals(flushed, sum(b.call("checksum full", 30)));
            assertEquals(flushed, sum(c.call("checksum full", 30)));

            // d: behind 4 Mbit/s, so that filling it takes about 16 s; its uuid sorts above the replica that will
            // not claim (of b and c, the greater uuid claims: both hold everything).
            host.limit("4mbit");
            String lesser = bId.compareTo(cId) < 0 ? bId : cId;
            NodeProcess d = null;
            for (int attempt = 0; ; attempt++) {
                d = new NodeProcess("d", host.exec(), host.address, ports[3], members, OPTIONS);
                String dId = d.awaitReady(90);
                if (dId.compareTo(lesser) > 0) {
                    break;
                }
                if (attempt == 9) {
                    // A lesser uuid near the top leaves d little chance (f4...: 1 in 20 per start). The checks below
                    // still hold; only the old tie-break would not have picked d in this run.
                    System.out.println("d's uuid sorts below " + lesser + " after ten starts: going on with it");
                    break;
                }
                d.close();
            }
            nodes.add(d);
            awaitMembers(nodes, 4);
            for (NodeProcess n : nodes) {
                n.call("safe 60", 70);
            }

            a.process().destroyForcibly().waitFor();
            NodeProcess claimer = bId.compareTo(cId) > 0 ? b : c;
            NodeProcess other = claimer == b ? c : b;
            claimer.awaitAnswer("role full", "role owner", "the replica with the greater uuid claiming the region");
            // The new owner places d and fills it over the slow link.
            String applied = d.awaitAnswer("applied full", "role replica", "d holding a copy");
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (chunksApplied(applied) < CHUNKS / 8) {
                assertTrue(System.nanoTime() < deadline, "d's fill never started: " + applied);
                Thread.sleep(100);
                applied = d.call("applied full", 30);
            }
            assertTrue(chunksApplied(applied) < CHUNKS, "d was filled before the test could look: " + applied);
            assertTrue(applied.contains("serves-pulls false"), "a replica being filled answers no pulls: " + applied);

            // Pulls go only to copies known complete: a mount here, spreading over the owner and d, reads the
            // flushed bytes.
            other.call("mount full 4", 60);
            assertEquals(flushed, sum(other.call("mountsum full 0 " + CHUNKS, 120)),
                    "a mount read bytes from a replica still being filled");
            applied = d.call("applied full", 30);
            assertTrue(chunksApplied(applied) < CHUNKS, "d's fill ended before the owner died: " + applied);

            claimer.process().destroyForcibly().waitFor();
            String role = other.awaitAnswer("role full", "role owner",
                    "the replica that holds every flushed epoch taking over (not d, still being filled)");
            assertTrue(role.startsWith("ok role owner"), role);
            assertTrue(d.call("role full", 30).contains("role replica"), "d must not own the region");
            assertEquals(flushed, sum(other.call("checksum full", 30)), "the new owner lost flushed data");

            host.unlimit();
            d.awaitAnswer("checksum full", flushed, "d refilled by the new owner");
        } finally {
            for (NodeProcess n : nodes) {
                n.close();
            }
        }
    }

    private static NodeProcess start(List<NodeProcess> nodes, String name, List<String> prefix, String bind,
                                     int port, List<String> members) throws Exception {
        NodeProcess n = new NodeProcess(name, prefix, bind, port, members, OPTIONS);
        nodes.add(n);
        return n;
    }

    private static void awaitMembers(List<NodeProcess> nodes, int count) throws Exception {
        for (NodeProcess n : nodes) {
            n.awaitAnswer("members", "ok members " + count, n.name + " seeing " + count + " members");
        }
    }

    private static String sum(String answer) {
        return answer.split(" ")[2];
    }

    private static long chunksApplied(String answer) {
        return Long.parseLong(answer.split(" ")[2]);
    }
}
