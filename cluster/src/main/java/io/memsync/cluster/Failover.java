package io.memsync.cluster;

import io.memsync.cluster.wire.PeerLink;
import io.memsync.cluster.wire.ServedRegion;
import io.memsync.region.track.DirtyTracker;

import java.util.List;
import java.util.Map;

/**
 * Changes of ownership as this node sees them, on the {@link Conductor}: a replica that is the successor of a dead
 * owner claims the region; a replica the directory names owner (after a claim, or a migration's handover) becomes
 * the owner's copy; an owner the directory no longer names steps down to a replica at once, its writers revoked.
 * None of them waits for the network: replicas are connected and filled by {@link Placement} afterwards.
 */
final class Failover {
    private static final System.Logger LOG = System.getLogger(Failover.class.getName());

    private final NodeConfig config;
    private final Membership membership;
    private final RegionDirectory directory;
    private final Copies copies;
    private final OwnerPipeline pipeline;
    private final Placement placement;
    private final Listeners listeners;
    /** Regions whose owner died while no live replica held everything flushed (logged once, on the conductor). */
    private final java.util.Set<String> stranded = new java.util.HashSet<>();

    Failover(NodeConfig config, Membership membership, RegionDirectory directory, Copies copies,
             OwnerPipeline pipeline, Placement placement, Listeners listeners) {
        this.config = config;
        this.membership = membership;
        this.directory = directory;
        this.copies = copies;
        this.pipeline = pipeline;
        this.placement = placement;
        this.listeners = listeners;
    }

    /**
     * Claims region {@code r}, whose owner is dead, if this node's replica is the one that must: the live replica
     * known to hold every flushed epoch ({@link RegionRecord#successor}). Returns the record claimed, or null.
     */
    RegionRecord claimIfSuccessor(RegionRecord r, List<String> live) {
        String me = membership.memberId();
        String successor = r.successor(live);
        if (successor == null) {
            if (stranded.add(r.name())) {
                LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": region " + r.name() + " has lost "
                        + "its owner, and the replicas known to hold everything flushed (" + names(r) + ") are down: "
                        + "it waits for one of them to come back rather than lose what was flushed to them");
            }
            return null;
        }
        if (stranded.remove(r.name())) {
            LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": region " + r.name() + " has a live "
                    + "replica holding everything flushed again: " + membership.memberName(successor));
        }
        if (!me.equals(successor)) {
            return null;
        }
        List<String> others = r.replicas().stream().filter(live::contains).filter(u -> !u.equals(me)).toList();
        RegionRecord claimed = directory.claim(r.name(), r.token(), me, others);
        if (claimed == null) {
            LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": region " + r.name()
                    + " was claimed by another node first");
            return null;
        }
        boolean inOrder = membership.leftInOrder(r.owner());
        LOG.log(inOrder ? System.Logger.Level.INFO : System.Logger.Level.WARNING, "node " + config.name()
                + ": claimed region " + r.name() + " from " + membership.memberName(r.owner())
                + (inOrder ? " (it left in order)" : " (gone)") + " with token " + claimed.token() + ", holding every epoch"
                + " flushed under token " + r.held().get(me).token() + " up to " + r.held().get(me).epoch());
        return claimed;
    }

    /** The replicas that hold the most, by name, or "none" when no replica is known to hold anything. */
    private String names(RegionRecord r) {
        RegionRecord.Held best = r.best();
        if (best == null) {
            return "none known";
        }
        java.util.List<String> holders = new java.util.ArrayList<>();
        for (java.util.Map.Entry<String, RegionRecord.Held> e : r.held().entrySet()) {
            if (e.getValue().equals(best)) {
                holders.add(membership.memberName(e.getKey()));
            }
        }
        return String.join(", ", holders);
    }

    /**
     * This node's {@code replica} becomes the owner named by {@code record}: fenced by its token, tracked, pushing to
     * the live replicas. After a claim they may differ in what the old owner sent after its last flush, so each gets
     * the whole region once before its acknowledgements count; after a migration's handover ({@code armed}: the
     * tracker the destination armed, and the links it opened, {@code ready}) they all hold the final round.
     */
    void promote(ClusterRegion replica, RegionRecord record, DirtyTracker armed, Map<String, PeerLink> ready) {
        String name = record.name();
        if (copies.get(name) != replica || replica.isOwner()) {
            Links.closeAll(ready);
            return;
        }
        boolean handedOver = armed != null;
        DirtyTracker tracker = handedOver ? armed : pipeline.tracker(name, replica.region(), replica.lazy());
        ServedRegion served = replica.served();
        ClusterRegion owner = pipeline.open(name, record.id(), replica.region(), replica.lazy(), served,
                record.token(), tracker, record.replicas().size());
        List<String> live = membership.members();
        List<String> replicas = record.replicas().stream().filter(live::contains).toList();
        pipeline.connect(owner, replicas, ready, !handedOver);
        Links.closeAll(ready);
        copies.replace(replica, owner);
        pipeline.start(owner);
        listeners.gained(owner);
        LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": owns region " + name + " with token "
                + record.token() + " now" + (handedOver ? ", handed over by a migration" : ""));
        placement.schedule(name);
    }

    /**
     * Another node owns the region now (a migration handed it over, or this node was paused or cut off while it was
     * claimed): the writers' view is revoked and pushing stops at once, without a last flush; the memory stays as a
     * replica under the new token, which the new owner refills if it places one here.
     */
    void demote(ClusterRegion owner, RegionRecord r) {
        if (copies.get(r.name()) != owner || !owner.isOwner()) {
            return;
        }
        owner.stopPushing();
        ServedRegion served = owner.served();
        served.becomeReplica(ServedRegion.Role.REPLICA, r.token());
        served.applyThrough(owner.region().untrackedMapping());
        ClusterRegion replica = ClusterRegion.replica(r.name(), owner.region(), owner.lazy(), served);
        copies.replace(owner, replica);
        follow(replica, r);
        LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": region " + r.name() + " is owned by "
                + membership.memberName(r.owner()) + " with token " + r.token() + " now; this node stopped writing"
                + " to replicas");
        listeners.lost(r.name(), r.owner(), r.token());
    }

    /**
     * A replica follows the record in force: its token, and its completeness when a handover named it among the
     * replicas that hold the final round (it then answers pulls before the new owner's stream reaches it).
     */
    void follow(ClusterRegion replica, RegionRecord r) {
        ServedRegion served = replica.served();
        served.advanceToken(r.token());
        RegionRecord.Held held = r.held().get(membership.memberId());
        if (held == null || !r.replicas().contains(membership.memberId())) {
            return;
        }
        if (held.token() == r.token() && held.epoch() == 0) {
            served.completeByControlPlane(r.token());
        } else if (held.token() < r.token() && held.equals(r.best())) {
            // Claimed after the owner died, and this copy holds every flushed epoch: the new owner may page from it
            // until it refills it.
            served.carryOver(r.token());
        }
    }
}
