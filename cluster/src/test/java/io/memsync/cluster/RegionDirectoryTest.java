package io.memsync.cluster;

import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.TestNodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(120)
class RegionDirectoryTest {

    @Test
    void ownershipMovesOnlyWithTheTokenInForce() throws Exception {
        try (Node node = TestNodes.start("directory-test", "solo").get(0)) {
            ClusterRegion region = node.createRegion("solo", 1 << 20, 65536, 0);
            assertTrue(region.isOwner());
            RegionRecord record = node.directory().get("solo");
            assertEquals(1, record.token());
            assertEquals(node.memberId(), record.owner());

            assertNull(node.directory().claim("solo", 0, "usurper", List.of()), "a claim with an old token fails");
            RegionRecord moved = node.directory().claim("solo", 1, "heir", List.of());
            assertEquals(2, moved.token());
            assertEquals("heir", moved.owner());
            assertNull(node.directory().claim("solo", 1, "late", List.of()), "the same token cannot win twice");
            assertEquals("heir", node.directory().get("solo").owner());

            String m = assertThrows(IllegalArgumentException.class,
                    () -> node.createRegion("solo", 1 << 20, 65536, 0)).getMessage();
            assertTrue(m.contains("exists already"), m);
            m = assertThrows(IllegalArgumentException.class,
                    () -> node.createRegion("lonely", 1 << 20, 65536, 1)).getMessage();
            assertTrue(m.contains("only 0 other members are up"), m);

            // The directory says another node owns "solo" now: this node must stop acting as its owner.
            Fixtures.await(() -> !node.region("solo").isOwner(), 30, "the old owner did not step down");
            assertEquals(2, node.region("solo").token(), "it follows the new token as a replica");
            assertThrows(IllegalStateException.class, () -> node.region("solo").flush());
        }
    }

    /**
     * Hazelcast can lose a write while partitions move (a member leaving right after it): the map then holds an older
     * version of a record this node wrote. The node writes its newer version back at once, as no forgery (one INFO
     * line; before, a WARNING that called it a replay, on every clean leave that hit the window).
     */
    @Test
    void aLostWriteOfThisNodesOwnIsWrittenBackNotCalledAReplay() throws Exception {
        try (Node node = TestNodes.start("directory-lost", "solo").get(0)) {
            node.createRegion("kept", 1 << 20, 65536, 0);
            com.hazelcast.map.IMap<String, byte[]> map = com.hazelcast.core.Hazelcast
                    .getHazelcastInstanceByName("memsync-solo").getMap(Membership.DIRECTORY);
            byte[] created = map.get("kept");
            RegionRecord moved = node.directory().claim("kept", 1, node.memberId(), List.of());
            assertEquals(2, moved.token());
            byte[] updated = map.get("kept");
            long refusals = node.controlPlaneRefusals();
            map.set("kept", created);
            assertEquals(2, node.directory().get("kept").token(), "the newer record is the one acted on");
            assertArrayEquals(updated, map.get("kept"), "the newer version was written back");
            assertEquals(refusals, node.controlPlaneRefusals(), "a lost write of its own is no forgery");
        }
    }

    @Test
    void badConfigurationIsRefusedClearly() {
        String m = assertThrows(IllegalArgumentException.class, () -> NodeConfig.loopback("x", "c", 5701, List.of(),
                "short".getBytes(StandardCharsets.US_ASCII))).getMessage();
        assertTrue(m.contains("at least 16 bytes"), m);
        m = assertThrows(IllegalArgumentException.class, () -> NodeConfig.loopback("x", "c", 70000, List.of(),
                Fixtures.secret())).getMessage();
        assertTrue(m.contains("ports must be in"), m);
    }
}
