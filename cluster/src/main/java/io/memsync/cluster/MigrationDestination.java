package io.memsync.cluster;

import io.memsync.cluster.wire.DataServer;
import io.memsync.cluster.wire.PeerLink;
import io.memsync.cluster.wire.ServedRegion;
import io.memsync.region.ChunkLayout;
import io.memsync.region.page.LazyRegion;
import io.memsync.region.page.PagerConfig;
import io.memsync.region.track.DirtyTracker;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * This node as the destination of migrations. Without a copy it becomes a <i>learner</i>: it maps the region
 * lazily (paged in from the source first, from a replica if the source fails), serves it as a copy fed by the
 * source's stream, reports how much it has paged in, and becomes the owner at the handover, paging in on first
 * touch what it still lacks. With a replica it <i>arms</i> it: tracking starts and links to the other members open
 * ahead of the handover, so that the handover itself waits for neither. Preparation (a pager starts, links open)
 * runs on a {@link Workers} thread; every change of the copy's role on the {@link Conductor}.
 */
final class MigrationDestination implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(MigrationDestination.class.getName());

    private final NodeConfig config;
    private final Membership membership;
    private final RegionDirectory directory;
    private final DataServer data;
    private final Copies copies;
    private final OwnerPipeline pipeline;
    private final Placement placement;
    private final Mounts mounts;
    private final Links links;
    private final Listeners listeners;
    private final Workers workers;
    private final Conductor conductor;
    private final PagingReports paging;
    /** Replicas armed for a handover: their trackers. */
    private final Map<String, DirtyTracker> armed = new ConcurrentHashMap<>();
    /** Links opened ahead of a handover, to the members likely to be the replicas then. */
    private final Map<String, Map<String, PeerLink>> ready = new ConcurrentHashMap<>();
    /**
     * Publishes every learner's paged-in share, every 20 ms; this object's thread, started by the first migration to
     * this node (a node that is never a destination has no such thread).
     */
    private final ScheduledExecutorService reporter;
    private final java.util.concurrent.atomic.AtomicBoolean reporting = new java.util.concurrent.atomic.AtomicBoolean();

    MigrationDestination(NodeConfig config, Membership membership, RegionDirectory directory, DataServer data,
                         Copies copies, OwnerPipeline pipeline, Placement placement, Mounts mounts, Links links,
                         Listeners listeners, Workers workers, Conductor conductor, PagingReports paging) {
        this.config = config;
        this.membership = membership;
        this.directory = directory;
        this.data = data;
        this.copies = copies;
        this.pipeline = pipeline;
        this.placement = placement;
        this.mounts = mounts;
        this.links = links;
        this.listeners = listeners;
        this.workers = workers;
        this.conductor = conductor;
        this.paging = paging;
        this.reporter = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                .name("memsync-paging-" + config.name()).daemon(true).unstarted(r));
    }

    /** Starts the reporter's thread, once. */
    private void startReporting() {
        if (reporting.compareAndSet(false, true)) {
            try {
                reporter.scheduleWithFixedDelay(this::report, 20, 20, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // The node closes: nothing to report.
            }
        }
    }

    /** Prepares a learner for {@code r}, whose migration names this node, on a worker. */
    void prepare(RegionRecord r) {
        workers.submit("preparing " + r.name(), () -> prepareNow(r));
    }

    private void prepareNow(RegionRecord r) throws IOException {
        String name = r.name();
        if (copies.backingFile(name) != null) {
            // A paged copy lives in a memfd of its own: the application mapping the file here would never see it.
            throw new IOException("region " + name + " lives in " + copies.backingFile(name) + " on node "
                    + config.name() + ", which holds no replica of it: migrate it to a node that does (raise its "
                    + "replica count)");
        }
        String source = mounts.source(r) + "?order=failover";
        LazyRegion lazy = LazyRegion.mount("learner-" + name, new ChunkLayout(r.size(), r.chunkSize()),
                PagerConfig.of(source).withPullers(config.migrationPullers()).withStandby(false)
                        .withWriteTracking(true), mounts.pagerEnvironment());
        Map<String, PeerLink> opened;
        try {
            // Tracking from now on costs nothing (nothing writes through this mapping before the handover) and spares
            // the handover the tracker's set-up; links now spare it the handshakes.
            lazy.startTracking();
            opened = links.openAll(members(r), membership.memberId(), r.chunkSize());
        } catch (RuntimeException e) {
            lazy.close();
            throw e;
        }
        conductor.execute(() -> register(r, lazy, source, opened));
    }

    /** On the conductor: the prepared copy becomes this node's learner, unless the migration ended meanwhile. */
    private void register(RegionRecord prepared, LazyRegion lazy, String source, Map<String, PeerLink> opened) {
        String name = prepared.name();
        String me = membership.memberId();
        RegionRecord r = directory.get(name);
        if (copies.get(name) != null || r == null || !me.equals(r.migratingTo()) || r.id() != prepared.id()) {
            lazy.close();
            Links.closeAll(opened);
            return;
        }
        ServedRegion served = pipeline.served(r.id(), name, lazy.region(), ServedRegion.Role.LEARNER, r.token());
        // A pushed chunk is current: the pager need not fetch it, and if it had failed to, it reads again (hole 9).
        served.onApplied(lazy::arrived);
        data.serve(served);
        copies.add(ClusterRegion.learner(name, lazy, served));
        startReporting();
        Links.closeAll(ready.put(name, opened));
        directory.serving(name, me);
        LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": ready to take region " + name + " over from "
                + membership.memberName(r.owner()) + " (paging it in through " + source + ")");
    }

    /**
     * On the conductor: this node's replica is the destination of a migration. Pushed chunks already go through a
     * second mapping; tracking starts on the region's own, so that the handover finds it running and the writes
     * it sees from then on are all the application's. Reports itself fully paged in to the source.
     */
    void arm(ClusterRegion replica, RegionRecord r) {
        String name = r.name();
        if (armed.containsKey(name)) {
            return;
        }
        armed.put(name, pipeline.tracker(name, replica.region(), replica.lazy()));
        startReporting();
        String me = membership.memberId();
        workers.submit("linking ahead " + name, () -> {
            Map<String, PeerLink> opened = links.openAll(members(r), me, r.chunkSize());
            conductor.execute(() -> {
                if (armed.containsKey(name)) {
                    Links.closeAll(ready.put(name, opened));
                } else {
                    Links.closeAll(opened);
                }
            });
        });
        paging.report(name, me, replica.availability());
        LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": its replica of " + name
                + " is ready to take the region over from " + membership.memberName(r.owner()));
    }

    boolean isArmed(String name) {
        return armed.containsKey(name);
    }

    /** On the conductor: the migration to this node's replica ended without a handover. */
    void disarm(ClusterRegion replica) {
        String name = replica.name();
        DirtyTracker tracker = armed.remove(name);
        if (tracker != null) {
            if (replica.lazy() == null) {
                // A paged copy's tracker is its pager's, kept for the copy's life; a plain region's is closed, or
                // the range would stay registered and no tracker could start on it again.
                tracker.close();
            }
            Links.closeAll(ready.remove(name));
            forgetPaging(name);
        }
    }

    /** On the conductor: the handover named this armed replica owner. */
    void promoteArmed(Failover failover, ClusterRegion replica, RegionRecord r) {
        DirtyTracker tracker = armed.remove(r.name());
        failover.promote(replica, r, tracker, ready.remove(r.name()));
        forgetPaging(r.name());
    }

    /**
     * On the conductor: the handover named this node owner of the region it was learning. It tracks the writes from
     * now on, pushes to the replicas (which hold the final round already), and lets the writers go; what is not
     * paged in yet is paged in on first touch.
     */
    void promoteLearner(ClusterRegion learner, RegionRecord r) {
        String name = r.name();
        if (copies.get(name) != learner) {
            return;
        }
        long begin = System.nanoTime();
        LazyRegion lazy = learner.lazy();
        DirtyTracker tracker = pipeline.tracker(name, lazy.region(), lazy);
        ClusterRegion owner = pipeline.open(name, r.id(), lazy.region(), lazy, learner.served(), r.token(), tracker,
                r.replicas().size());
        Map<String, PeerLink> opened = ready.remove(name);
        List<String> unlinked = pipeline.connect(owner, r.replicas(), opened, false);
        Links.closeAll(opened);
        long linked = System.nanoTime();
        copies.replace(learner, owner);
        pipeline.start(owner);
        listeners.gained(owner);
        forgetPaging(name);
        LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": owns migrated region " + name
                + " with token " + r.token() + " now, " + String.format("%.1f", lazy.availability() * 100)
                + " % paged in; took over in " + (System.nanoTime() - begin) / 1000 + " us (links "
                + (linked - begin) / 1000 + " us)" + (unlinked.isEmpty() ? "" : "; connecting "
                + unlinked.stream().map(membership::memberName).toList() + " later, with a refill"));
        placement.schedule(name);
    }

    /** The share of region {@code name} that {@code member} reported paged in (0 before it reports). */
    double paged(String name, String member) {
        return paging.share(name, member);
    }

    /** Forgets what this node prepared for region {@code name} (its copy is being dropped). */
    void forget(String name) {
        Links.closeAll(ready.remove(name));
        forgetPaging(name);
    }

    private void report() {
        String me;
        try {
            me = membership.memberId();
        } catch (RuntimeException shuttingDown) {
            return;
        }
        for (ClusterRegion copy : copies.all()) {
            if (copy.role() == ClusterRegion.Role.LEARNER || armed.containsKey(copy.name())) {
                try {
                    paging.report(copy.name(), me, copy.availability());
                } catch (RuntimeException e) {
                    // Closing, or the copy was closed: nothing left to report.
                }
            }
        }
    }

    private void forgetPaging(String name) {
        try {
            paging.forget(name, membership.memberId());
        } catch (RuntimeException ignored) {
            // Best effort: it is only read while a migration to this node runs.
        }
    }

    private static List<String> members(RegionRecord r) {
        List<String> all = new ArrayList<>();
        all.add(r.owner());
        all.addAll(r.replicas());
        return all;
    }

    @Override
    public void close() {
        reporter.shutdownNow();
        for (Map<String, PeerLink> l : ready.values()) {
            Links.closeAll(l);
        }
        ready.clear();
    }
}
