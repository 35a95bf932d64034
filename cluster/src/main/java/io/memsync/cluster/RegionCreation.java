package io.memsync.cluster;

import io.memsync.cluster.wire.DataServer;
import io.memsync.cluster.wire.ServedRegion;
import io.memsync.region.ChunkLayout;
import io.memsync.region.Region;
import io.memsync.region.track.DirtyTracker;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Creates a region owned by this node: picks its replicas among the live members, writes its record, builds the
 * owner's copy through the {@link OwnerPipeline}, waits for the replicas to serve it and connects them. On the
 * caller's thread (it waits for peers); nothing else can know of the region before its record is written. A
 * failure undoes what this call did, and only that.
 */
final class RegionCreation {
    private static final System.Logger LOG = System.getLogger(RegionCreation.class.getName());

    private final NodeConfig config;
    private final Membership membership;
    private final RegionDirectory directory;
    private final DataServer data;
    private final Copies copies;
    private final OwnerPipeline pipeline;
    private final Links links;
    private final Consumer<RegionRecord> afterCreation;

    /** {@code afterCreation} hears of each region created, once its copy is registered here. */
    RegionCreation(NodeConfig config, Membership membership, RegionDirectory directory, DataServer data,
                   Copies copies, OwnerPipeline pipeline, Links links, Consumer<RegionRecord> afterCreation) {
        this.config = config;
        this.membership = membership;
        this.directory = directory;
        this.data = data;
        this.copies = copies;
        this.pipeline = pipeline;
        this.links = links;
        this.afterCreation = afterCreation;
    }

    /** See {@link Node#createRegion(String, long, int, int, boolean)}. */
    ClusterRegion create(String name, long size, int chunkSize, int replicaCount, boolean placeLater)
            throws IOException {
        ChunkLayout layout = new ChunkLayout(size, chunkSize);
        String me = membership.memberId();
        List<String> others = membership.members().stream().filter(u -> !u.equals(me)).toList();
        if (replicaCount < 0 || (replicaCount > others.size() && !placeLater)) {
            throw new IllegalArgumentException("region " + name + " wants " + replicaCount + " replicas but only "
                    + others.size() + " other members are up");
        }
        if (!membership.awaitClusterSafe(Duration.ofSeconds(30))) {
            LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": creating region " + name + " while "
                    + "Hazelcast partitions are still migrating: a member dying now could lose its directory entry");
        }
        long id = RegionDirectory.newId();
        // Spread over the members by the id, so that regions created one after the other land on different ones.
        List<String> replicas = new ArrayList<>();
        int first = (int) Math.floorMod(id, (long) Math.max(1, others.size()));
        for (int i = 0; i < Math.min(replicaCount, others.size()); i++) {
            replicas.add(others.get((first + i) % others.size()));
        }
        Region region = copies.newRegion(name, size, chunkSize);
        boolean hasContent = copies.backingFile(name) != null;
        ServedRegion served = pipeline.served(id, name, region, ServedRegion.Role.OWNER, 1);
        RegionRecord record = RegionRecord.created(name, id, size, chunkSize, me, replicas, replicaCount, !hasContent);
        ClusterRegion owner = null;
        boolean created = false;
        try {
            DirtyTracker tracker = pipeline.tracker(name, region, null);
            if (!directory.create(record)) {
                throw new IllegalArgumentException("region " + name + " exists already in the cluster");
            }
            created = true;
            // Replicas wanted but not placed yet count too: a flush before maintenance places them waits for them.
            owner = pipeline.open(name, id, region, null, served, 1, tracker, replicaCount);
            directory.awaitServing(name, replicas, Duration.ofSeconds(30), membership::memberName);
            for (String replica : replicas) {
                // A new memfd and a new replica are both all zeros: nothing to fill. An adopted file is not.
                owner.sink().add(replica, links.open(replica, chunkSize), hasContent);
            }
            if (!copies.add(owner)) {
                throw new IllegalStateException("this node holds a copy of region " + name + " already");
            }
            pipeline.start(owner);
            afterCreation.accept(record);
            return owner;
        } catch (IOException | RuntimeException e) {
            // Undo only what this call did: serving under its fresh id, and the record if it was ours.
            data.stopServing(served);
            if (owner != null) {
                owner.sink().replicas().forEach(r -> r.link().close());
            }
            if (created) {
                RegionRecord now = directory.get(name);
                if (now != null && now.id() == id) {
                    directory.remove(now);
                }
            }
            region.close();
            throw e;
        }
    }
}
