package io.memsync.cluster.testkit;

import io.memsync.cluster.ClusterRegion;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A workload that proves nothing flushed was lost, whatever failed: write {@code k} stores {@link #value(long) a
 * value derived from k} in slot {@code k} (the k-th long of the region, after chunk 0) and nothing else, so a copy
 * holds write k exactly when slot k holds that value. The writer flushes every so often and notes the count of
 * writes made before each flush that succeeded. After a failover, {@link #check} tells whether a copy holds every
 * one of the first {@code flushed} writes and nothing but writes elsewhere.
 * <p>
 * It runs on its own thread while the region is owned here; a write through a revoked view (ownership moved) or a
 * flush that fails ends it.
 */
public final class LedgerWriter {
    private final ClusterRegion region;
    private final long writesPerSecond;
    private final long flushNanos;
    private final Thread thread;
    private volatile boolean stopped;
    private volatile long written;
    private volatile long flushed;
    private volatile long flushes;
    private volatile String ended = "running";

    /** Writes to {@code region} (owned here) from its first empty slot on, flushing every {@code flushMillis}. */
    public LedgerWriter(ClusterRegion region, long writesPerSecond, long flushMillis) {
        if (writesPerSecond < 1 || flushMillis < 1) {
            throw new IllegalArgumentException("rate and flush period must be positive");
        }
        this.region = region;
        this.writesPerSecond = writesPerSecond;
        this.flushNanos = flushMillis * 1_000_000;
        this.written = firstEmpty(region.segment(), region.size() / region.chunkCount());
        this.flushed = written;
        this.thread = Thread.ofPlatform().name("ledger-" + region.name()).daemon(true).start(this::run);
    }

    /** What write {@code k} stores: never 0, so that an empty slot is never taken for a write. */
    public static long value(long k) {
        long z = k + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return z == 0 ? 1 : z;
    }

    private static long slots(MemorySegment m, long chunkSize) {
        return (m.byteSize() - chunkSize) / 8;
    }

    private static long firstEmpty(MemorySegment m, long chunkSize) {
        long n = slots(m, chunkSize);
        long k = 0;
        while (k < n && m.get(JAVA_LONG, chunkSize + k * 8) == value(k)) {
            k++;
        }
        return k;
    }

    /**
     * Whether {@code m} (a region of chunks of {@code chunkSize}) holds the first {@code flushed} writes and
     * nothing but writes in the other slots; returns null if so, else what is wrong.
     */
    public static String check(MemorySegment m, long chunkSize, long flushed) {
        long n = slots(m, chunkSize);
        for (long k = 0; k < n; k++) {
            long v = m.get(JAVA_LONG, chunkSize + k * 8);
            if (k < flushed && v != value(k)) {
                return "flushed write " + k + " is missing (slot holds " + Long.toHexString(v) + ")";
            }
            if (v != 0 && v != value(k)) {
                return "slot " + k + " holds " + Long.toHexString(v) + ", which no write stored";
            }
        }
        for (long o = 0; o < chunkSize; o += 8) {
            if (m.get(JAVA_LONG, o) != 0) {
                return "chunk 0, which no write touches, holds data at " + o;
            }
        }
        return null;
    }

    /** How many of the first writes {@code m} holds contiguously. */
    public static long held(MemorySegment m, long chunkSize) {
        return firstEmpty(m, chunkSize);
    }

    private void run() {
        MemorySegment m = region.segment();
        long chunkSize = region.size() / region.chunkCount();
        long n = slots(m, chunkSize);
        long periodNanos = 1_000_000;
        double perPeriod = writesPerSecond / 1000.0;
        double credit = 0;
        long next = System.nanoTime();
        long nextFlush = next + flushNanos;
        try {
            while (!stopped && written < n) {
                credit += perPeriod;
                while (credit >= 1 && written < n) {
                    long k = written;
                    m.set(JAVA_LONG, chunkSize + k * 8, value(k));
                    written = k + 1;
                    credit -= 1;
                }
                if (System.nanoTime() - nextFlush >= 0) {
                    long before = written;
                    region.flush();
                    flushed = before;
                    flushes++;
                    nextFlush = System.nanoTime() + flushNanos;
                }
                next += periodNanos;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                } else if (wait < -100 * periodNanos) {
                    next = System.nanoTime();
                }
            }
            ended = stopped ? "stopped" : "full";
        } catch (IllegalStateException revoked) {
            ended = "ownership moved: " + revoked.getMessage();
        } catch (Exception e) {
            ended = "failed: " + e.getMessage();
        }
    }

    /** "written W flushed F flushes N state S": writes made, writes known flushed, flushes done, and why it ended. */
    public String report() {
        return "written " + written + " flushed " + flushed + " flushes " + flushes + " state " + ended.replace(' ', '_');
    }

    public void stop() throws InterruptedException {
        stopped = true;
        thread.join(30_000);
    }
}
