package io.memsync.cluster.wire;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Cuts the {@link PeerLink}s it watches whose write has been blocked longer than their stall timeout (a peer that
 * stopped reading would block the sender in the kernel for ever), and bounds their handshakes. One thread, named
 * for its owner (a node, a pager's network source, a test), which starts it and stops it with {@link #close()};
 * it checks every {@value #PERIOD_MS} ms and allocates nothing while no link stalls. The thread starts with the first
 * link or handshake watched: a node without links has none.
 */
public final class LinkWatchdog implements AutoCloseable {
    /** How often the watched links are checked; a stall timeout shorter than this cannot be kept. */
    public static final long PERIOD_MS = 100;

    private final Set<PeerLink> watched = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService thread;
    private final java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();

    /** A watchdog whose thread, named {@code role}, starts with the first link or handshake it watches. */
    public LinkWatchdog(String role) {
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name(role).daemon(true)
                .unstarted(r));
    }

    private void start() {
        if (!started.get() && started.compareAndSet(false, true)) {
            try {
                thread.scheduleWithFixedDelay(this::cutStalled, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // Closed: links watched now are no longer cut when they stall, as after close().
            }
        }
    }

    void watch(PeerLink link) {
        start();
        watched.add(link);
    }

    void unwatch(PeerLink link) {
        watched.remove(link);
    }

    /** Runs {@code deadline} after {@code millis} (a handshake that took too long closes its socket). */
    ScheduledFuture<?> schedule(Runnable deadline, long millis) {
        start();
        return thread.schedule(deadline, millis, TimeUnit.MILLISECONDS);
    }

    private void cutStalled() {
        long now = System.nanoTime();
        for (PeerLink link : watched) {
            link.cutIfStalled(now);
        }
    }

    /** Stops the thread; links watched keep working but are no longer cut when they stall. */
    @Override
    public void close() {
        thread.shutdownNow();
        watched.clear();
    }
}
