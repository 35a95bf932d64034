package io.memsync.jmx;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.Node;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The {@link NodeMBean} of one node. */
final class NodeAdmin implements NodeMBean {
    private final Node node;
    private final Migrations migrations;
    private volatile long lagThreshold = 2;

    NodeAdmin(Node node, Migrations migrations) {
        this.node = node;
        this.migrations = migrations;
    }

    @Override
    public String getName() {
        return node.name();
    }

    @Override
    public String getMemberId() {
        return node.memberId();
    }

    @Override
    public String[] getMembers() {
        return node.memberDescriptions().toArray(String[]::new);
    }

    @Override
    public int getClusterSize() {
        return node.clusterSize();
    }

    @Override
    public String getDataAddress() {
        return node.dataAddress().getHostString() + ":" + node.dataAddress().getPort();
    }

    @Override
    public String[] getRegions() {
        return node.regionNames().toArray(String[]::new);
    }

    @Override
    public long getChunksServed() {
        return node.chunksServed();
    }

    @Override
    public long getConnectionsRefused() {
        return node.connectionsRefused();
    }

    @Override
    public long getConnectionsRefusedBeforeAuthentication() {
        return node.connectionsRefusedBeforeAuthentication();
    }

    @Override
    public long getDivergedChunks() {
        return node.divergedChunks();
    }

    @Override
    public String repair(String region) {
        try {
            return node.repair(region).toString();
        } catch (Exception e) {
            throw Failures.of("repair of region " + region + " failed", e);
        }
    }

    @Override
    public long getControlPlaneRefusals() {
        return node.controlPlaneRefusals();
    }

    @Override
    public int getForeignMembers() {
        return node.foreignMembers();
    }

    @Override
    public long getReplicaLagThresholdEpochs() {
        return lagThreshold;
    }

    @Override
    public void setReplicaLagThresholdEpochs(long epochs) {
        if (epochs < 0) {
            throw new IllegalArgumentException("the replica lag threshold must be at least 0 epochs, got " + epochs);
        }
        lagThreshold = epochs;
    }

    @Override
    public String status() {
        try {
            return ClusterStatus.render(node, this::lagOf);
        } catch (RuntimeException e) {
            throw Failures.of("reading the cluster's status failed (is the node shutting down, or below its minimum"
                    + " cluster size?)", e);
        }
    }

    private Map<String, Long> lagOf(String region) {
        return ReplicaLag.of(node.region(region), node.directory().get(region));
    }

    @Override
    public String[] checksums(String region) {
        try {
            List<String> out = new ArrayList<>();
            node.checksums(region).forEach((member, sum) -> out.add(member + "=" + Long.toHexString(sum)));
            return out.toArray(String[]::new);
        } catch (Exception e) {
            throw Failures.of("checksums of region " + region + " failed", e);
        }
    }

    @Override
    public String migrate(String region, String member) {
        return migrations.migrate(region, member);
    }

    @Override
    public String startMigration(String region, String member) {
        return migrations.start(region, member);
    }

    @Override
    public String flush(String region) {
        return flush(node, region);
    }

    /** Flushes this node's copy of {@code region}, which must be the owner's; a one-line result. */
    static String flush(Node node, String region) {
        ClusterRegion copy = node.region(region);
        if (copy == null || !copy.isOwner()) {
            var r = node.directory().get(region);
            throw new IllegalStateException(r == null ? "no region " + region + " in the cluster"
                    : "region " + region + " is " + (copy == null ? "not held" : "a " + copy.role() + " copy")
                    + " here: flush it on its owner, " + node.memberName(r.owner()));
        }
        long start = System.nanoTime();
        try {
            copy.flush();
        } catch (Exception e) {
            throw Failures.of("flush of region " + region + " failed; the writes not acknowledged stay pending", e);
        }
        double millis = (System.nanoTime() - start) / 1e6;
        var record = node.directory().get(region);
        int placed = record == null ? 0 : record.replicas().size();
        int wanted = record == null ? 0 : record.replicaCount();
        if (placed == 0) {
            // Nothing was sent anywhere: say so rather than "acknowledged".
            return String.format(Locale.ROOT, "flushed region %s: epoch %d in %.3f ms, but no replica is placed (%d "
                    + "wanted): nothing was acknowledged and the writes are on this node only%s", region, copy.epoch(),
                    millis, wanted,
                    wanted > 0 ? "; start another member for a replica" : " (memsync.region." + region
                    + ".replicas is 0)");
        }
        return String.format(Locale.ROOT, "flushed region %s: epoch %d acknowledged by the replica quorum (%d of %d "
                + "wanted replicas placed) in %.3f ms", region, copy.epoch(), placed, wanted, millis);
    }
}
