package io.memsync.cluster;

import io.memsync.cluster.wire.LinkSecurity;
import io.memsync.region.ChunkLayout;
import io.memsync.region.page.LazyRegion;
import io.memsync.region.page.PagerConfig;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Regions mounted lazily on this node ({@code Node.mount}), and the pager source spec every paged copy uses: the
 * owner and the replicas of the region over the data plane, never this node itself. A pager served by its own
 * application's JVM would stall that JVM at the next safepoint while a fault waits (the hazard the pager process
 * exists to avoid); the data server only answers from copies known complete, so the source's peers are all safe to
 * ask.
 */
final class Mounts implements AutoCloseable {
    private final NodeConfig config;
    private final Membership membership;
    private final RegionDirectory directory;
    private final LinkSecurity security;
    private final Map<String, LazyRegion> mounts = new ConcurrentHashMap<>();
    /** The region id each mount was made of, by name. */
    private final Map<String, Long> mountedIds = new ConcurrentHashMap<>();

    Mounts(NodeConfig config, Membership membership, RegionDirectory directory, LinkSecurity security) {
        this.security = security;
        this.config = config;
        this.membership = membership;
        this.directory = directory;
    }

    /**
     * Mounts region {@code name}, owned elsewhere, lazily: a pager pulls each chunk on first touch from the owner or
     * a replica (never this node), and the rest in the background, as one stream (0 {@code pullers}: on demand only,
     * the "direct mount"). The chunks the last mount of the same region on this node waited for come first. Read-only.
     */
    LazyRegion mount(String name, int pullers, boolean standby) throws IOException {
        RegionRecord r = directory.get(name);
        if (r == null) {
            throw new IllegalArgumentException("no region " + name + " in the cluster");
        }
        // The chunks the last mount of the same region here waited for come first (its working set, replayed).
        LazyRegion previous = mounts.get(name);
        int[] workingSet = previous != null && Long.valueOf(r.id()).equals(mountedIds.get(name))
                ? previous.touchOrder() : new int[0];
        ChunkLayout layout = new ChunkLayout(r.size(), r.chunkSize());
        workingSet = java.util.Arrays.stream(workingSet).filter(c -> c < layout.chunkCount()).toArray();
        LazyRegion mounted = LazyRegion.mount("mount-" + name, layout, PagerConfig.of(source(r)).withPullers(pullers)
                .withStandby(standby).withPullFirst(workingSet), pagerEnvironment());
        previous = mounts.put(name, mounted);
        mountedIds.put(name, r.id());
        if (previous != null) {
            previous.close();
        }
        return mounted;
    }

    LazyRegion mounted(String name) {
        return mounts.get(name);
    }

    List<String> names() {
        return mounts.keySet().stream().sorted().toList();
    }

    /**
     * The pager source that pulls region {@code r} over the data plane from its owner and replicas, this node left
     * out.
     *
     * @throws IOException if no other member serving it has published an endpoint
     */
    String source(RegionRecord r) throws IOException {
        String me = membership.memberId();
        StringBuilder peers = new StringBuilder();
        for (String member : owners(r)) {
            String endpoint = member.equals(me) ? null : membership.endpointText(member);
            if (endpoint != null) {
                peers.append(peers.isEmpty() ? "" : ",").append(endpoint);
            }
        }
        if (peers.isEmpty()) {
            throw new IOException("no other member serving region " + r.name() + " has a data endpoint (this node "
                    + "never pages from itself)");
        }
        return "tcp:" + Long.toHexString(r.id()) + "@" + peers;
    }

    private static List<String> owners(RegionRecord r) {
        java.util.ArrayList<String> all = new java.util.ArrayList<>();
        all.add(r.owner());
        all.addAll(r.replicas());
        return all;
    }

    /**
     * The pager processes pull over the data plane with this node's secret and TLS, handed over in their environment.
     */
    Map<String, String> pagerEnvironment() {
        return security.environment();
    }

    @Override
    public void close() {
        for (LazyRegion m : mounts.values()) {
            m.close();
        }
        mounts.clear();
    }
}
