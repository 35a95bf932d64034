package io.memsync.bench;

import io.memsync.cluster.testkit.DelayProxy;
import io.memsync.cluster.testkit.RegionServerMain;
import io.memsync.cluster.wire.LinkSecurity;
import io.memsync.region.ChunkLayout;
import io.memsync.region.page.LazyRegion;
import io.memsync.region.page.PagerConfig;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A whole region read from a peer at a network distance, through the {@link DelayProxy} at each round-trip time:
 * a lazy mount that pages everything in with its background stream ({@code memsync-stream}), the same chunk by
 * chunk with pullers ({@code memsync-pullers}), and a raw NIO stream of as many bytes through the same proxy
 * ({@code raw-stream}, the limit); then first touches of chunks not paged in yet while the stream runs
 * ({@code first-touch}, also without the stream); and the on-demand faults of a second mount that replays the
 * working set a first one recorded ({@code second-mount}). The application reads the whole region from start to end
 * as it arrives; the time is from the mount's return until every chunk is present and read. Every mount's bytes are
 * checked against the owner's. At 0 ms the mounts pull from the server directly, at other RTTs through the proxy.
 */
public final class PullBenchmark {
    private static final long ID = 0x70_6c_6c_00_0000_0001L;
    private static final long SEED = 7;
    private static final byte[] SECRET = "pull-benchmark-secret-0123456789".getBytes(StandardCharsets.UTF_8);

    /** What one run measures. */
    record Settings(long mib, int chunkKib, List<Integer> rtts, int pullers, int touches) {
    }

    private PullBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Settings s = new Settings(256, 64, List.of(0, 5, 20, 50), 4, 50);
        java.nio.file.Path json = null;
        for (int i = 0; i < args.length; i += 2) {
            String v = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--mib" -> s = new Settings(Long.parseLong(v), s.chunkKib(), s.rtts(), s.pullers(), s.touches());
                case "--chunk-kib" -> s = new Settings(s.mib(), Integer.parseInt(v), s.rtts(), s.pullers(),
                        s.touches());
                case "--rtts" -> s = new Settings(s.mib(), s.chunkKib(), Arrays.stream(v.split(","))
                        .map(String::trim).map(Integer::valueOf).toList(), s.pullers(), s.touches());
                case "--pullers" -> s = new Settings(s.mib(), s.chunkKib(), s.rtts(), Integer.parseInt(v),
                        s.touches());
                case "--touches" -> s = new Settings(s.mib(), s.chunkKib(), s.rtts(), s.pullers(),
                        Integer.parseInt(v));
                case "--json" -> json = java.nio.file.Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (options: --mib N, "
                        + "--chunk-kib N, --rtts MS,MS,..., --pullers N, --touches N, --json FILE)");
            }
        }
        BenchReport report = new BenchReport("pull");
        run(report, s);
        if (json != null) {
            report.write(json);
        }
    }

    /** Runs every measurement of {@code s} into {@code report}. */
    static void run(BenchReport report, Settings s) throws Exception {
        long size = s.mib() << 20;
        int chunk = s.chunkKib() * 1024;
        ChunkLayout layout = new ChunkLayout(size, chunk);
        // The region is served from a JVM of its own: this one's threads fault on the mounts, and a JVM must never
        // serve its own faults (a thread blocked in a fault holds up the next safepoint, and the serving threads).
        try (RegionServerMain.Started server = RegionServerMain.start("pull-bench-server", s.mib(), s.chunkKib(), ID,
                SEED, 0, new String(SECRET, StandardCharsets.UTF_8))) {
            for (int rtt : s.rtts()) {
                Duration oneWay = Duration.ofNanos(rtt * 500_000L);
                Map<String, Object> params = new LinkedHashMap<>();
                params.put("rtt_ms", rtt);
                params.put("chunk_kib", s.chunkKib());
                params.put("mib", s.mib());
                report.add("raw-stream", params, Map.of("mb_per_s", round(ProxyStreamBenchmark.stream(size,
                        oneWay))));
                // At 0 ms, straight to the server: the proxy's own hand-offs between its threads are not a network's,
                // and on a busy machine they cost more than memsync's whole path.
                int port = rtt == 0 ? server.port() : server.proxy(rtt, 0);
                String spec = "tcp:" + Long.toHexString(ID) + "@127.0.0.1:" + port;
                Map<String, Object> streamed = new LinkedHashMap<>(params);
                streamed.put("pullers", s.pullers());
                report.add("memsync-stream", streamed, Map.of("mb_per_s", round(readWhole(layout, spec,
                        s.pullers()))));
                report.add("memsync-pullers", streamed, Map.of("mb_per_s", round(readWhole(layout,
                        spec + "?stream=off", s.pullers()))));
                report.add("first-touch", streamed, firstTouches(layout, spec, s.pullers(), s.touches()));
                report.add("second-mount", streamed, secondMount(layout, spec, s.pullers(),
                        Math.max(16, s.touches())));
                Map<String, Object> pulled = new LinkedHashMap<>(streamed);
                pulled.put("stream", false);
                report.add("first-touch", pulled, firstTouches(layout, spec + "?stream=off", s.pullers(),
                        s.touches()));
            }
            compression(report, s, server, SEED);
        }
        // The same through the same link, with bytes that compress.
        try (RegionServerMain.Started compressible = RegionServerMain.start("pull-bench-compressible",
                Math.min(s.mib(), COMPRESSION_MIB), s.chunkKib(), ID, -SEED, 0,
                new String(SECRET, StandardCharsets.UTF_8))) {
            compression(report, s, compressible, -SEED);
        }
    }

    /** Region size of the compression measurements (a link of {@link #COMPRESSION_LINK} takes seconds for it). */
    private static final long COMPRESSION_MIB = 128;
    /** The rate-limited link the compression measurements cross (bytes a second). */
    static final long COMPRESSION_LINK = 100_000_000L;

    /**
     * A whole-region stream through a link of {@link #COMPRESSION_LINK}, the application reading once it is all there
     * (the link limits the stream; faults would cross the proxy on connections of their own, each with a link of its
     * own), with LZ4 as it pays ({@code compress=auto}) and without ({@code compress=off}, where the link's rate is
     * the limit); {@code seed} says whether the served bytes compress (negative) or are random.
     */
    private static void compression(BenchReport report, Settings s, RegionServerMain.Started server, long seed)
            throws Exception {
        long size = Math.min(s.mib(), COMPRESSION_MIB) << 20;
        ChunkLayout layout = new ChunkLayout(size, s.chunkKib() * 1024);
        int port = server.proxy(0, COMPRESSION_LINK);
        String spec = "tcp:" + Long.toHexString(ID) + "@127.0.0.1:" + port + "?compress=";
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("link_mb_per_s", COMPRESSION_LINK / 1_000_000);
        params.put("data", seed < 0 ? "compressible" : "random");
        params.put("mib", size >> 20);
        params.put("chunk_kib", s.chunkKib());
        for (String mode : List.of("auto", "off")) {
            Map<String, Object> p = new LinkedHashMap<>(params);
            p.put("compress", mode);
            long before = server.counters()[2];
            double mbs = readWhole(layout, spec + mode, s.pullers(), seed, true);
            report.add("memsync-stream-lz4", p, Map.of("mb_per_s", round(mbs), "chunks_compressed",
                    server.counters()[2] - before));
        }
    }

    private static LazyRegion mount(ChunkLayout layout, String spec, int pullers) throws Exception {
        return mount(layout, PagerConfig.of(spec).withPullers(pullers));
    }

    private static LazyRegion mount(ChunkLayout layout, PagerConfig config) throws Exception {
        return LazyRegion.mount("pull-bench", layout, config.withStandby(false), security().environment());
    }

    /** The secret alone, not bound to addresses: the proxy relays every connection. */
    private static LinkSecurity security() throws java.io.IOException {
        return new LinkSecurity(SECRET, io.memsync.cluster.wire.TlsConfig.OFF, false);
    }

    private static void check(LazyRegion lazy, long at) {
        check(lazy, SEED, at);
    }

    private static void check(LazyRegion lazy, long seed, long at) {
        if (lazy.segment().get(JAVA_LONG, at) != RegionServerMain.word(seed, at)) {
            throw new IllegalStateException("the mount differs from the served region at offset " + at);
        }
    }

    /** MB/s of reading the whole mounted region, start to end, from the mount's return; the bytes checked. */
    private static double readWhole(ChunkLayout layout, String spec, int pullers) throws Exception {
        return readWhole(layout, spec, pullers, SEED, Boolean.getBoolean("pull.background.only"));
    }

    /** As above; with {@code backgroundOnly} the application reads nothing until every chunk is present. */
    private static double readWhole(ChunkLayout layout, String spec, int pullers, long seed, boolean backgroundOnly)
            throws Exception {
        try (LazyRegion lazy = mount(layout, spec, pullers)) {
            MemorySegment m = lazy.segment();
            long start = System.nanoTime();
            for (long at = 0; at < m.byteSize() && !backgroundOnly; at += 4096) {
                check(lazy, seed, at);
            }
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (lazy.status().presentChunks() < layout.chunkCount() && System.nanoTime() < deadline) {
                TimeUnit.MICROSECONDS.sleep(200);
            }
            long nanos = System.nanoTime() - start;
            for (long at = 0; at < m.byteSize(); at += 8) {
                check(lazy, seed, at);
            }
            return layout.regionSize() / 1e6 / (nanos / 1e9);
        }
    }

    /**
     * Touches {@code touches} random chunks that are not present yet while the background pull runs, one every
     * half millisecond or so; the latency of each first read, p50 and p99 in microseconds.
     */
    private static Map<String, Object> firstTouches(ChunkLayout layout, String spec, int pullers, int touches)
            throws Exception {
        List<Long> micros = new ArrayList<>();
        try (LazyRegion lazy = mount(layout, spec, pullers)) {
            MemorySegment m = lazy.segment();
            SplittableRandom r = new SplittableRandom(11);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (micros.size() < touches && System.nanoTime() < deadline
                    && lazy.status().presentChunks() < layout.chunkCount()) {
                int c = r.nextInt(layout.chunkCount());
                if (lazy.isPresent(c)) {
                    continue;
                }
                long t = System.nanoTime();
                long v = m.get(JAVA_LONG, layout.offsetOf(c));
                micros.add((System.nanoTime() - t) / 1000);
                if (v != RegionServerMain.word(SEED, layout.offsetOf(c))) {
                    throw new IllegalStateException("chunk " + c + " read other bytes than the server's");
                }
                TimeUnit.MICROSECONDS.sleep(500);
            }
        }
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("touches", micros.size());
        if (!micros.isEmpty()) {
            micros.sort(null);
            metrics.put("p50_us", micros.get(micros.size() / 2));
            metrics.put("p99_us", micros.get(Math.min(micros.size() - 1, (int) Math.ceil(micros.size() * 0.99) - 1)));
        }
        return metrics;
    }

    /**
     * The same access pattern ({@code touches} random chunks, read one after the other) on two mounts: the first on
     * demand only, recording its working set; the second with the background stream and that working set pulled
     * first, the application starting at once. On-demand faults (first touches that waited) of each.
     */
    private static Map<String, Object> secondMount(ChunkLayout layout, String spec, int pullers, int touches)
            throws Exception {
        int[] pattern = new SplittableRandom(13).ints(0, layout.chunkCount()).distinct()
                .limit(Math.min(touches, layout.chunkCount())).toArray();
        int[] workingSet;
        long first;
        long second;
        try (LazyRegion lazy = mount(layout, spec, 0)) {
            readPattern(lazy, layout, pattern);
            workingSet = lazy.touchOrder();
            first = lazy.status().touches();
        }
        try (LazyRegion lazy = mount(layout, PagerConfig.of(spec).withPullers(pullers).withPullFirst(workingSet))) {
            readPattern(lazy, layout, pattern);
            second = lazy.status().touches();
        }
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("first_faults", first);
        metrics.put("second_faults", second);
        metrics.put("fewer_pct", first == 0 ? 0 : round(100.0 * (first - second) / first));
        return metrics;
    }

    private static void readPattern(LazyRegion lazy, ChunkLayout layout, int[] pattern) {
        for (int c : pattern) {
            check(lazy, layout.offsetOf(c));
        }
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
