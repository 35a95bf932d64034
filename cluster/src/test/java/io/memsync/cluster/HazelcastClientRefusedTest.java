package io.memsync.cluster;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.core.HazelcastInstance;
import io.memsync.cluster.testkit.TestNodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13: a plain Hazelcast client that knows the cluster name and a member's address could connect, read the
 * directory and rewrite it. A memsync member opens no client endpoint: the client never gets in (the nodes
 * themselves, members of the cluster, are unaffected).
 */
@Timeout(120)
class HazelcastClientRefusedTest {

    @Test
    void aHazelcastClientThatKnowsTheClusterNameCannotConnect() throws Exception {
        List<Node> nodes = TestNodes.start("no-clients", "n0", "n1");
        try {
            Node node = nodes.getFirst();
            node.createRegion("guarded", 1 << 20, 65536, 1);
            ClientConfig client = new ClientConfig();
            client.setClusterName(node.config().clusterName());
            client.getNetworkConfig().addAddress(node.config().host() + ":" + node.config().hazelcastPort());
            client.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(4000);
            client.setProperty("hazelcast.logging.type", "jdk");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
                HazelcastInstance connected = HazelcastClient.newHazelcastClient(client);
                connected.shutdown();
            }, "a Hazelcast client connected to a memsync member");
            assertTrue(e.getMessage().contains("Unable to connect"), e.getMessage());
            assertTrue(node.region("guarded").isOwner(), "the nodes go on");
            assertTrue(nodes.get(1).clusterSize() == 2);
        } finally {
            TestNodes.close(nodes);
        }
    }
}
