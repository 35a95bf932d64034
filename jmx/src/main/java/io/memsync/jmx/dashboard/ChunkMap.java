package io.memsync.jmx.dashboard;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.Node;
import io.memsync.cluster.RegionRecord;
import io.memsync.region.page.LazyRegion;
import io.memsync.region.pager.PagerStatus;
import io.memsync.region.sync.Syncer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The answer of {@code GET /api/chunks?region=NAME}: the state of every chunk of this node's copy (or lazy mount) of a
 * region, one character each: {@code M} missing (a paged copy that has not pulled it yet), {@code D} dirty (the
 * owner's syncer collected it and has not pushed it yet), {@code S} sent (the owner pushed it in about the last
 * second), {@code P} present. A chunk is reported by the first of these that holds.
 */
final class ChunkMap {
    static final char MISSING = 'M';
    static final char DIRTY = 'D';
    static final char SENT = 'S';
    static final char PRESENT = 'P';

    private ChunkMap() {
    }

    static Map<String, Object> of(Node node, String region) {
        RegionRecord record = node.directory().get(region);
        ClusterRegion copy = node.region(region);
        LazyRegion mount = node.mounted(region);
        if (copy == null && mount == null) {
            if (record == null) {
                throw ApiException.notFound(Api.unknownRegion(node, region));
            }
            throw ApiException.notFound("node " + node.name() + " holds no copy of region " + region + " (owner "
                    + node.memberName(record.owner()) + "): open the dashboard of a node that does");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("region", region);
        String map;
        if (copy != null) {
            out.put("source", copy.role().name());
            map = states(copy.chunkCount(), copy.pagerStatus(), copy.syncer());
        } else {
            out.put("source", "MOUNT");
            map = states(mount.layout().chunkCount(), mount.status(), null);
        }
        out.put("chunkCount", map.length());
        out.put("present", map.chars().filter(c -> c != MISSING).count());
        out.put("map", map);
        return out;
    }

    /** One character per chunk; {@code pager} and {@code syncer} may be null (a complete copy; not the owner). */
    static String states(int chunks, PagerStatus pager, Syncer syncer) {
        char[] out = new char[chunks];
        for (int i = 0; i < chunks; i++) {
            if (pager != null && !pager.isPresent(i)) {
                out[i] = MISSING;
            } else if (syncer != null && syncer.isPending(i)) {
                out[i] = DIRTY;
            } else if (syncer != null && syncer.pushedRecently(i)) {
                out[i] = SENT;
            } else {
                out[i] = PRESENT;
            }
        }
        return new String(out);
    }
}
