package io.memsync.jmx;

import io.memsync.cluster.Node;
import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.TestNodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanNotificationInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What JConsole shows: every attribute, operation and parameter described, parameters named. */
@Timeout(120)
class MBeanInfoTest {

    @Test
    void everyAttributeOperationParameterAndNotificationIsDescribed() throws Exception {
        List<Node> nodes = TestNodes.start("jmx-info", "solo");
        Node node = nodes.getFirst();
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        try (MemSyncMBeans beans = MemSyncMBeans.register(node, server)) {
            node.createRegion("described", 1 << 20, 65536, 0);
            ObjectName region = MemSyncMBeans.regionObjectName("described");
            Fixtures.await(() -> server.isRegistered(region), 10, "the Region MBean was not registered");
            List<String> problems = new ArrayList<>();
            check(server.getMBeanInfo(MemSyncMBeans.nodeObjectName()), "Node", problems,
                    Set.of("Name", "MemberId", "Members", "ClusterSize", "DataAddress", "Regions", "ChunksServed",
                            "ConnectionsRefused", "ConnectionsRefusedBeforeAuthentication", "ControlPlaneRefusals",
                            "ForeignMembers", "ReplicaLagThresholdEpochs"),
                    Set.of("status", "checksums", "migrate", "startMigration", "flush"),
                    Set.of(Notifications.OWNERSHIP_GAINED, Notifications.OWNERSHIP_LOST,
                            Notifications.MIGRATION_PHASE, Notifications.REPLICA_LAG, Notifications.PEER_LOST,
                            Notifications.REPLICA_DIVERGED));
            check(server.getMBeanInfo(region), "Region", problems,
                    Set.of("Role", "Owner", "Token", "Epoch", "SizeBytes", "ChunkSize", "ChunkCount", "DirtyChunks",
                            "PresentChunks", "Availability", "BytesPushed", "ChunksPushed", "SyncCycles",
                            "SyncFailures", "LastSyncMicros", "BytesPulled", "ChunksPulled", "FaultCount",
                            "FaultLatencyP50Micros", "FaultLatencyP99Micros", "FaultLatencyMaxMicros",
                            "ReplicaLagEpochs", "Tracker", "SyncIntervalMillis", "MigrationPhase",
                            "MigrationDestination", "MigrationDestinationAvailability", "LastMigrationPauseMillis"),
                    Set.of("flush", "checksum", "migrateTo", "startMigration", "cancelMigration", "pauseSync",
                            "resumeSync"),
                    Set.of(Notifications.OWNERSHIP_GAINED, Notifications.OWNERSHIP_LOST,
                            Notifications.MIGRATION_PHASE, Notifications.REPLICA_LAG, Notifications.REPLICA_DIVERGED));
            assertEquals(List.of(), problems);
            MBeanInfo info = server.getMBeanInfo(MemSyncMBeans.nodeObjectName());
            assertTrue(attribute(info, "ReplicaLagThresholdEpochs").isWritable());
            assertTrue(!attribute(info, "Name").isWritable());
            assertTrue(attribute(server.getMBeanInfo(region), "SyncIntervalMillis").isWritable());

            String m = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> MemSyncMBeans.register(node, server)).getMessage();
            assertTrue(m.contains("registered already"), m);
        } finally {
            node.close();
        }
    }

    private static MBeanAttributeInfo attribute(MBeanInfo info, String name) {
        for (MBeanAttributeInfo a : info.getAttributes()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        throw new AssertionError("no attribute " + name);
    }

    private static void check(MBeanInfo info, String what, List<String> problems, Set<String> attributes,
                              Set<String> operations, Set<String> notifications) {
        describes(what, what + " MBean", info.getDescription(), problems);
        Set<String> seen = new HashSet<>();
        for (MBeanAttributeInfo a : info.getAttributes()) {
            seen.add(a.getName());
            describes(a.getName(), what + " attribute " + a.getName(), a.getDescription(), problems);
        }
        if (!seen.containsAll(attributes)) {
            problems.add(what + " lacks attributes: " + attributes.stream().filter(x -> !seen.contains(x)).toList());
        }
        seen.clear();
        for (MBeanOperationInfo o : info.getOperations()) {
            seen.add(o.getName());
            describes(o.getName(), what + " operation " + o.getName(), o.getDescription(), problems);
            if (o.getImpact() == MBeanOperationInfo.UNKNOWN) {
                problems.add(what + " operation " + o.getName() + " has no impact");
            }
            for (MBeanParameterInfo p : o.getSignature()) {
                if (p.getName().matches("(p|arg)\\d+")) {
                    problems.add(what + " operation " + o.getName() + " has an unnamed parameter " + p.getName());
                }
                describes(p.getName(), what + " parameter " + o.getName() + "(" + p.getName() + ")",
                        p.getDescription(), problems);
            }
        }
        if (!seen.containsAll(operations)) {
            problems.add(what + " lacks operations: " + operations.stream().filter(x -> !seen.contains(x)).toList());
        }
        if (info.getConstructors().length != 0) {
            problems.add(what + " shows constructors");
        }
        seen.clear();
        for (MBeanNotificationInfo n : info.getNotifications()) {
            seen.addAll(List.of(n.getNotifTypes()));
            describes(n.getName(), what + " notification " + List.of(n.getNotifTypes()), n.getDescription(),
                    problems);
        }
        if (!seen.equals(notifications)) {
            problems.add(what + " notifications " + seen + ", wanted " + notifications);
        }
    }

    private static void describes(String name, String what, String description, List<String> problems) {
        if (description == null || description.isBlank() || description.equals(name)
                || description.length() < 15 || description.startsWith("Attribute exposed")
                || description.startsWith("Operation exposed")) {
            problems.add(what + " is not described: '" + description + "'");
        }
    }
}
