package io.memsync.cluster;

import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.TlsStores;
import io.memsync.cluster.wire.LinkSecurity;
import io.memsync.cluster.wire.LinkWatchdog;
import io.memsync.cluster.wire.PeerLink;
import io.memsync.cluster.wire.ProtocolException;
import io.memsync.cluster.wire.TlsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three node processes with TLS required on the data plane (keys from {@link TlsStores}, handed over in the
 * environment as an operator's would be): replication, a lazy mount (its pager process connects with TLS too) and a
 * migration under writes all work, and a plain connection to any of them is refused.
 */
@Timeout(300)
class TlsProcessesTest {

    private static String sum(NodeProcess n, String command) throws Exception {
        return n.call(command, 60).split(" ")[2];
    }

    @Test
    void withTlsRequiredRegionsReplicateMountAndMigrateAndPlainPeersAreRefused() throws Exception {
        List<NodeProcess> nodes = new ArrayList<>();
        try (LinkWatchdog watchdog = new LinkWatchdog("test-plain-peer")) {
            List<String> ids = NodeProcess.startCluster(nodes, "s", 3, List.of(),
                    TlsStores.get().environment(TlsConfig.Mode.REQUIRED));
            NodeProcess owner = nodes.get(0);
            owner.call("create sealed " + (16 << 20) + " 65536 1", 60);
            int r = nodes.get(1).call("has sealed", 10).equals("ok has yes") ? 1 : 2;
            NodeProcess replica = nodes.get(r);

            owner.call("write sealed 11 20000", 30);
            owner.call("flush sealed", 30);
            assertEquals(sum(owner, "checksum sealed"), sum(replica, "checksum sealed"), "the replica over TLS");

            // The replica's node mounts the region: its pager process pulls from the owner over TLS.
            replica.call("mount sealed 2", 60);
            assertEquals(sum(owner, "checksum sealed 0 256"), sum(replica, "mountsum sealed 0 256"),
                    "the mount's bytes, paged in over TLS");

            // A migration under writes (a sequence that checks itself, on a fresh region) to the node without a copy:
            // links, the learner's pager and the handover, all over TLS.
            owner.call("create moving " + (16 << 20) + " 65536 1", 60);
            int mr = nodes.get(1).call("has moving", 10).equals("ok has yes") ? 1 : 2;
            NodeProcess destination = nodes.get(3 - mr);
            owner.call("writeloop moving 3000", 10);
            destination.call("writeloop moving 3000", 10);
            Thread.sleep(300);
            owner.call("migrate moving " + ids.get(3 - mr), 10);
            String migrated = owner.call("migration moving", 120);
            assertTrue(migrated.startsWith("ok migrated"), migrated);
            destination.awaitAnswer("availability moving", "role owner token 2", "the destination owns the region");
            Thread.sleep(300);
            long writes = Long.parseLong(destination.call("stoploop moving", 30).split(" ")[2]);
            destination.call("flush moving", 30);
            String expect = destination.call("expect moving", 60);
            assertTrue(expect.startsWith("ok expect " + writes + " writes"), expect);
            assertEquals(sum(destination, "checksum moving"), sum(nodes.get(mr), "checksum moving"),
                    "the replica follows the new owner over TLS");

            // Every node refuses a plain peer that knows the secret.
            for (NodeProcess n : nodes) {
                String[] data = n.call("data", 10).split(" ");
                InetSocketAddress address = new InetSocketAddress(data[2], Integer.parseInt(data[3]));
                ProtocolException e = assertThrows(ProtocolException.class, () -> PeerLink.connect(address,
                        LinkSecurity.secretOnly(Fixtures.secret()), "plain", 65536, Duration.ZERO,
                        Duration.ofSeconds(10), watchdog));
                assertTrue(e.getMessage().contains("requires TLS"), e.getMessage());
                long refused = Long.parseLong(n.call("data", 10).split(" ")[5]);
                assertTrue(refused >= 1, n.name + " counted the plain peer it refused: " + refused);
            }
        } finally {
            for (NodeProcess n : nodes) {
                n.close();
            }
        }
    }
}
