package io.memsync.jmx;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.Node;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The JMX registration's periodic work: every 250 ms it brings the Region MBeans in line with the copies the node
 * holds, and every second it checks the replica lag of the regions the node owns. It runs on a thread of its own
 * ({@code memsync-jmx-monitor-NODE}) or on one it is given and shares (the agent's housekeeping thread).
 */
final class Monitor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Monitor.class.getName());
    private static final long TICK_MILLIS = 250;
    private static final int TICKS_PER_LAG_CHECK = 4;

    private final Node node;
    private final RegionBeans regions;
    private final NodeEvents events;
    private final LongSupplier threshold;
    private final LagWatch lag = new LagWatch();
    private final ScheduledExecutorService thread;
    /** Whether {@link #thread} is this monitor's own, shut down on close (else only the ticks stop). */
    private final boolean ownThread;
    private volatile ScheduledFuture<?> ticking;
    private volatile boolean closed;
    private int ticks;

    /**
     * @param shared the thread to run on, or null for a thread of its own
     */
    Monitor(Node node, RegionBeans regions, NodeEvents events, LongSupplier threshold,
            ScheduledExecutorService shared) {
        this.node = node;
        this.regions = regions;
        this.events = events;
        this.threshold = threshold;
        this.ownThread = shared == null;
        this.thread = shared != null ? shared : Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                .name("memsync-jmx-monitor-" + node.name()).daemon(true).unstarted(r));
    }

    void start() {
        ticking = thread.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Brings the Region MBeans in line soon, off the caller's thread. */
    void regionsChanged() {
        if (closed) {
            return;
        }
        try {
            thread.execute(this::syncRegions);
        } catch (RejectedExecutionException closed) {
            // Closing: nothing to keep in line any more.
        }
    }

    private void tick() {
        syncRegions();
        if (++ticks % TICKS_PER_LAG_CHECK == 0) {
            checkLag();
        }
    }

    private void syncRegions() {
        try {
            regions.sync();
        } catch (RuntimeException e) {
            // The node may be closing, or below its minimum cluster size: try again next tick.
            LOG.log(System.Logger.Level.DEBUG, "syncing the Region MBeans of node " + node.name() + ": " + e);
        }
    }

    private void checkLag() {
        try {
            long limit = threshold.getAsLong();
            Set<String> owned = new HashSet<>();
            for (String name : node.regionNames()) {
                ClusterRegion copy = node.region(name);
                if (copy == null || !copy.isOwner()) {
                    continue;
                }
                owned.add(name);
                for (LagWatch.Crossing c : lag.check(name, ReplicaLag.of(copy, node.directory().get(name)), limit)) {
                    events.lagging(c.region(), c.member(), c.lag(), limit);
                }
            }
            lag.retain(owned);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "checking the replica lag on node " + node.name() + ": " + e);
        }
    }

    @Override
    public void close() {
        closed = true;
        ScheduledFuture<?> t = ticking;
        if (t != null) {
            t.cancel(false);
        }
        if (!ownThread) {
            return;
        }
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "the JMX monitor of node " + node.name() + " did not stop within"
                        + " 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
