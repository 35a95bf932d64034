package io.memsync.bench;

import io.memsync.region.track.Trackers;
import io.memsync.region.ChunkSet;
import io.memsync.region.Region;
import io.memsync.region.track.DirtyTracker;
import io.memsync.region.track.TrackerKind;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Throughput of one writer thread storing 8-byte values at random 8-aligned offsets of a region of
 * {@code regionMiB}, while a background "syncer" thread calls {@link DirtyTracker#collect} every
 * {@code scanIntervalMs} (re-arming write protection, as in production). With {@code tracker=none} the background
 * thread only sleeps on the same schedule. The difference to {@code none} is what tracking costs the writer.
 * <p>
 * Offsets come from a xorshift generator mapped onto the region (or its first {@code writeSpanMiB}) with a
 * multiply-high, so the measured loop allocates nothing; or, with {@code pattern=sequential}, one word after the
 * other. The region is filled before tracking starts, so
 * {@code none} pays no first-touch faults.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "-Xms512m", "-Xmx2g"})
public class WriterCostBenchmark {
    /** Writes per benchmark invocation: amortises JMH's per-call overhead. */
    static final int BATCH = 1024;

    /** Region size in MiB. */
    @Param("1024")
    public int regionMiB;

    /** "none" (no tracking) or a {@link TrackerKind} configuration name. */
    @Param({"none", "wp", "hash"})
    public String tracker;

    /** Pause between the end of one collect and the start of the next, in milliseconds. */
    @Param("10")
    public int scanIntervalMs;

    /**
     * Writes go to the first {@code writeSpanMiB} of the region (a hot set); 0 means the whole region. Tracking
     * costs per page first written after each collect, so the span, not the write count, sets its price.
     */
    @Param("0")
    public int writeSpanMiB;

    /** "uniform": at random offsets; "sequential": one word after the other through the span, wrapping around. */
    @Param("uniform")
    public String pattern;
    private boolean sequential;
    private long cursor;

    private Region region;
    private MemorySegment segment;
    /** Number of 8-byte words the writer spreads its writes over. */
    private long words;
    private long seed = 0x9E3779B97F4A7C15L;

    private Thread syncer;
    private volatile boolean running;
    private volatile Throwable syncerFailure;
    // Written by the syncer thread only, read after join().
    private long collects;
    private long collectNanos;
    private long maxCollectNanos;
    private long chunksFound;

    @Setup(Level.Trial)
    public void start() {
        long size = (long) regionMiB << 20;
        region = Region.builder("bench-writer").size(size).create();
        segment = region.segment();
        segment.fill((byte) 0x5a);
        long span = writeSpanMiB == 0 ? size : (long) writeSpanMiB << 20;
        if (span <= 0 || span > size) {
            throw new IllegalArgumentException("writeSpanMiB " + writeSpanMiB + " is outside (0, " + regionMiB + "]");
        }
        words = span / 8;
        if (!pattern.equals("uniform") && !pattern.equals("sequential")) {
            throw new IllegalArgumentException("pattern " + pattern + ": choose uniform or sequential");
        }
        sequential = pattern.equals("sequential");
        DirtyTracker dirtyTracker = "none".equals(tracker) ? null : Trackers.start(region, TrackerKind.parse(tracker));
        ChunkSet dirty = new ChunkSet(region.layout().chunkCount());
        running = true;
        syncer = new Thread(() -> syncLoop(dirtyTracker, dirty), "bench-syncer");
        syncer.setDaemon(true);
        syncer.start();
    }

    private void syncLoop(DirtyTracker dirtyTracker, ChunkSet dirty) {
        long interval = TimeUnit.MILLISECONDS.toNanos(scanIntervalMs);
        try {
            while (running) {
                LockSupport.parkNanos(interval);
                if (dirtyTracker != null && running) {
                    long t0 = System.nanoTime();
                    dirtyTracker.collect(dirty);
                    long t = System.nanoTime() - t0;
                    collects++;
                    collectNanos += t;
                    maxCollectNanos = Math.max(maxCollectNanos, t);
                    chunksFound += dirty.cardinality();
                    dirty.clear();
                }
            }
        } catch (Throwable t) {
            syncerFailure = t;
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void write() {
        MemorySegment s = segment;
        long n = words;
        if (sequential) {
            long c = cursor;
            for (int i = 0; i < BATCH; i++) {
                s.set(JAVA_LONG, c << 3, c);
                c = c + 1 == n ? 0 : c + 1;
            }
            cursor = c;
            return;
        }
        long x = seed;
        for (int i = 0; i < BATCH; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            // Uniform word index in [0, n) without a division.
            s.set(JAVA_LONG, Math.unsignedMultiplyHigh(x, n) << 3, x);
        }
        seed = x;
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        running = false;
        try {
            syncer.join(TimeUnit.MINUTES.toMillis(1));
            if (syncer.isAlive()) {
                throw new IllegalStateException("the syncer thread did not stop");
            }
            if (syncerFailure != null) {
                throw new IllegalStateException("the syncer thread failed", syncerFailure);
            }
            if (!"none".equals(tracker)) {
                if (collects == 0 || chunksFound == 0) {
                    throw new IllegalStateException(tracker + ": " + collects + " collects found " + chunksFound
                            + " dirty chunks while the writer ran");
                }
                System.out.printf("%n[syncer] %s, write span %d MiB: %d collects, mean %.3f ms, max %.3f ms, "
                                + "%.1f dirty chunks of %d per collect%n", tracker, words >>> 17, collects,
                        collectNanos / 1e6 / collects, maxCollectNanos / 1e6, (double) chunksFound / collects,
                        region.layout().chunkCount());
            }
        } finally {
            region.close();
        }
    }
}
