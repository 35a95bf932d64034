package io.memsync.jmx;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.MigrationListener;
import io.memsync.cluster.MigrationProgress;
import io.memsync.cluster.Node;
import io.memsync.cluster.OwnershipListener;
import io.memsync.cluster.PeerListener;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns the node's callbacks (ownership, migration phases, peers) and the monitor's lag findings into JMX
 * notifications: from the Node MBean, and for region events from that region's MBean too. Sending only queues
 * them (listeners run on the notification thread), so the node's threads are not held up.
 */
final class NodeEvents implements OwnershipListener, MigrationListener, PeerListener,
        io.memsync.cluster.DivergenceListener {
    private final Node node;
    private final Notifications.Emitter nodeEmitter;
    private final RegionBeans regions;
    private final Runnable regionsChanged;

    /** {@code regionsChanged} runs after an ownership change, when the copies this node holds may differ. */
    NodeEvents(Node node, Notifications.Emitter nodeEmitter, RegionBeans regions, Runnable regionsChanged) {
        this.node = node;
        this.nodeEmitter = nodeEmitter;
        this.regions = regions;
        this.regionsChanged = regionsChanged;
    }

    @Override
    public void gained(ClusterRegion region) {
        regionsChanged.run();
        send(region.name(), Notifications.OWNERSHIP_GAINED, "node " + node.name() + " owns region " + region.name()
                + " now, with token " + region.token(), facts("region", region.name(), "newOwner", node.name(),
                "newOwnerId", node.memberId(), "token", region.token()));
    }

    @Override
    public void lost(String name, String newOwner, long token) {
        regionsChanged.run();
        String owner = node.memberName(newOwner);
        send(name, Notifications.OWNERSHIP_LOST, "node " + node.name() + " no longer owns region " + name + ": " + owner
                + " does, with token " + token, facts("region", name, "newOwner", owner, "newOwnerId", newOwner,
                "token", token));
    }

    @Override
    public void diverged(String region, String replica, int chunks) {
        send(region, Notifications.REPLICA_DIVERGED, chunks + " chunk" + (chunks == 1 ? "" : "s") + " of region "
                + region + " on " + replica + " differed from the owner's and were sent again",
                facts("region", region, "replica", replica, "chunks", (long) chunks));
    }

    @Override
    public void phaseChanged(MigrationProgress p) {
        String destination = node.memberName(p.destination());
        String failure = p.failure() == null ? "" : p.failure();
        long pauseMicros = p.pauseNanos() < 0 ? -1 : p.pauseNanos() / 1000;
        send(p.region(), Notifications.MIGRATION_PHASE, "migration of region " + p.region() + " to " + destination
                + ": " + p.phase() + (p.phase() == MigrationProgress.Phase.DONE ? ", writers paused "
                + pauseMicros + " us" : "") + (failure.isEmpty() ? "" : " (" + failure + ")"),
                facts("region", p.region(), "destination", destination, "destinationId", p.destination(),
                        "phase", p.phase().name(), "rounds", (long) p.rounds(), "chunksSent", p.chunksSent(),
                        "pauseMicros", pauseMicros, "failure", failure));
    }

    @Override
    public void lost(String memberId, String name, String address) {
        nodeEmitter.send(Notifications.PEER_LOST, "member " + name + " (" + memberId + ", " + address + ") left the"
                + " cluster or was declared dead; its regions fail over to their replicas", facts("member", name,
                "memberId", memberId, "address", address));
    }

    /** A replica of {@code region} went {@code lag} epochs behind, over {@code threshold}. */
    void lagging(String region, String member, long lag, long threshold) {
        String name = node.memberName(member);
        send(region, Notifications.REPLICA_LAG, "replica " + name + " of region " + region + " is " + lag
                + " epochs behind (threshold " + threshold + "): its link may be slow or broken", facts("region",
                region, "replica", name, "replicaId", member, "lagEpochs", lag, "thresholdEpochs", threshold));
    }

    private void send(String region, String type, String message, Map<String, Object> facts) {
        nodeEmitter.send(type, message, facts);
        Notifications.Emitter regionEmitter = regions.emitter(region);
        if (regionEmitter != null) {
            regionEmitter.send(type, message, facts);
        }
    }

    private static Map<String, Object> facts(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
}
