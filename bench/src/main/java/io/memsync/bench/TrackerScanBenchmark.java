package io.memsync.bench;

import io.memsync.region.track.Trackers;
import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSet;
import io.memsync.region.Region;
import io.memsync.region.track.DirtyTracker;
import io.memsync.region.track.TrackerKind;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Time of one {@link DirtyTracker#collect} on a region of {@code regionMiB} after {@code dirtyPercent} % of its
 * 4 KiB pages were written. The pages are drawn once per trial (fixed seed); before every measured collect,
 * {@link #dirtyPages()} writes 8 new bytes into each of them (untimed), so the benchmark times the scan alone,
 * including the re-arming {@code collect} does itself ({@code wp}: re-protection in the same PAGEMAP_SCAN;
 * {@code hash}: storing the new CRCs).
 * <p>
 * The region is filled before tracking starts, so every page is populated, as in a region holding data. After
 * every collect the found chunks are compared with the chunks holding the written pages; a mismatch (too few or
 * too many) fails the run. The trial prints the chunk count it checked.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "-Xms512m", "-Xmx2g"})
public class TrackerScanBenchmark {
    static final long PAGE = 4096;

    /** Region size in MiB. */
    @Param("1024")
    public int regionMiB;

    /** Share of the region's 4 KiB pages written before each collect, in percent. */
    @Param({"0.1", "1", "10"})
    public double dirtyPercent;

    /** The tracker: a {@link TrackerKind} configuration name. */
    @Param({"wp", "hash"})
    public String tracker;

    private Region region;
    private MemorySegment segment;
    private DirtyTracker dirtyTracker;
    private ChunkSet dirty;
    /** Byte offsets to write before each collect (one per chosen page), sorted. */
    private long[] writeOffsets;
    /** The chunks holding those pages: what every collect must report, no more, no fewer. */
    private ChunkSet expected;
    private int expectedChunks;
    private long value;
    private long collects;

    @Setup(Level.Trial)
    public void openRegion() {
        long size = (long) regionMiB << 20;
        region = Region.builder("bench-scan").size(size).create();
        segment = region.segment();
        // Populate every page before tracking starts: the scan then walks a region that holds data.
        segment.fill((byte) 0x5a);
        dirtyTracker = Trackers.start(region, TrackerKind.parse(tracker));
        ChunkLayout layout = region.layout();
        dirty = new ChunkSet(layout.chunkCount());
        expected = new ChunkSet(layout.chunkCount());

        int pages = (int) (size / PAGE);
        int count = (int) Math.max(1, Math.round(pages * dirtyPercent / 100.0));
        writeOffsets = choosePages(pages, count, 42);
        for (long offset : writeOffsets) {
            expected.add(layout.chunkOf(offset));
        }
        expectedChunks = expected.cardinality();
        // Start from a clean state: whatever the fill or the tracker's start left behind is not measured.
        dirtyTracker.collect(dirty);
        dirty.clear();
    }

    /**
     * {@code count} distinct pages out of {@code pages}, drawn with {@code seed}; returns for each an 8-aligned
     * byte offset inside it (also drawn), sorted by address.
     */
    static long[] choosePages(int pages, int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        // Partial Fisher-Yates over the page indexes: distinct pages without rejection loops.
        int[] index = new int[pages];
        for (int i = 0; i < pages; i++) {
            index[i] = i;
        }
        long[] offsets = new long[count];
        for (int i = 0; i < count; i++) {
            int j = i + random.nextInt(pages - i);
            int t = index[i];
            index[i] = index[j];
            index[j] = t;
            offsets[i] = index[i] * PAGE + 8L * random.nextInt((int) (PAGE / 8));
        }
        Arrays.sort(offsets);
        return offsets;
    }

    /** Untimed: writes a value never written before into each chosen page, so content trackers see a change. */
    @Setup(Level.Invocation)
    public void dirtyPages() {
        long v = ++value;
        MemorySegment s = segment;
        for (long offset : writeOffsets) {
            s.set(JAVA_LONG, offset, v);
        }
    }

    @Benchmark
    public ChunkSet collect() {
        dirtyTracker.collect(dirty);
        return dirty;
    }

    /** Untimed: the collect must have found exactly the chunks that were written. */
    @TearDown(Level.Invocation)
    public void checkAndClear() {
        int found = dirty.cardinality();
        if (found != expectedChunks) {
            throw new IllegalStateException(tracker + " collect #" + (collects + 1) + " found " + found
                    + " dirty chunks, expected " + expectedChunks + " (" + writeOffsets.length + " pages written)");
        }
        for (int c = expected.next(0); c >= 0; c = expected.next(c + 1)) {
            if (!dirty.contains(c)) {
                throw new IllegalStateException(tracker + " collect #" + (collects + 1) + " missed chunk " + c);
            }
        }
        dirty.clear();
        collects++;
    }

    @TearDown(Level.Trial)
    public void closeRegion() {
        try {
            if (collects == 0) {
                throw new IllegalStateException("no collect was measured");
            }
            System.out.printf("%n[sanity] %s, %d MiB, %s %%: %d pages written per collect, %d dirty chunks found "
                            + "by each of %d collects (as expected)%n",
                    tracker, regionMiB, dirtyPercent, writeOffsets.length, expectedChunks, collects);
        } finally {
            region.close();
        }
    }
}
