package io.memsync.bench;

import io.memsync.region.ChunkLayout;
import io.memsync.region.Region;
import io.memsync.region.page.LazyRegion;
import io.memsync.region.page.PagerConfig;
import io.memsync.region.pager.PagerStatus;
import io.memsync.region.store.MappedImageSource;
import io.memsync.region.store.RegionImages;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.lang.management.ManagementFactory;
import javax.management.ObjectName;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The pager's figures, in one run: first-touch latency (p50/p99/max), the time to read a whole region through the
 * pager sequentially, and the longest time to reach a safepoint (GCs forced every 20 ms) while faults are
 * outstanding, for several chunk sizes with and without background pullers, beside copying the region eagerly
 * from the same memory store before use. A harness rather than JMH: each measurement needs a fresh mount (a pager
 * process) and a first touch can only be measured once per chunk.
 * <p>
 * Usage: {@code PagerBenchmark [--region-mib 1024] [--chunk-kib 4,64,1024] [--pullers 0,4] [--touches 2000]
 * [--repeats 3]}; prints a Markdown table.
 */
public final class PagerBenchmark {
    private static final long GC_INTERVAL_MS = 20;
    private static volatile long sink;

    private PagerBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long regionMiB = 1024;
        int[] chunkKiB = {4, 64, 1024};
        int[] pullers = {0, 4};
        int touches = 2000;
        int repeats = 3;
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--region-mib" -> regionMiB = Long.parseLong(v);
                case "--chunk-kib" -> chunkKiB = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                case "--pullers" -> pullers = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                case "--touches" -> touches = Integer.parseInt(v);
                case "--repeats" -> repeats = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.print(run(regionMiB, chunkKiB, pullers, touches, repeats));
    }

    /** Runs every configuration and returns the results as a Markdown table. */
    public static String run(long regionMiB, int[] chunkKiB, int[] pullerCounts, int touches, int repeats)
            throws Exception {
        long size = regionMiB << 20;
        Path image = Path.of("/dev/shm", "memsync-pager-bench-" + ProcessHandle.current().pid());
        StringBuilder out = new StringBuilder();
        try {
            writeImage(image, size);
            String source = "shm:" + image;
            List<String> rows = new ArrayList<>();
            for (int kib : chunkKiB) {
                ChunkLayout layout = new ChunkLayout(size, kib * 1024);
                long[] eager = new long[repeats];
                long[] eagerGc = new long[repeats];
                for (int r = 0; r < repeats; r++) {
                    eager[r] = eagerCopyAndRead(layout, image, false)[0];
                    eagerGc[r] = eagerCopyAndRead(layout, image, true)[1];
                }
                long eagerMedian = median(eager);
                rows.add(String.format(Locale.ROOT, "| %d KiB | eager copy, then read | - | - | - | %.0f ms | 1.00x | %.1f ms |",
                        kib, eagerMedian / 1e6, max(eagerGc) / 1e6));
                for (int pullers : pullerCounts) {
                    PagerConfig config = PagerConfig.of(source).withPullers(pullers).withStandby(false);
                    long[] latencies = firstTouches(layout, config, touches);
                    long[] reads = new long[repeats];
                    long[] gcs = new long[repeats];
                    long faults = 0;
                    for (int r = 0; r < repeats; r++) {
                        long[] read = lazyRead(layout, config, false);
                        reads[r] = read[0];
                        faults = read[2];
                        gcs[r] = lazyRead(layout, config, true)[1];
                    }
                    long readMedian = median(reads);
                    rows.add(String.format(Locale.ROOT,
                            "| %d KiB | pager, %d pullers | %.0f us | %.0f us | %.0f us | %.0f ms | %.2fx | %.1f ms |",
                            kib, pullers, percentile(latencies, 50) / 1e3, percentile(latencies, 99) / 1e3,
                            latencies[latencies.length - 1] / 1e3, readMedian / 1e6, readMedian / (double) eagerMedian,
                            max(gcs) / 1e6));
                    System.err.printf("%d KiB, %d pullers: %d faults in the last sequential read%n", kib, pullers,
                            faults);
                }
            }
            out.append("| chunk | how | first touch p50 | p99 | max | whole-region read | vs eager | longest time to safepoint during the read |\n");
            out.append("|---|---|---|---|---|---|---|---|\n");
            for (String row : rows) {
                out.append(row).append('\n');
            }
        } finally {
            Files.deleteIfExists(image);
        }
        return out.toString();
    }

    private static void writeImage(Path image, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING); Arena arena = Arena.ofConfined()) {
            ch.truncate(size);
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            SplittableRandom random = new SplittableRandom(1);
            for (long o = 0; o < size; o += 8) {
                m.set(JAVA_LONG, o, random.nextLong());
            }
        }
    }

    /** Copies the image into a fresh region, then reads it all: {total nanos, longest gc nanos}. */
    private static long[] eagerCopyAndRead(ChunkLayout layout, Path image, boolean withGc) throws IOException {
        try (Region region = Region.builder("eager").size(layout.regionSize()).chunkSize(layout.chunkSize()).create();
             MappedImageSource source = MappedImageSource.open(image, layout)) {
            GcProbe gc = withGc ? new GcProbe() : null;
            long start = System.nanoTime();
            RegionImages.load(source, region);
            sink = readAll(region.segment());
            long total = System.nanoTime() - start;
            return new long[] {total, gc == null ? 0 : gc.stop()};
        }
    }

    /** Mounts lazily, then reads it all in address order: {nanos, longest gc nanos, faults}. */
    private static long[] lazyRead(ChunkLayout layout, PagerConfig config, boolean withGc) throws IOException {
        try (LazyRegion lazy = LazyRegion.mount("bench", layout, config)) {
            GcProbe gc = withGc ? new GcProbe() : null;
            long start = System.nanoTime();
            sink = readAll(lazy.segment());
            long total = System.nanoTime() - start;
            return new long[] {total, gc == null ? 0 : gc.stop(), lazy.status().faults()};
        }
    }

    /** The latency of the first touch of {@code touches} random distinct chunks, sorted. */
    private static long[] firstTouches(ChunkLayout layout, PagerConfig config, int touches) throws IOException {
        int n = Math.min(touches, layout.chunkCount());
        int[] order = new SplittableRandom(7).ints(0, layout.chunkCount()).distinct().limit(n).toArray();
        long[] latencies = new long[n];
        try (LazyRegion lazy = LazyRegion.mount("bench-touch", layout, config)) {
            MemorySegment m = lazy.segment();
            for (int i = 0; i < n; i++) {
                long offset = layout.offsetOf(order[i]) + 8L * (i % 512);
                // Fences keep the load between the two clock reads (C2 may otherwise move it).
                VarHandle.fullFence();
                long t0 = System.nanoTime();
                VarHandle.fullFence();
                sink = m.get(JAVA_LONG, offset);
                VarHandle.fullFence();
                latencies[i] = System.nanoTime() - t0;
            }
            PagerStatus s = lazy.status();
            System.err.printf("%d KiB, %d pullers: %d touches, %d faults, pager-side p50 %d us%n",
                    layout.chunkSize() / 1024, config.pullers(), n, s.faults(), s.faultNanosPercentile(50) / 1000);
        }
        Arrays.sort(latencies);
        return latencies;
    }

    private static long readAll(MemorySegment m) {
        long sum = 0;
        for (long o = 0; o < m.byteSize(); o += 8) {
            sum += m.get(JAVA_LONG, o);
        }
        return sum;
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static long max(long[] values) {
        return Arrays.stream(values).max().orElse(0);
    }

    private static long percentile(long[] sorted, double p) {
        int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    /**
     * Calls System.gc() every {@link #GC_INTERVAL_MS} on its own thread while the JVM logs its safepoints (switched
     * on here through the DiagnosticCommand MBean, like {@code jcmd VM.log}); {@link #stop()} returns the longest
     * time any safepoint took to reach, which is what an outstanding fault adds to every pause. Not back to back:
     * a thread woken from a fault stops at the next safepoint, so a GC storm would let the reader make one fault
     * per GC and measure nothing but the storm.
     */
    private static final class GcProbe implements AutoCloseable {
        private static final Pattern REACHING = Pattern.compile("Reaching safepoint: (\\d+) ns");
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;
        private final Path log;
        private long longest = -1;

        GcProbe() throws IOException {
            log = Files.createTempFile("memsync-safepoints", ".log");
            vmLog("output=" + log, "what=safepoint=info", "decorators=none");
            thread = Thread.ofPlatform().name("gc-probe").start(() -> {
                while (!stop.get()) {
                    System.gc();
                    LockSupport.parkNanos(GC_INTERVAL_MS * 1_000_000);
                }
            });
        }

        /** The longest time to reach a safepoint while the probe ran, in nanoseconds. */
        long stop() {
            if (longest >= 0) {
                return longest;
            }
            stop.set(true);
            try {
                thread.join(60_000);
                vmLog("disable");
                long max = 0;
                for (String line : Files.readAllLines(log)) {
                    Matcher m = REACHING.matcher(line);
                    if (m.find()) {
                        max = Math.max(max, Long.parseLong(m.group(1)));
                    }
                }
                longest = max;
                Files.deleteIfExists(log);
            } catch (Exception e) {
                throw new IllegalStateException("reading the safepoint log " + log + " failed", e);
            }
            return longest;
        }

        private static void vmLog(String... arguments) {
            try {
                ManagementFactory.getPlatformMBeanServer().invoke(
                        new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmLog",
                        new Object[] {arguments}, new String[] {String[].class.getName()});
            } catch (Exception e) {
                throw new IllegalStateException("VM.log " + String.join(" ", arguments) + " failed", e);
            }
        }

        @Override
        public void close() {
            stop();
        }
    }
}
