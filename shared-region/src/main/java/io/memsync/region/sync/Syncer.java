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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Pushes a region's written chunks to a {@link ChunkSink}: every interval on its own thread (after
 * {@link #start()}), and on {@link #flush()}. A cycle collects the tracker's dirty chunks and hands each to the
 * sink straight from the tracker's payload memory (the mapping itself for {@code wp} and {@code explicit}): no
 * copy through the Java heap, nothing allocated per chunk. A chunk whose write fails stays pending and is sent by
 * the next cycle, so a failing sink delays data but never loses it.
 * <p>
 * Threads: one daemon thread per started syncer, owned by it and stopped by {@link #close()}. Cycles never overlap.
 * Once started, a {@link #flush()} runs on that thread too and the caller waits for it: interrupting the caller
 * ends its wait, never a push in progress (a sink's socket closes when the thread writing to it is interrupted).
 * <p>
 * Operators can {@link #pause()} a syncer (nothing is pushed, flushes fail) and {@link #resume()} it: nothing is
 * lost meanwhile, because the tracker keeps every write until it is collected. The push interval can be changed
 * while it runs. Each cycle that pushed chunks, and each flush, is recorded as a JFR event
 * ({@code io.memsync.region.sync.SyncRoundEvent}) when a recording enables it.
 * <p>
 * Displays can ask, per chunk and without allocating, whether it is {@linkplain #isPending pending} or was
 * {@linkplain #pushedRecently pushed recently}: two more bitmaps, swapped every half second by the cycles.
 */
public final class Syncer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Syncer.class.getName());

    private final String name;
    private final DirtyTracker tracker;
    private final ChunkSink sink;
    private volatile long intervalNanos;
    private final ChunkLayout layout;
    private final ChunkSet pending;
    private final ReentrantLock cycleLock = new ReentrantLock();
    private volatile Thread thread;
    private volatile boolean running;
    private volatile boolean closed;
    /** Set by {@link #pause()}: the background thread skips its cycles and flushes fail. */
    private volatile boolean paused;
    /** Background cycles that failed since the last that did not, and when a failure was last logged (thread's). */
    private long failingInARow;
    private long lastFailureLogged;
    private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Set by {@link #abandon}: no cycle pushes anything any more. */
    private volatile boolean abandoned;
    /** Flushes waiting for the syncer's thread; it serves all that are queued with one flush cycle. */
    private final ConcurrentLinkedQueue<FlushRequest> flushRequests = new ConcurrentLinkedQueue<>();

    private volatile long cycles;
    private volatile long chunksPushed;
    private volatile long bytesPushed;
    private volatile long failures;
    private volatile long lastCycleNanos;
    private volatile Exception lastFailure;
    /** Chunks to push again whatever the tracker says (a replica's copy of them diverged): rare, boxed. */
    private final ConcurrentLinkedQueue<Integer> resend = new ConcurrentLinkedQueue<>();
    /** Chunks collected but not pushed by the last cycle (a push failed); known without scanning the set. */
    private volatile int pendingChunks;

    /**
     * Chunks pushed in the current and the previous window of {@link #WINDOW_NANOS}: a bitmap each, swapped by the
     * cycles (under the cycle lock), so that telling which chunks went out lately costs a bit per chunk and nothing
     * per push but setting it. Readers on other threads see them racily, which a display can live with.
     */
    private final ChunkSet[] pushedIn = new ChunkSet[2];
    /** When each window began, and when a chunk was last pushed in it (System.nanoTime). */
    private final long[] windowStart = new long[2];
    private final long[] lastPushIn = new long[2];
    private volatile int window;
    private static final long WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long RECENT_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * @param name     shows in the thread's name and in errors
     * @param interval time between background cycles; at least 100 microseconds
     */
    public Syncer(String name, DirtyTracker tracker, ChunkSink sink, Duration interval) {
        this.name = Objects.requireNonNull(name, "name");
        this.tracker = Objects.requireNonNull(tracker, "tracker");
        this.sink = Objects.requireNonNull(sink, "sink");
        checkInterval(interval);
        if (!tracker.layout().equals(sink.layout())) {
            throw new IllegalArgumentException("tracker covers " + tracker.layout() + " but the sink holds "
                    + sink.layout());
        }
        this.intervalNanos = interval.toNanos();
        this.layout = tracker.layout();
        this.pending = new ChunkSet(layout.chunkCount());
        long now = System.nanoTime();
        for (int w = 0; w < 2; w++) {
            pushedIn[w] = new ChunkSet(layout.chunkCount());
            windowStart[w] = now;
            lastPushIn[w] = now - 2 * RECENT_NANOS;
        }
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

    private static void checkInterval(Duration interval) {
        if (interval.toNanos() < TimeUnit.MICROSECONDS.toNanos(100)) {
            throw new IllegalArgumentException("sync interval must be at least 100 us, was " + interval);
        }
    }

    private void run() {
        while (running) {
            if (flushRequests.isEmpty()) {
                LockSupport.parkNanos(this, intervalNanos);
            }
            if (!running) {
                break;
            }
            if (!tracker.isOpen()) {
                LOG.log(System.Logger.Level.WARNING, "syncer " + name + ": its tracker or region was closed before "
                        + "the syncer; the background thread stops (close the syncer first to flush what is left)");
                running = false;
                failQueuedFlushes(new IOException("syncer " + name + ": its tracker or region was closed"));
                break;
            }
            if (!flushRequests.isEmpty()) {
                serveQueuedFlushes();
                continue;
            }
            if (paused) {
                continue;
            }
            try {
                cycle(false);
                if (failingInARow > 0) {
                    LOG.log(System.Logger.Level.INFO, "syncer " + name + ": pushes go out again after "
                            + failingInARow + " failed cycles");
                    failingInARow = 0;
                }
            } catch (Exception e) {
                failures++;
                lastFailure = e;
                long now = System.nanoTime();
                // One line when pushes start failing, then one every LOG_EVERY while they go on failing (a cycle
                // every few milliseconds would otherwise fill the log).
                if (failingInARow++ == 0 || now - lastFailureLogged > LOG_EVERY_NANOS) {
                    lastFailureLogged = now;
                    LOG.log(System.Logger.Level.WARNING, "syncer " + name + ": push failed"
                            + (failingInARow > 1 ? " (" + failingInARow + " cycles in a row)" : "") + ", "
                            + pending.cardinality() + " chunks stay pending and are retried: " + e.getMessage());
                    LOG.log(System.Logger.Level.DEBUG, "syncer " + name + ": the failed push", e);
                }
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
        Thread t = thread;
        if (t == null || !running || Thread.currentThread() == t) {
            cycle(true);
            return;
        }
        FlushRequest request = new FlushRequest();
        flushRequests.add(request);
        LockSupport.unpark(t);
        request.await(this);
    }

    /** One flush a caller waits for; the syncer's thread completes it. */
    private static final class FlushRequest {
        private boolean done;
        private IOException failure;

        synchronized void complete(IOException outcome) {
            done = true;
            failure = outcome;
            notifyAll();
        }

        synchronized void await(Syncer syncer) throws IOException {
            while (!done) {
                if (!syncer.running && syncer.flushRequests.contains(this)) {
                    // The thread stopped without serving it (closing): close() serves what is left.
                    if (syncer.flushRequests.remove(this)) {
                        syncer.cycle(true);
                        return;
                    }
                }
                try {
                    wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("flush of " + syncer.name + " interrupted: its wait"
                            + " ended, the flush itself goes on (and the links stay open)");
                }
            }
            if (failure != null) {
                throw new IOException(failure.getMessage(), failure);
            }
        }
    }

    /** On the syncer's thread: one flush cycle for every flush queued now. */
    private void serveQueuedFlushes() {
        List<FlushRequest> batch = new ArrayList<>();
        for (FlushRequest r; (r = flushRequests.poll()) != null; ) {
            batch.add(r);
        }
        IOException outcome = null;
        try {
            cycle(true);
        } catch (IOException e) {
            outcome = e;
        } catch (RuntimeException e) {
            outcome = new IOException(e.toString(), e);
        }
        for (FlushRequest r : batch) {
            r.complete(outcome);
        }
    }

    private void failQueuedFlushes(IOException why) {
        for (FlushRequest r; (r = flushRequests.poll()) != null; ) {
            r.complete(why);
        }
    }

    /**
     * One cycle: collect, then push what is pending, then (for a flush) sync the sink. Returns the chunks pushed.
     * Paused is checked again under the lock: a pause that landed while a background cycle waited for the lock
     * skips that cycle quietly, while a flush fails.
     */
    private int cycle(boolean flush) throws IOException {
        cycleLock.lock();
        // One event per cycle, none per chunk; when no recording wants it, shouldCommit() is a field read.
        SyncRoundEvent event = new SyncRoundEvent();
        event.begin();
        int pushed = 0;
        boolean done = false;
        try {
            if (abandoned) {
                if (!flush) {
                    return 0;
                }
                throw new IOException("syncer " + name + " was stopped without a final flush (its region has another"
                        + " owner now)");
            }
            if (paused) {
                if (!flush) {
                    return 0;
                }
                throw new IOException("syncer " + name + " is paused: nothing is pushed until it is resumed (resumeSync"
                        + " over JMX, or Syncer.resume()); the writes are kept and go out then");
            }
            long start = System.nanoTime();
            tracker.collect(pending);
            for (Integer c; (c = resend.poll()) != null; ) {
                pending.add(c);
            }
            int chunkSize = layout.chunkSize();
            int w = nextWindow(start);
            ChunkSet sent = pushedIn[w];
            if (pending.next(0) >= 0) {
                // Chunks pushed by a long cycle count as recent while it runs, not only once it ends.
                lastPushIn[w] = start;
            }
            try {
                for (int i = pending.next(0); i >= 0; i = pending.next(i + 1)) {
                    long offset = tracker.preparePayload(i);
                    sink.write(i, tracker.payload(), offset);
                    pending.remove(i);
                    sent.add(i);
                    pushed++;
                    chunksPushed++;
                    bytesPushed += chunkSize;
                }
                pendingChunks = 0;
            } catch (IOException | RuntimeException e) {
                pendingChunks = pending.cardinality();
                throw e;
            } finally {
                if (pushed > 0) {
                    lastPushIn[w] = System.nanoTime();
                }
            }
            cycles++;
            lastCycleNanos = System.nanoTime() - start;
            if (flush) {
                sink.sync();
            }
            done = true;
            return pushed;
        } finally {
            if ((pushed > 0 || flush) && event.shouldCommit()) {
                event.region = name;
                event.chunks = pushed;
                event.bytes = (long) pushed * layout.chunkSize();
                event.flush = flush;
                event.failed = !done;
                event.commit();
            }
            cycleLock.unlock();
        }
    }

    /** Under the cycle lock: starts a new window of pushed chunks when the current one is old; returns the current. */
    private int nextWindow(long now) {
        int w = window;
        if (now - windowStart[w] < WINDOW_NANOS) {
            return w;
        }
        int next = w ^ 1;
        pushedIn[next].clear();
        windowStart[next] = now;
        lastPushIn[next] = now - 2 * RECENT_NANOS;
        window = next;
        return next;
    }

    /**
     * Has the next cycle push chunk {@code chunk} whether it was written or not: a replica's copy of it is known to
     * differ (anti-entropy). A {@link #flush()} after it returns once the replicas hold it.
     */
    public void resend(int chunk) {
        layout.checkChunk(chunk);
        resend.add(chunk);
    }

    /**
     * Whether chunk {@code chunk} was collected by the cycle under way (or the last failed one) and is not pushed
     * yet. For displays: it reads the syncer's bitmap without a lock, so it may be a cycle behind.
     */
    public boolean isPending(int chunk) {
        return pending.contains(chunk);
    }

    /**
     * Whether chunk {@code chunk} was pushed in about the last second (at most 1.5 s ago: pushes are recorded in
     * half-second windows). For displays: it reads without a lock, and allocates nothing.
     */
    public boolean pushedRecently(int chunk) {
        long now = System.nanoTime();
        int w = window;
        return recentIn(w, chunk, now) || recentIn(w ^ 1, chunk, now);
    }

    private boolean recentIn(int w, int chunk, long now) {
        return now - lastPushIn[w] < RECENT_NANOS && pushedIn[w].contains(chunk);
    }

    /**
     * Stops pushing: the background thread skips its cycles and {@link #flush()} fails, until {@link #resume()}.
     * Returns once no cycle is running. Writes made meanwhile stay with the tracker and go out after the resume.
     */
    public void pause() {
        cycleLock.lock();
        try {
            paused = true;
        } finally {
            cycleLock.unlock();
        }
    }

    /** Pushes again from the next cycle on (at once: the background thread is woken). */
    public void resume() {
        paused = false;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    public boolean isPaused() {
        return paused;
    }

    /** Time between background cycles. */
    public Duration interval() {
        return Duration.ofNanos(intervalNanos);
    }

    /** Changes the time between background cycles from the next one on; at least 100 microseconds. */
    public void interval(Duration interval) {
        checkInterval(interval);
        intervalNanos = interval.toNanos();
        Thread t = thread;
        if (t != null) {
            // A long wait in progress is cut short, so that a shorter interval applies at once.
            LockSupport.unpark(t);
        }
    }

    /**
     * Chunks the last cycle found written but could not push (its push failed): they go with the next cycle.
     * Writes the tracker has not collected yet are not counted.
     */
    public int pendingChunks() {
        return pendingChunks;
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
     * Stops the thread without pushing anything more: for an owner that is no longer one, whose pushes would be
     * refused by replicas following the new owner, or, worse, land on one that has not heard of it yet. A cycle in
     * progress is waited for (at most {@code wait}); flushes waiting for the thread fail. What was not pushed is
     * left with the tracker.
     */
    public void abandon(Duration wait) {
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            abandoned = true;
            running = false;
            closed = true;
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(Math.max(1, wait.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        failQueuedFlushes(new IOException("syncer " + name + " was stopped without a final flush (its region has "
                + "another owner now)"));
    }

    /**
     * Stops the thread and pushes what is left with a final {@link #flush()} (a paused syncer is resumed for it:
     * closing is not the moment to lose writes).
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
        paused = false;
        IOException outcome = null;
        try {
            cycle(true);
        } catch (IOException e) {
            outcome = e;
            throw e;
        } finally {
            closed = true;
            // Flushes queued while the thread stopped end with the final one.
            for (FlushRequest r; (r = flushRequests.poll()) != null; ) {
                r.complete(outcome);
            }
        }
    }
}
