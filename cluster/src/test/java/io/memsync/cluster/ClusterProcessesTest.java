package io.memsync.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Nodes as separate JVMs on loopback: a real Hazelcast cluster and real TCP between processes. */
@Timeout(180)
class ClusterProcessesTest {

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void threeNodesReplicateAndEveryCopyChecksumsEqualAfterAFlush() throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        List<String> members = new ArrayList<>();
        for (int p : ports) {
            members.add("127.0.0.1:" + p);
        }
        List<NodeProcess> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                nodes.add(new NodeProcess("n" + i, ports[i], members));
            }
            for (NodeProcess n : nodes) {
                n.await("ready", 90);
            }
            long deadline = System.nanoTime() + 60_000_000_000L;
            for (NodeProcess n : nodes) {
                while (!n.call("members", 10).equals("ok members 3")) {
                    assertTrue(System.nanoTime() < deadline, n.name + " never saw 3 members");
                    Thread.sleep(100);
                }
            }
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
}
