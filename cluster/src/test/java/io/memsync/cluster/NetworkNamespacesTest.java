package io.memsync.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.memsync.cluster.NetNamespace.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two nodes as separate hosts: each in a network namespace of its own, joined by a veth pair this test creates
 * (addresses 10.231.N.1 and .2, which exist only inside those namespaces) and removes.
 */
@Timeout(180)
class NetworkNamespacesTest {

    @Test
    void nodesOnTwoHostsReplicateOverAVethLink() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "creating network namespaces needs root; run the tests as root to include this one");
        long pid = ProcessHandle.current().pid();
        String a = "memsync-a-" + pid;
        String b = "memsync-b-" + pid;
        int subnet = (int) (pid % 250) + 1;
        String hostA = "10.231." + subnet + ".1";
        String hostB = "10.231." + subnet + ".2";
        String vethA = "ms" + (pid % 100000) + "a";
        String vethB = "ms" + (pid % 100000) + "b";
        List<NodeProcess> nodes = new ArrayList<>();
        try {
            run("ip", "netns", "add", a);
            run("ip", "netns", "add", b);
            run("ip", "link", "add", vethA, "type", "veth", "peer", "name", vethB);
            run("ip", "link", "set", vethA, "netns", a);
            run("ip", "link", "set", vethB, "netns", b);
            run("ip", "-n", a, "addr", "add", hostA + "/24", "dev", vethA);
            run("ip", "-n", b, "addr", "add", hostB + "/24", "dev", vethB);
            for (String[] nsDev : new String[][] {{a, vethA}, {b, vethB}}) {
                run("ip", "-n", nsDev[0], "link", "set", "lo", "up");
                run("ip", "-n", nsDev[0], "link", "set", nsDev[1], "up");
            }
            List<String> members = List.of(hostA + ":5701", hostB + ":5701");
            nodes.add(new NodeProcess("host-a", List.of("ip", "netns", "exec", a), hostA, 5701, members));
            nodes.add(new NodeProcess("host-b", List.of("ip", "netns", "exec", b), hostB, 5701, members));
            for (NodeProcess n : nodes) {
                n.await("ready", 90);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (NodeProcess n : nodes) {
                while (!n.call("members", 10).equals("ok members 2")) {
                    assertTrue(System.nanoTime() < deadline, n.name + " never saw the other host");
                    Thread.sleep(100);
                }
            }
            NodeProcess owner = nodes.get(0);
            owner.call("create across " + (8 << 20) + " 65536 1", 60);
            owner.call("write across 7 30000", 30);
            owner.call("flush across", 30);
            assertEquals(owner.call("checksum across", 30).split(" ")[2],
                    nodes.get(1).call("checksum across", 30).split(" ")[2], "the replica on the other host");
        } finally {
            for (NodeProcess n : nodes) {
                n.close();
            }
            for (String ns : new String[] {a, b}) {
                try {
                    run("ip", "netns", "del", ns);
                } catch (IOException ignored) {
                    // Not created, or already gone.
                }
            }
        }
    }
}
