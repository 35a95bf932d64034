package io.memsync.jmx.dashboard;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.MigrationProgress;
import io.memsync.cluster.Node;
import io.memsync.cluster.RegionRecord;
import io.memsync.jmx.NodeOperations;
import io.memsync.region.page.LazyRegion;
import io.memsync.region.sync.Syncer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The answer of {@code GET /api/status}: this node, the members, every region in the directory, and the mounts. */
final class StatusReport {
    private final Node node;
    private final NodeOperations operations;
    private final Members members;

    StatusReport(Node node, NodeOperations operations, Members members) {
        this.node = node;
        this.operations = operations;
        this.members = members;
    }

    Map<String, Object> build() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("time", System.currentTimeMillis());
        Map<String, Object> self = new LinkedHashMap<>();
        self.put("name", node.name());
        self.put("memberId", node.memberId());
        self.put("dataAddress", node.dataAddress().getHostString() + ":" + node.dataAddress().getPort());
        out.put("node", self);
        out.put("members", members.list());
        List<Map<String, Object>> regions = new ArrayList<>();
        for (RegionRecord r : node.directory().records().stream()
                .sorted((x, y) -> x.name().compareTo(y.name())).toList()) {
            regions.add(region(r));
        }
        out.put("regions", regions);
        List<Map<String, Object>> mounts = new ArrayList<>();
        for (String name : node.mountedRegions()) {
            LazyRegion mount = node.mounted(name);
            if (mount != null) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", name);
                m.put("availability", mount.availability());
                m.put("presentChunks", mount.status().presentChunks());
                m.put("chunkCount", mount.layout().chunkCount());
                mounts.add(m);
            }
        }
        out.put("mounts", mounts);
        return out;
    }

    private Map<String, Object> region(RegionRecord r) {
        Map<String, Object> out = new LinkedHashMap<>();
        ClusterRegion copy = node.region(r.name());
        out.put("name", r.name());
        out.put("owner", node.memberName(r.owner()));
        out.put("ownerId", r.owner());
        out.put("token", r.token());
        out.put("replicas", r.replicas().stream().map(node::memberName).toList());
        out.put("role", copy == null ? "none" : copy.role().name());
        out.put("mounted", node.mounted(r.name()) != null);
        out.put("chunkCount", r.size() / r.chunkSize());
        out.put("chunkSize", r.chunkSize());
        out.put("size", r.size());
        out.put("migratingTo", r.migratingTo() == null ? null : node.memberName(r.migratingTo()));
        if (copy != null) {
            out.put("epoch", copy.epoch());
            out.put("availability", copy.availability());
            out.put("presentChunks", copy.presentChunks());
        } else {
            out.put("epoch", null);
            out.put("availability", null);
            out.put("presentChunks", null);
        }
        Map<String, Long> lags = new LinkedHashMap<>();
        operations.replicaLag(r.name()).forEach((member, lag) -> lags.put(node.memberName(member), lag));
        out.put("replicaLags", lags);
        // Only the owner knows its replicas' lag.
        out.put("lag", copy != null && copy.isOwner()
                ? lags.values().stream().mapToLong(Long::longValue).max().orElse(0) : null);
        Syncer syncer = copy == null ? null : copy.syncer();
        out.put("bytesPushed", syncer == null ? 0 : syncer.bytesPushed());
        out.put("chunksPushed", syncer == null ? 0 : syncer.chunksPushed());
        out.put("syncPaused", syncer != null && syncer.isPaused());
        MigrationProgress m = node.migration(r.name());
        if (m == null) {
            out.put("migration", null);
        } else {
            Map<String, Object> migration = new LinkedHashMap<>();
            migration.put("phase", m.phase().name());
            migration.put("destination", node.memberName(m.destination()));
            migration.put("destinationAvailability", m.destinationAvailability());
            migration.put("lastPauseMs", m.pauseNanos() < 0 ? null : m.pauseNanos() / 1e6);
            migration.put("failure", m.failure());
            out.put("migration", migration);
        }
        return out;
    }
}
