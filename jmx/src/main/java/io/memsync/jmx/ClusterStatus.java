package io.memsync.jmx;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.MigrationProgress;
import io.memsync.cluster.Node;
import io.memsync.cluster.RegionRecord;
import io.memsync.region.sync.Syncer;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** The readable report of {@link NodeMBean#status()}: members, then every region in the directory. */
final class ClusterStatus {
    private ClusterStatus() {
    }

    /** The report, with {@code lag} giving replica lags of regions this node owns. */
    static String render(Node node, Function<String, Map<String, Long>> lag) {
        StringBuilder out = new StringBuilder();
        String me = node.memberId();
        out.append("node ").append(node.name()).append(" (").append(me).append("), data ")
                .append(node.dataAddress().getHostString()).append(':').append(node.dataAddress().getPort())
                .append(", cluster of ").append(node.clusterSize()).append('\n');
        out.append("members:\n");
        for (String m : node.memberDescriptions()) {
            out.append("  ").append(m).append(m.contains(me) ? "  (this node)" : "").append('\n');
        }
        List<RegionRecord> records = node.directory().records();
        out.append("regions: ").append(records.size()).append('\n');
        for (RegionRecord r : records) {
            region(out, node, r, lag.apply(r.name()));
        }
        return out.toString();
    }

    private static void region(StringBuilder out, Node node, RegionRecord r, Map<String, Long> lags) {
        out.append("  ").append(r.name()).append(": ").append(bytes(r.size())).append(" in ")
                .append(r.size() / r.chunkSize()).append(" chunks of ").append(bytes(r.chunkSize()))
                .append(", owner ").append(node.memberName(r.owner())).append(", token ").append(r.token())
                .append('\n');
        out.append("    replicas (").append(r.replicas().size()).append(" of ").append(r.replicaCount())
                .append(" wanted):");
        if (r.replicas().isEmpty()) {
            out.append(" none");
        }
        // On the owner the acknowledgements are read from its links; the directory's are recorded for failover
        // only when they change its choice (AckRecorder), so they may be older.
        ClusterRegion copy = node.region(r.name());
        long ownerEpoch = copy != null && copy.isOwner() ? copy.epoch() : -1;
        for (String replica : r.replicas()) {
            Long acked = ownerEpoch >= 0 && lags.containsKey(replica) ? (Long) (ownerEpoch - lags.get(replica))
                    : (Long) r.ackedEpoch(replica);
            out.append(' ').append(node.memberName(replica)).append(" acked ")
                    .append(acked == null || acked < 0 ? "nothing" : "epoch " + acked);
            if (lags.containsKey(replica)) {
                out.append(" lag ").append(lags.get(replica));
            }
            out.append(';');
        }
        out.append('\n');
        if (r.migratingTo() != null) {
            out.append("    migrating to ").append(node.memberName(r.migratingTo())).append('\n');
        }
        out.append("    here: ");
        if (copy == null) {
            out.append("no copy");
        } else {
            out.append(copy.role()).append(", epoch ").append(copy.epoch()).append(", ")
                    .append(String.format(Locale.ROOT, "%.1f", copy.availability() * 100)).append(" % present");
            Syncer syncer = copy.syncer();
            if (syncer != null) {
                out.append(", pushing every ").append(syncer.interval().toNanos() / 1e6).append(" ms with the ")
                        .append(syncer.tracker().describe()).append(" tracker")
                        .append(syncer.isPaused() ? " (PAUSED: flushes fail until resumeSync)" : "");
            }
        }
        out.append('\n');
        MigrationProgress m = node.migration(r.name());
        if (m != null) {
            out.append("    last migration from here: ").append(m).append('\n');
        }
    }

    private static String bytes(long n) {
        if (n >= 1L << 30 && n % (1L << 30) == 0) {
            return (n >> 30) + " GiB";
        }
        if (n >= 1L << 20 && n % (1L << 20) == 0) {
            return (n >> 20) + " MiB";
        }
        if (n >= 1L << 10 && n % (1L << 10) == 0) {
            return (n >> 10) + " KiB";
        }
        return n + " bytes";
    }
}
