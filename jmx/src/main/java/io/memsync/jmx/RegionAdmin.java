package io.memsync.jmx;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.MigrationProgress;
import io.memsync.cluster.Node;
import io.memsync.cluster.RegionRecord;
import io.memsync.region.pager.PagerStatus;
import io.memsync.region.sync.Syncer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@link RegionMBean} of this node's copy of one region. It reads the copy the node holds at each call, not a
 * copy it kept: a change of role (owner, replica, learner) replaces the node's copy object under the same name.
 */
final class RegionAdmin implements RegionMBean {
    private final Node node;
    private final String name;
    private final Migrations migrations;
    /** The push interval an operator set, in ms; 0 for the node's. Re-applied when this node's syncer changes. */
    private volatile long intervalMillis;

    RegionAdmin(Node node, String name, Migrations migrations) {
        this.node = node;
        this.name = name;
        this.migrations = migrations;
    }

    /** The node's copy now; fails with a clear message once it is gone (the MBean goes within a moment). */
    private ClusterRegion copy() {
        ClusterRegion copy = node.region(name);
        if (copy == null) {
            throw new IllegalStateException("this node holds no copy of region " + name + " any more; its MBean is"
                    + " unregistered within a second");
        }
        return copy;
    }

    private ClusterRegion owner(String action) {
        ClusterRegion copy = copy();
        if (!copy.isOwner()) {
            RegionRecord r = node.directory().get(name);
            throw new IllegalStateException("cannot " + action + ": region " + name + " is a " + copy.role()
                    + " copy here; do it on its owner" + (r == null ? "" : ", " + node.memberName(r.owner())));
        }
        return copy;
    }

    private Syncer syncer() {
        return copy().syncer();
    }

    private PagerStatus pager() {
        return copy().pagerStatus();
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public String getRole() {
        return copy().role().name();
    }

    @Override
    public String getOwner() {
        RegionRecord r = node.directory().get(name);
        return r == null ? "" : node.memberName(r.owner());
    }

    @Override
    public long getToken() {
        return copy().token();
    }

    @Override
    public long getEpoch() {
        return copy().epoch();
    }

    @Override
    public long getSizeBytes() {
        return copy().size();
    }

    @Override
    public int getChunkSize() {
        return copy().chunkSize();
    }

    @Override
    public int getChunkCount() {
        return copy().chunkCount();
    }

    @Override
    public long getDirtyChunks() {
        Syncer s = syncer();
        return s == null ? -1 : s.pendingChunks();
    }

    @Override
    public long getPresentChunks() {
        return copy().presentChunks();
    }

    @Override
    public double getAvailability() {
        return copy().availability();
    }

    @Override
    public long getBytesPushed() {
        Syncer s = syncer();
        return s == null ? 0 : s.bytesPushed();
    }

    @Override
    public long getChunksPushed() {
        Syncer s = syncer();
        return s == null ? 0 : s.chunksPushed();
    }

    @Override
    public long getSyncCycles() {
        Syncer s = syncer();
        return s == null ? 0 : s.cycles();
    }

    @Override
    public long getSyncFailures() {
        Syncer s = syncer();
        return s == null ? 0 : s.failures();
    }

    @Override
    public long getLastSyncMicros() {
        Syncer s = syncer();
        return s == null ? 0 : s.lastCycleNanos() / 1000;
    }

    @Override
    public boolean isSyncPaused() {
        Syncer s = syncer();
        return s != null && s.isPaused();
    }

    @Override
    public long getBytesPulled() {
        PagerStatus p = pager();
        return p == null ? 0 : p.bytesInstalled();
    }

    @Override
    public long getChunksPulled() {
        PagerStatus p = pager();
        return p == null ? 0 : p.chunksInstalled();
    }

    @Override
    public long getFaultCount() {
        PagerStatus p = pager();
        return p == null ? 0 : p.faults();
    }

    @Override
    public long getFaultLatencyP50Micros() {
        PagerStatus p = pager();
        return p == null ? 0 : p.faultNanosPercentile(50) / 1000;
    }

    @Override
    public long getFaultLatencyP99Micros() {
        PagerStatus p = pager();
        return p == null ? 0 : p.faultNanosPercentile(99) / 1000;
    }

    @Override
    public long getFaultLatencyMaxMicros() {
        PagerStatus p = pager();
        return p == null ? 0 : p.maxFaultNanos() / 1000;
    }

    @Override
    public long getReplicaLagEpochs() {
        ClusterRegion copy = copy();
        return copy.isOwner() ? ReplicaLag.max(ReplicaLag.of(copy, node.directory().get(name))) : -1;
    }

    @Override
    public String[] getReplicas() {
        ClusterRegion copy = copy();
        RegionRecord r = node.directory().get(name);
        List<String> out = new ArrayList<>();
        if (copy.isOwner()) {
            for (Map.Entry<String, Long> e : ReplicaLag.of(copy, r).entrySet()) {
                out.add(node.memberName(e.getKey()) + " " + e.getKey() + " lag=" + e.getValue());
            }
        } else if (r != null) {
            for (String replica : r.replicas()) {
                long acked = r.ackedEpoch(replica);
                out.add(node.memberName(replica) + " " + replica + " acked=" + (acked < 0 ? "none" : acked));
            }
        }
        return out.toArray(String[]::new);
    }

    @Override
    public String getTracker() {
        Syncer s = syncer();
        return s == null ? "none" : s.tracker().describe();
    }

    @Override
    public long getSyncIntervalMillis() {
        Syncer s = syncer();
        if (s != null) {
            return s.interval().toMillis();
        }
        long set = intervalMillis;
        return set > 0 ? set : node.config().syncInterval().toMillis();
    }

    @Override
    public void setSyncIntervalMillis(long millis) {
        if (millis < 1 || millis > 3_600_000) {
            throw new IllegalArgumentException("the push interval must be from 1 to 3600000 ms, got " + millis);
        }
        intervalMillis = millis;
        applyInterval();
    }

    /** Gives this node's syncer the interval an operator set, if it has another (a new owner's syncer has not). */
    void applyInterval() {
        long set = intervalMillis;
        ClusterRegion copy = node.region(name);
        Syncer s = copy == null ? null : copy.syncer();
        if (set > 0 && s != null && s.interval().toMillis() != set) {
            s.interval(Duration.ofMillis(set));
        }
    }

    @Override
    public String getMigrationPhase() {
        MigrationProgress m = node.migration(name);
        return m == null ? "NONE" : m.phase().name();
    }

    @Override
    public String getMigrationDestination() {
        MigrationProgress m = node.migration(name);
        return m == null ? "" : node.memberName(m.destination());
    }

    @Override
    public double getMigrationDestinationAvailability() {
        MigrationProgress m = node.migration(name);
        return m == null ? 0 : m.destinationAvailability();
    }

    @Override
    public double getLastMigrationPauseMillis() {
        MigrationProgress m = node.migration(name);
        return m == null || m.pauseNanos() < 0 ? -1 : m.pauseNanos() / 1e6;
    }

    @Override
    public String flush() {
        return NodeAdmin.flush(node, name);
    }

    @Override
    public String checksum() {
        try {
            return Long.toHexString(copy().checksum());
        } catch (RuntimeException | InternalError e) {
            // InternalError: a page no member could provide (the pager poisoned it).
            throw Failures.of("checksum of this node's copy of region " + name + " failed", e);
        }
    }

    @Override
    public String migrateTo(String member) {
        return migrations.migrate(name, member);
    }

    @Override
    public String startMigration(String member) {
        return migrations.start(name, member);
    }

    @Override
    public String cancelMigration() {
        MigrationProgress m = node.migration(name);
        if (m == null || m.ended()) {
            throw new IllegalStateException("no migration of region " + name + " is under way from this node"
                    + (m == null ? "" : " (the last one ended: " + m.phase() + ")")
                    + "; cancel it on the node that owns the region");
        }
        m.cancel();
        return "asked the migration of region " + name + " to " + node.memberName(m.destination()) + " to stop (phase "
                + m.phase() + "); it ends CANCELLED unless the handover has begun";
    }

    @Override
    public String pauseSync() {
        owner("pause its pushes").syncer().pause();
        return "paused the pushes of region " + name + ": flushes fail until resumeSync; writes are kept meanwhile";
    }

    @Override
    public String resumeSync() {
        Syncer s = owner("resume its pushes").syncer();
        boolean was = s.isPaused();
        s.resume();
        return was ? "resumed the pushes of region " + name : "the pushes of region " + name + " were not paused";
    }
}
