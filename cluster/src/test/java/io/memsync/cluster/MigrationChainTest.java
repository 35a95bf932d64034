package io.memsync.cluster;

import io.memsync.cluster.testkit.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A region migrated on from a destination that is itself still paging it in: a -> b (b pages on demand only), then
 * b -> c (c pages from b, which pages from a and the replica), then c dies while it is still paging in. A copy
 * holding everything c flushed takes over and writes, in separate JVMs. The copies are level, so the greatest uuid
 * decides which: when it is b's, whose copy is still paged, b tracks its writes through its pager's userfaultfd,
 * pages in from the replicas what it lacks, and only then refills them; otherwise a plain copy takes over.
 */
@Timeout(300)
class MigrationChainTest {
    private static final int CHUNKS = 128;
    /** No background pullers on a destination: it pages in only what it touches, and stays in post-copy. */
    private static final List<String> OPTIONS = List.of("--migration-pullers=0", "--maintenance-ms=300");

    @Test
    void aDestinationStillPagingInMigratesOnAndItsDeathLosesNothing() throws Exception {
        List<NodeProcess> nodes = new ArrayList<>();
        try {
            int[] ports = {FreePorts.pick(), FreePorts.pick(), FreePorts.pick(), FreePorts.pick()};
            List<String> members = new ArrayList<>();
            for (int port : ports) {
                members.add("127.0.0.1:" + port);
            }
            NodeProcess a = start(nodes, "a", ports[0], members);
            NodeProcess r = start(nodes, "r", ports[1], members);
            a.awaitReady(90);
            r.awaitReady(90);
            a.awaitAnswer("members", "ok members 2", "a seeing r");
            // Created with only r up: r is its replica, and b and c hold nothing until they are migrated to.
            a.call("create chain " + ((long) CHUNKS << 16) + " 65536 1", 60);
            a.call("write chain 1 20000", 30);
            a.call("flush chain", 60);
            NodeProcess b = start(nodes, "b", ports[2], members);
            String bId = b.awaitReady(90);
            NodeProcess c = start(nodes, "c", ports[3], members);
            String cId = c.awaitReady(90);
            for (NodeProcess n : nodes) {
                n.awaitAnswer("members", "ok members 4", n.name + " seeing 4 members");
                n.call("safe 60", 70);
                n.call("idle chain", 10);
            }

            a.call("migrate chain " + bId + " 1 3 64 0", 30);
            assertTrue(a.call("migration chain", 120).startsWith("ok migrated"));
            b.awaitAnswer("role chain", "role owner", "b owning the region");
            b.call("write chain 2 2000 0 8", 30);
            b.call("flush chain", 60);
            assertTrue(availability(b) < 1.0, "b pages on demand only: it must still be paging in");

            b.call("migrate chain " + cId + " 1 3 64 0", 30);
            assertTrue(b.call("migration chain", 120).startsWith("ok migrated"));
            c.awaitAnswer("role chain", "role owner", "c owning the region");
            c.call("write chain 3 2000 8 16", 30);
            c.call("flush chain", 60);
            String flushed = sum(r.call("checksum chain", 60));
            assertTrue(availability(c) < 1.0, "c is still paging in when it dies");

            c.process().destroyForcibly().waitFor();
            NodeProcess heir = null;
            long deadline = System.nanoTime() + 90_000_000_000L;
            while (heir == null) {
                assertTrue(System.nanoTime() < deadline, "no copy took the region over within 90 s");
                for (NodeProcess n : List.of(a, b, r)) {
                    if (n.ask("availability chain", 30).contains(" role owner ")) {
                        heir = n;
                    }
                }
                Thread.sleep(50);
            }
            String took = heir.call("availability chain", 30);
            System.out.println("after c's death " + heir.name + " owns the region: " + took);
            assertEquals(flushed, sum(heir.call("checksum chain", 120)), heir.name + " lost what c flushed");
            heir.call("write chain 4 500 16 24", 30);
            heir.call("flush chain", 60);
            String now = sum(heir.call("checksum chain", 60));
            // Every copy the new owner keeps converges; one beyond the replica count may be dropped meanwhile.
            for (NodeProcess n : List.of(a, b, r)) {
                if (n != heir) {
                    long until = System.nanoTime() + 60_000_000_000L;
                    String answer;
                    while (!(answer = n.ask("availability chain", 30)).contains("availability none")
                            && !n.ask("checksum chain", 30).startsWith("ok checksum " + now + " ")) {
                        assertTrue(System.nanoTime() < until, n.name + " neither followed the new owner nor dropped "
                                + "its copy within 60 s: " + answer);
                        Thread.sleep(200);
                    }
                }
            }
        } finally {
            for (NodeProcess n : nodes) {
                n.close();
            }
        }
    }

    private static NodeProcess start(List<NodeProcess> nodes, String name, int port, List<String> members)
            throws Exception {
        NodeProcess n = new NodeProcess(name, List.of(), "127.0.0.1", port, members, OPTIONS);
        nodes.add(n);
        return n;
    }

    private static double availability(NodeProcess n) throws Exception {
        return Double.parseDouble(n.call("availability chain", 30).split(" ")[2]);
    }

    private static String sum(String answer) {
        return answer.split(" ")[2];
    }
}
