package io.memsync.demo;

import io.memsync.region.ChunkSet;
import io.memsync.region.Region;
import io.memsync.region.linux.KernelFeatures;
import io.memsync.region.page.LazyRegion;
import io.memsync.region.page.PagerConfig;
import io.memsync.region.pager.PagerStatus;
import io.memsync.region.store.DirectoryChunkStore;
import io.memsync.region.store.FileChunkStore;
import io.memsync.region.store.RegionImages;
import io.memsync.region.sync.Syncer;
import io.memsync.region.track.DirtyTracker;
import io.memsync.region.track.TrackerKind;
import io.memsync.region.track.Trackers;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A tour of what memsync does today, with its figures: probe the kernel, create a region, let each tracker find
 * the same writes, push them with a syncer to a directory store, save the region to a file and load it back.
 * Usage: {@code RegionTour [--size-mib N] [--dirty-percent P] [--keep DIR]}.
 */
public final class RegionTour {
    private static final int PAGE = 4096;
    private static final int ROUNDS = 7;

    private RegionTour() {
    }

    public static void main(String[] args) throws IOException {
        long sizeMiB = 256;
        double dirtyPercent = 1.0;
        Path keep = null;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--size-mib" -> { sizeMiB = parsePositive(args[i], value); i++; }
                case "--dirty-percent" -> { dirtyPercent = parsePercent(value); i++; }
                case "--keep" -> { keep = Path.of(require(args[i], value)); i++; }
                case "-h", "--help" -> {
                    System.out.println("usage: RegionTour [--size-mib N (default 256)] [--dirty-percent P (default 1)]"
                            + " [--keep DIR (keep the stores there)]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + ": try --help");
            }
        }
        run(sizeMiB, dirtyPercent, keep);
    }

    private static String require(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value: try --help");
        }
        return value;
    }

    private static long parsePositive(String option, String value) {
        try {
            long v = Long.parseLong(require(option, value));
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " wants a positive whole number, got '" + value + "'");
        }
    }

    private static double parsePercent(String value) {
        try {
            double v = Double.parseDouble(require("--dirty-percent", value));
            if (!(v > 0 && v <= 100)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--dirty-percent wants a number in (0, 100], got '" + value + "'");
        }
    }

    static void run(long sizeMiB, double dirtyPercent, Path keep) throws IOException {
        KernelFeatures kernel = KernelFeatures.get();
        section("The kernel");
        System.out.println(indent(kernel.describe()));
        TrackerKind auto = Trackers.resolve(TrackerKind.AUTO);
        System.out.println("  tracker 'auto' means: " + (auto == TrackerKind.WP ? "wp or hash, whichever costs less "
                + "for the writes it sees (it measures both)" : auto.configName()));

        Path work = keep != null ? Files.createDirectories(keep) : Files.createTempDirectory("memsync-tour");
        try (Region region = Region.builder("tour").size(sizeMiB << 20).create()) {
            section("A region");
            System.out.printf("  %s: %d MiB of memfd shmem mapped MAP_SHARED at 0x%x, %d chunks of %d KiB%n",
                    region.name(), sizeMiB, region.segment().address(), region.layout().chunkCount(),
                    region.layout().chunkSize() / 1024);
            long t0 = System.nanoTime();
            fill(region.segment(), 1);
            System.out.printf("  filled with pseudo-random data in %.1f ms%n", ms(System.nanoTime() - t0));

            section("Three trackers, the same writes");
            int pages = (int) (region.size() / PAGE);
            int toWrite = Math.max(1, (int) (pages * dirtyPercent / 100));
            ChunkSet expected = new ChunkSet(region.layout().chunkCount());
            long[] offsets = new long[toWrite];
            SplittableRandom random = new SplittableRandom(7);
            for (int i = 0; i < toWrite; i++) {
                offsets[i] = (long) random.nextInt(pages) * PAGE + random.nextInt(PAGE / 8) * 8L;
                expected.add(region.layout().chunkOf(offsets[i]));
            }
            System.out.printf("  writing 8 bytes into %d random pages (%.1f%% of %d), touching %d chunks%n",
                    toWrite, dirtyPercent, pages, expected.cardinality());
            System.out.println("  (each tracker: " + ROUNDS + " rounds of these writes, each followed by a scan; "
                    + "scan times in ms)");
            TrackerKind[] kinds = kernel.writeProtectTrackingAvailable()
                    ? new TrackerKind[] {TrackerKind.WP, TrackerKind.HASH, TrackerKind.EXPLICIT}
                    : new TrackerKind[] {TrackerKind.HASH, TrackerKind.EXPLICIT};
            if (kinds.length == 2) {
                System.out.println("  (wp skipped: " + kernel.writeProtectTrackingProblem() + ")");
            }
            System.out.printf("  %-9s %10s %12s %14s %s%n", "tracker", "start ms", "median scan", "chunks found",
                    "matches the writes");
            for (TrackerKind kind : kinds) {
                long start = System.nanoTime();
                try (DirtyTracker tracker = Trackers.open(kind, region.segment(), region.layout())) {
                    long started = System.nanoTime() - start;
                    ChunkSet found = new ChunkSet(region.layout().chunkCount());
                    long[] scans = new long[ROUNDS];
                    boolean same = true;
                    // Several rounds of the same writes: the first scan also pays for class loading and the JIT.
                    for (int round = 0; round < ROUNDS; round++) {
                        for (long offset : offsets) {
                            region.segment().set(JAVA_LONG, offset, region.segment().get(JAVA_LONG, offset) + 1);
                            if (kind == TrackerKind.EXPLICIT) {
                                tracker.mark(offset, 8);
                            }
                        }
                        found.clear();
                        tracker.collect(found);
                        scans[round] = tracker.lastScanNanos();
                        same &= found.cardinality() == expected.cardinality();
                        for (int c = expected.next(0); c >= 0; c = expected.next(c + 1)) {
                            same &= found.contains(c);
                        }
                    }
                    java.util.Arrays.sort(scans);
                    System.out.printf("  %-9s %10.1f %12.3f %14d %s%n", kind.configName(), ms(started),
                            ms(scans[ROUNDS / 2]), found.cardinality(), same ? "yes" : "NO");
                    if (!same) {
                        throw new IllegalStateException(kind.configName() + " tracker found " + found
                                + " but the writes touched " + expected);
                    }
                }
            }

            section("The syncer pushes what changed to a directory store");
            try (DirectoryChunkStore dir = DirectoryChunkStore.open(work.resolve("chunks"), region.layout())) {
                // Track first, then copy: a write racing the full copy is then sent again, never lost.
                DirtyTracker tracker = Trackers.start(region, TrackerKind.AUTO);
                long s = System.nanoTime();
                RegionImages.save(region, dir);
                System.out.printf("  full copy: %d chunks in %.1f ms (%s)%n", region.layout().chunkCount(),
                        ms(System.nanoTime() - s), dir.directory());
                try (Syncer syncer = new Syncer("tour", tracker, dir, Duration.ofMillis(5)).start()) {
                    for (long offset : offsets) {
                        region.segment().set(JAVA_LONG, offset, -offset);
                    }
                    long f = System.nanoTime();
                    syncer.flush();
                    System.out.printf("  after %d writes, flush() pushed %d chunks (%d KiB) with the %s tracker "
                                    + "in %.1f ms, fsync included%n", toWrite, syncer.chunksPushed(),
                            syncer.bytesPushed() / 1024, tracker.kind().configName(), ms(System.nanoTime() - f));
                }
                try (Region copy = Region.builder("tour-copy").size(region.size()).create()) {
                    RegionImages.load(dir, copy);
                    System.out.printf("  a new region loaded from the store: CRC32C %08x, the original %08x: %s%n",
                            crc(copy.segment()), crc(region.segment()),
                            region.segment().mismatch(copy.segment()) == -1 ? "identical" : "DIFFERENT");
                }
            }

            section("Save to a file and load it back");
            try (FileChunkStore file = FileChunkStore.open(work.resolve("tour.img"), region.layout());
                 Region copy = Region.builder("tour-file-copy").size(region.size()).create()) {
                long s = System.nanoTime();
                RegionImages.save(region, file);
                long saved = System.nanoTime() - s;
                s = System.nanoTime();
                RegionImages.load(file, copy);
                long loaded = System.nanoTime() - s;
                double mib = region.size() / (double) (1 << 20);
                System.out.printf("  saved %d MiB in %.1f ms (%.0f MiB/s, fsync included), loaded in %.1f ms "
                                + "(%.0f MiB/s): %s%n", sizeMiB, ms(saved), mib / (saved / 1e9), ms(loaded),
                        mib / (loaded / 1e9),
                        region.segment().mismatch(copy.segment()) == -1 ? "identical" : "DIFFERENT");
            }
            section("Mount it lazily from the file: usable at once, filled on demand");
            lazyMount(region, work.resolve("tour.img"));
        } finally {
            if (keep == null) {
                deleteTree(work);
            }
        }
        section("Done");
        System.out.println("  Next: the cluster, replication, migration, the agent: see README.md.");
    }

    /** Mounts the saved image lazily, reads a few chunks at once, and shows availability climbing. */
    private static void lazyMount(Region original, Path image) throws IOException {
        if (!KernelFeatures.get().lazyRegionsAvailable()) {
            System.out.println("  (skipped: " + KernelFeatures.get().describe().replace("\n", "; ") + ")");
            return;
        }
        // Throttled to 1 ms per chunk, as a store across a network would be, so that the climb is visible.
        PagerConfig config = PagerConfig.of("file:" + image + "?delayUs=1000").withPullers(2);
        long t0 = System.nanoTime();
        try (LazyRegion lazy = LazyRegion.mount("tour-lazy", original.layout(), config)) {
            long mounted = System.nanoTime() - t0;
            System.out.printf("  mounted in %.0f ms (pager pid %d, %d pullers, source %s); present: %.1f%%%n",
                    ms(mounted), lazy.activePagerPid(), config.pullers(), config.source(), lazy.availability() * 100);
            MemorySegment m = lazy.segment();
            int chunks = original.layout().chunkCount();
            long start = System.nanoTime();
            for (int i = 0; i < 8; i++) {
                int chunk = (int) ((long) chunks * i / 8);
                long offset = original.layout().offsetOf(chunk);
                long t = System.nanoTime();
                long value = m.get(JAVA_LONG, offset);
                System.out.printf("  read chunk %5d at once: %5.0f us, %s%n", chunk, (System.nanoTime() - t) / 1e3,
                        value == original.segment().get(JAVA_LONG, offset) ? "the source's bytes" : "WRONG BYTES");
            }
            double shown = -1;
            while (lazy.availability() < 1.0 && System.nanoTime() - start < 120_000_000_000L) {
                double a = lazy.availability();
                if (a - shown >= 0.2) {
                    System.out.printf("  %6.0f ms: %5.1f%% present%n", ms(System.nanoTime() - start), a * 100);
                    shown = a;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            PagerStatus s = lazy.status();
            System.out.printf("  %6.0f ms: %5.1f%% present: %d faults served, fault service p50 %.0f us, p99 %.0f us,"
                            + " max %.0f us; %d MiB installed%n", ms(System.nanoTime() - start),
                    lazy.availability() * 100, s.faultsServed(), s.faultNanosPercentile(50) / 1e3,
                    s.faultNanosPercentile(99) / 1e3, s.maxFaultNanos() / 1e3, s.bytesInstalled() >> 20);
            System.out.printf("  standby pager: pid %d%n", lazy.awaitStandby(java.time.Duration.ofSeconds(30))
                    ? lazy.standbyPagerPid() : -1);
            System.out.printf("  the lazy region equals the original: %s%n",
                    m.mismatch(original.segment()) == -1 ? "identical" : "DIFFERENT");
        }
    }

    private static void fill(MemorySegment m, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (long o = 0; o < m.byteSize(); o += 8) {
            m.set(JAVA_LONG, o, r.nextLong());
        }
    }

    private static long crc(MemorySegment m) {
        CRC32C crc = new CRC32C();
        for (long o = 0; o < m.byteSize(); o += 1 << 30) {
            crc.update(m.asSlice(o, Math.min(1L << 30, m.byteSize() - o)).asByteBuffer());
        }
        return crc.getValue();
    }

    private static void section(String title) {
        System.out.println();
        System.out.println("== " + title);
    }

    private static String indent(String text) {
        return "  " + text.replace("\n", "\n  ");
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
