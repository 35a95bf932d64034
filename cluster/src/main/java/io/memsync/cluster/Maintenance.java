package io.memsync.cluster;

import io.memsync.cluster.wire.DataServer;
import io.memsync.cluster.wire.ServedRegion;
import io.memsync.region.Region;

import java.util.List;
import java.util.function.Predicate;

/**
 * Brings this node's copies in line with the directory, one region at a time, on the {@link Conductor}: for every
 * record, at each periodic pass and whenever the record changes, it decides what this node must do
 * ({@link #decide}, a pure function of the record and the local copy) and does it through the part that owns that
 * job. Running periodically, it retries whatever failed before: a successor that died before claiming, a link that
 * broke, a replica that could not be filled, a migration mark left behind.
 */
final class Maintenance {
    private static final System.Logger LOG = System.getLogger(Maintenance.class.getName());

    /** What this node does about one region. */
    enum Action {
        NONE,
        /** The directory names this node a replica and it has no copy: open one. */
        OPEN_REPLICA,
        /** A migration names this node its destination and it has no copy: prepare a learner. */
        PREPARE_LEARNER,
        /** The handover named this learner owner. */
        PROMOTE_LEARNER,
        /** The migration to this learner ended without a handover. */
        DROP_LEARNER,
        /** This node owns the region here, but the directory names another owner. */
        DEMOTE,
        /** This node owns the region: keep its replicas placed, linked and filled. */
        PLACE,
        /** A migration mark no migration here stands behind (the directory failed as it ended). */
        END_STALE_MIGRATION,
        /** This replica follows a token claimed on the losing side of a split brain. */
        ROLL_BACK_TOKEN,
        /** The directory names this replica owner (after this node's claim, or a migration's handover). */
        PROMOTE,
        /** A migration's handover named this armed replica owner. */
        PROMOTE_ARMED,
        /** A migration to this replica started: arm it. */
        ARM,
        /** The migration to this armed replica ended without a handover. */
        DISARM,
        /** Named a replica (under a uuid this node got when it rejoined, say) but not known to serve: say so. */
        REPORT_SERVING,
        /** The owner no longer places a replica here. */
        DROP_REPLICA,
        /** The owner is gone: claim the region if this replica is its successor. */
        CLAIM
    }

    private final NodeConfig config;
    private final Membership membership;
    private final RegionDirectory directory;
    private final DataServer data;
    private final Copies copies;
    private final OwnerPipeline pipeline;
    private final Failover failover;
    private final Placement placement;
    private final MigrationDestination destination;
    private final Workers workers;
    private final Predicate<String> migratingFromHere;

    Maintenance(NodeConfig config, Membership membership, RegionDirectory directory, DataServer data, Copies copies,
                OwnerPipeline pipeline, Failover failover, Placement placement, MigrationDestination destination,
                Workers workers, Predicate<String> migratingFromHere) {
        this.config = config;
        this.membership = membership;
        this.directory = directory;
        this.data = data;
        this.copies = copies;
        this.pipeline = pipeline;
        this.failover = failover;
        this.placement = placement;
        this.destination = destination;
        this.workers = workers;
        this.migratingFromHere = migratingFromHere;
    }

    /**
     * What a node holding {@code role} (null: no copy) of region {@code r} under token {@code token} must do.
     *
     * @param armed              whether this node's replica is armed for a migration's handover
     * @param migrationRunning   whether a migration of the region runs from this node
     */
    static Action decide(RegionRecord r, ClusterRegion.Role role, long token, boolean armed, String me,
                         List<String> live, boolean migrationRunning) {
        boolean destination = me.equals(r.migratingTo());
        boolean owner = r.owner().equals(me);
        if (role == null) {
            return destination ? Action.PREPARE_LEARNER : r.replicas().contains(me) ? Action.OPEN_REPLICA
                    : Action.NONE;
        }
        switch (role) {
            case LEARNER -> {
                return owner ? Action.PROMOTE_LEARNER : destination ? Action.NONE : Action.DROP_LEARNER;
            }
            case OWNER -> {
                if (!owner) {
                    return Action.DEMOTE;
                }
                return r.migratingTo() == null ? Action.PLACE : migrationRunning ? Action.NONE
                        : Action.END_STALE_MIGRATION;
            }
            default -> {
                if (token > r.token()) {
                    return Action.ROLL_BACK_TOKEN;
                }
                if (owner) {
                    return armed ? Action.PROMOTE_ARMED : Action.PROMOTE;
                }
                if (destination != armed) {
                    return destination ? Action.ARM : Action.DISARM;
                }
                boolean replica = r.replicas().contains(me);
                if (replica && !r.serving().contains(me)) {
                    return Action.REPORT_SERVING;
                }
                if (!live.contains(r.owner())) {
                    return replica ? Action.CLAIM : Action.NONE;
                }
                return replica || destination ? Action.NONE : Action.DROP_REPLICA;
            }
        }
    }

    /** The periodic pass: every region in the directory. */
    void pass() {
        List<String> live;
        List<RegionRecord> records;
        try {
            live = membership.members();
            for (String healed : directory.healOwned(membership.memberId())) {
                LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": wrote the verified record of region "
                        + healed + " back into the directory");
            }
            records = directory.records();
            // Republished when missing: a new uuid after a merge, or an entry Hazelcast lost with a member that
            // died while partitions were migrating.
            membership.publishEndpoint(data.address());
        } catch (RuntimeException e) {
            // Below the minimum cluster size, or shutting down: nothing can be decided now.
            LOG.log(System.Logger.Level.DEBUG, "node " + config.name() + ": maintenance skipped: " + e.getMessage());
            return;
        }
        for (RegionRecord r : records) {
            reconcile(r, live);
        }
    }

    /** One region, whose record changed. */
    void reconcile(RegionRecord r) {
        reconcile(r, membership.members());
    }

    private void reconcile(RegionRecord r, List<String> live) {
        try {
            ClusterRegion copy = copies.get(r.name());
            if (copy != null && copy.role() == ClusterRegion.Role.REPLICA) {
                failover.follow(copy, r);
            }
            Action action = decide(r, copy == null ? null : copy.role(), copy == null ? 0 : copy.token(),
                    destination.isArmed(r.name()), membership.memberId(), live, migratingFromHere.test(r.name()));
            apply(action, r, copy, live);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "node " + config.name() + ": maintaining region " + r.name()
                    + " failed (retried in " + config.maintenanceInterval().toMillis() + " ms): " + e);
            LOG.log(System.Logger.Level.DEBUG, "node " + config.name() + ": maintaining region " + r.name(), e);
        }
    }

    private void apply(Action action, RegionRecord r, ClusterRegion copy, List<String> live) {
        switch (action) {
            case NONE -> {
            }
            case OPEN_REPLICA -> openReplica(r);
            case PREPARE_LEARNER -> destination.prepare(r);
            case PROMOTE_LEARNER -> destination.promoteLearner(copy, r);
            case DROP_LEARNER -> drop(copy, "the migration to this node ended without a handover");
            case DEMOTE -> failover.demote(copy, r);
            case PLACE -> placement.schedule(r.name());
            case END_STALE_MIGRATION -> directory.endMigration(r.name(), r.token(), r.migratingTo());
            case ROLL_BACK_TOKEN -> {
                if (copy.served().rollBackToken()) {
                    // This node claimed the region on its side of a split brain, and lost the merge: the directory's
                    // record (the larger side's) is the truth, and its owner's token is lower than the one held here.
                    LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": region " + r.name()
                            + " follows the token of " + membership.memberName(r.owner()) + " again, " + copy.token()
                            + "; the higher one it held was claimed on the losing side of a split brain");
                }
            }
            case PROMOTE -> failover.promote(copy, r, null, null);
            case PROMOTE_ARMED -> destination.promoteArmed(failover, copy, r);
            case ARM -> destination.arm(copy, r);
            case DISARM -> destination.disarm(copy);
            case REPORT_SERVING -> directory.serving(r.name(), membership.memberId());
            case DROP_REPLICA -> drop(copy, "the owner no longer places a replica here");
            case CLAIM -> {
                RegionRecord claimed = failover.claimIfSuccessor(r, live);
                if (claimed != null) {
                    destination.disarm(copy);
                    failover.promote(copy, claimed, null, null);
                }
            }
        }
    }

    /** Opens this node's replica of {@code r}: served at once, complete once its owner (or the record) says so. */
    private void openReplica(RegionRecord r) {
        Region region = copies.newRegion(r.name(), r.size(), r.chunkSize());
        ClusterRegion replica;
        try {
            ServedRegion served = pipeline.served(r.id(), r.name(), region, ServedRegion.Role.REPLICA, r.token());
            replica = ClusterRegion.replica(r.name(), region, null, served);
            failover.follow(replica, r);
            data.serve(served);
        } catch (RuntimeException e) {
            region.close();
            throw e;
        }
        copies.add(replica);
        directory.serving(r.name(), membership.memberId());
        LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": serving region " + r.name()
                + " as a replica of " + membership.memberName(r.owner()));
    }

    /** Forgets this node's copy of a region it neither owns nor replicates (nor is learning) any more. */
    void drop(ClusterRegion copy, String why) {
        if (!copies.remove(copy)) {
            return;
        }
        data.stopServing(copy.served());
        destination.forget(copy.name());
        LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": dropped its copy of region " + copy.name()
                + ": " + why);
        // Closing a paged copy waits for its pager: off the conductor.
        workers.submit("closing " + copy.name() + "@" + System.identityHashCode(copy), copy::close);
    }
}
