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
 * A partition isolating the owner, with the minimum cluster size a majority: the owner sits on a host of its own
 * whose link the test cuts. The majority elects a new owner; nothing the old owner writes after the cut is
 * acknowledged to it, and every write it was told is flushed is on the new owner; when the link heals it rejoins
 * as a replica and converges.
 */
@Timeout(300)
class PartitionTest {
    private static final List<String> OPTIONS = List.of("--min-cluster-size=2", "--quorum=1",
            "--flush-timeout-ms=2000", "--maintenance-ms=300");

    @Test
    void aPartitionedOwnerLosesTheRegionToTheMajorityAndComesBackAsAReplica() throws Exception {
        assumeTrue(NetNamespace.available(), "needs root with ip and tc to build a second host whose link can be "
                + "cut; run the tests as root to include this one");
        List<NodeProcess> nodes = new ArrayList<>();
        try (NetNamespace island = new NetNamespace()) {
            int[] ports = {FreePorts.pick(), FreePorts.pick(), FreePorts.pick()};
            List<String> members = List.of(island.address + ":" + ports[0], island.hostAddress + ":" + ports[1],
                    island.hostAddress + ":" + ports[2]);
            NodeProcess owner = new NodeProcess("o", island.exec(), island.address, ports[0], members, OPTIONS);
            nodes.add(owner);
            NodeProcess r1 = new NodeProcess("r1", List.of(), island.hostAddress, ports[1], members, OPTIONS);
            nodes.add(r1);
            NodeProcess r2 = new NodeProcess("r2", List.of(), island.hostAddress, ports[2], members, OPTIONS);
            nodes.add(r2);
            for (NodeProcess n : nodes) {
                n.awaitReady(90);
            }
            for (NodeProcess n : nodes) {
                n.awaitAnswer("members", "ok members 3", n.name + " seeing 3 members");
            }
            for (NodeProcess n : nodes) {
                n.call("safe 60", 70);
            }
            owner.call("create cut " + (8 << 20) + " 65536 2", 60);
            owner.call("ledger cut 2000 50", 30);
            Thread.sleep(1500);

            island.cut();
            // The owner's writer goes on until a flush fails: with its replicas out of reach (and its directory
            // refusing a minority), none succeeds any more. What it was told is flushed is what counts.
            String ended = owner.awaitAnswer("ledgered cut", "state failed", "the cut-off owner's flushes failing");
            long acknowledged = Long.parseLong(ended.split(" ")[5]);

            // The majority elects a new owner.
            NodeProcess heir = null;
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (heir == null) {
                assertTrue(System.nanoTime() < deadline, "the majority elected no owner within 60 s");
                for (NodeProcess n : List.of(r1, r2)) {
                    if (n.ask("availability cut", 30).contains(" role owner ")) {
                        heir = n;
                    }
                }
                Thread.sleep(50);
            }
            String check = heir.call("ledgercheck cut " + acknowledged, 60);
            long held = Long.parseLong(check.split(" ")[3]);
            assertTrue(held >= acknowledged, "every write the old owner was told is flushed: " + check);
            heir.call("ledger cut 2000 50", 30);
            Thread.sleep(1000);
            // The old owner, cut off, still believes it owns the region; writes it makes now reach nobody.
            String isolated = owner.ask("write cut 9 100", 30);
            String flush = owner.ask("flush cut", 30);
            assertTrue(flush.startsWith("error"), "a flush on the cut-off owner must fail: " + flush + " (write: "
                    + isolated + ")");

            island.heal();
            owner.awaitAnswer("role cut", "role replica", "the old owner rejoining as a replica");
            String stopped = heir.call("ledgerstop cut", 60);
            heir.call("flush cut", 60);
            String sum = heir.call("checksum cut", 60).split(" ")[2];
            owner.awaitAnswer("checksum cut", sum, "the old owner converging with the new one (" + stopped + ")");
            assertEquals(sum, (r1 == heir ? r2 : r1).call("checksum cut", 60).split(" ")[2]);
            assertTrue(owner.call("ledgercheck cut " + acknowledged, 60).startsWith("ok"));
        } finally {
            for (NodeProcess n : nodes) {
                n.close();
            }
        }
    }
}
