package io.memsync.region.sync;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSet;
import io.memsync.region.ChunkSink;
import io.memsync.region.track.DirtyTracker;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Pushes a region's written chunks to a {@link ChunkSink}: every interval on its own thread (after
 * {@link #start()}), and on {@link #flush()}. A cycle collects the tracker's dirty chunks and hands each to the
 * sink straight from the tracker's payload memory (the mapping itself for {@code wp} and {@code explicit}): no
 * copy through the Java heap, nothing allocated per chunk. A chunk whose write fails stays pending and is sent by
 * the next cycle, so a failing sink delays data but never loses it.
 * <p>
 * Threads: one daemon thread per started syncer, owned by it and stopped by {@link #close()}. Cycles never overlap.
 */
public final class Syncer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Syncer.class.getName());

    private final String name;
    private final DirtyTracker tracker;
    private final ChunkSink sink;
    private final long intervalNanos;
    private final ChunkLayout layout;
    private final ChunkSet pending;
    private final ReentrantLock cycleLock = new ReentrantLock();
    private Thread thread;
    private volatile boolean running;
    private volatile boolean closed;

    private volatile long cycles;
    private volatile long chunksPushed;
    private volatile long bytesPushed;
    private volatile long failures;
    private volatile long lastCycleNanos;
    private volatile Exception lastFailure;

    /**
     * @param name     shows in the thread's name and in errors
     * @param interval time between background cycles; at least 100 microseconds
     */
    public Syncer(String name, DirtyTracker tracker, ChunkSink sink, Duration interval) {
        this.name = Objects.requireNonNull(name, "name");
        this.tracker = Objects.requireNonNull(tracker, "tracker");
        this.sink = Objects.requireNonNull(sink, "sink");
        if (interval.toNanos() < TimeUnit.MICROSECONDS.toNanos(100)) {
            throw new IllegalArgumentException("sync interval must be at least 100 us, was " + interval);
        }
        if (!tracker.layout().equals(sink.layout())) {
            throw new IllegalArgumentException("tracker covers " + tracker.layout() + " but the sink holds "
                    + sink.layout());
        }
        this.intervalNanos = interval.toNanos();
        this.layout = tracker.layout();
        this.pending = new ChunkSet(layout.chunkCount());
    }

    /** Starts pushing every interval on a thread of this syncer's own. */
    public synchronized Syncer start() {
        if (closed) {
            throw new IllegalStateException("syncer " + name + " is closed");
        }
        if (thread == null) {
            running = true;
            thread = Thread.ofPlatform().name("memsync-sync-" + name).daemon(true).start(this::run);
        }
        return this;
    }

    private void run() {
        while (running) {
            LockSupport.parkNanos(this, intervalNanos);
            if (!running) {
                break;
            }
            if (!tracker.isOpen()) {
                LOG.log(System.Logger.Level.WARNING, "syncer " + name + ": its tracker or region was closed before "
                        + "the syncer; the background thread stops (close the syncer first to flush what is left)");
                running = false;
                break;
            }
            try {
                cycle();
            } catch (Exception e) {
                failures++;
                lastFailure = e;
                LOG.log(System.Logger.Level.WARNING, "syncer " + name + ": push failed, "
                        + pending.cardinality() + " chunks stay pending and are retried: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Pushes every chunk written before this call and syncs the sink: when it returns, the sink holds (durably,
     * as far as the sink's {@code sync} promises) everything the region held when it was called.
     *
     * @throws IOException if the sink fails; the chunks not pushed stay pending for the next cycle
     */
    public void flush() throws IOException {
        if (closed) {
            throw new IllegalStateException("syncer " + name + " is closed");
        }
        cycleLock.lock();
        try {
            cycle();
            sink.sync();
        } finally {
            cycleLock.unlock();
        }
    }

    /** One cycle: collect, then push what is pending. Returns the chunks pushed. */
    private int cycle() throws IOException {
        cycleLock.lock();
        try {
            long start = System.nanoTime();
            tracker.collect(pending);
            int pushed = 0;
            int chunkSize = layout.chunkSize();
            for (int i = pending.next(0); i >= 0; i = pending.next(i + 1)) {
                long offset = tracker.preparePayload(i);
                sink.write(i, tracker.payload(), offset);
                pending.remove(i);
                pushed++;
                chunksPushed++;
                bytesPushed += chunkSize;
            }
            cycles++;
            lastCycleNanos = System.nanoTime() - start;
            return pushed;
        } finally {
            cycleLock.unlock();
        }
    }

    public String name() {
        return name;
    }

    public DirtyTracker tracker() {
        return tracker;
    }

    /** Cycles completed (background and flush). */
    public long cycles() {
        return cycles;
    }

    public long chunksPushed() {
        return chunksPushed;
    }

    public long bytesPushed() {
        return bytesPushed;
    }

    /** Background cycles that failed (flush failures are thrown to the caller instead). */
    public long failures() {
        return failures;
    }

    /** The last background failure, or null. */
    public Exception lastFailure() {
        return lastFailure;
    }

    /** Duration of the last completed cycle (collect and push), in nanoseconds. */
    public long lastCycleNanos() {
        return lastCycleNanos;
    }

    /**
     * Stops the thread and pushes what is left with a final {@link #flush()}.
     *
     * @throws IOException if the final flush fails: the data written since the last flush did not reach the sink
     */
    @Override
    public void close() throws IOException {
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            running = false;
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            flush();
        } finally {
            closed = true;
        }
    }
}
