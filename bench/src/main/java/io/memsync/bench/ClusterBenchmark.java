package io.memsync.bench;

import io.memsync.region.track.Trackers;
import io.memsync.cluster.wire.DataServer;
import io.memsync.cluster.wire.LinkWatchdog;
import io.memsync.cluster.wire.PeerLink;
import io.memsync.cluster.wire.ReplicaSink;
import io.memsync.cluster.wire.ServedRegion;
import io.memsync.region.ChunkLayout;
import io.memsync.region.Region;
import io.memsync.region.page.LazyRegion;
import io.memsync.region.page.PagerConfig;
import io.memsync.region.sync.Syncer;
import io.memsync.region.track.TrackerKind;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Replication lag under a steady write rate, and a remote mount's first touches and whole-region read at 0 and
 * 20 ms of injected round-trip time. Owner and replica run in this JVM (one clock for the lag) over loopback TCP;
 * the mount's pager pulls through the data plane. Needs {@code MEMSYNC_SECRET} in the environment (the pager
 * inherits it). Usage: {@code ClusterBenchmark [--region-mib 256] [--seconds 3]}; prints Markdown.
 */
public final class ClusterBenchmark {
    private static final int CHUNK = 64 * 1024;
    private static volatile long sink;

    private ClusterBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long regionMiB = 256;
        int seconds = 3;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--region-mib" -> regionMiB = Long.parseLong(args[i + 1]);
                case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.print(run(regionMiB, seconds, new int[] {1_000, 10_000}, new int[] {0, 20}));
    }

    public static String run(long regionMiB, int seconds, int[] rates, int[] rttMillis) throws Exception {
        String secret = System.getenv("MEMSYNC_SECRET");
        if (secret == null) {
            throw new IllegalStateException("set MEMSYNC_SECRET (the pager of the remote mount needs it)");
        }
        byte[] key = secret.getBytes(StandardCharsets.UTF_8);
        long size = regionMiB << 20;
        StringBuilder out = new StringBuilder();
        try (Region owner = Region.builder("bench-lag-owner").size(size).chunkSize(CHUNK).create();
             Region replica = Region.builder("bench-lag-replica").size(size).chunkSize(CHUNK).create();
             DataServer replicaServer = new DataServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                     key, 8);
             DataServer ownerServer = new DataServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                     key, 8)) {
            replicaServer.serve(new ServedRegion(1, replica.segment(), replica.layout(), true, 1));
            ownerServer.serve(new ServedRegion(1, owner.segment(), owner.layout(), false, 1));
            out.append("| writes/s | sync interval | lag p50 | lag p99 | lag max | samples |\n|---|---|---|---|---|---|\n");
            try (LinkWatchdog watchdog = new LinkWatchdog("bench-links");
                 PeerLink link = PeerLink.connect(replicaServer.address(), key, "bench", CHUNK, Duration.ZERO, watchdog)) {
                ReplicaSink replicaSink = new ReplicaSink(owner.layout(), 1, () -> 1L, List.of(link), 1,
                        Duration.ofSeconds(30));
                try (Syncer syncer = new Syncer("lag", Trackers.start(owner, TrackerKind.AUTO), replicaSink,
                        Duration.ofMillis(2)).start()) {
                    // Discarded: until the writer's and the watcher's loops are compiled, a sweep of the watcher
                    // over its slots takes a quarter of a second in the interpreter.
                    resetSlots(owner.segment(), syncer);
                    lag(owner.segment(), replica.segment(), 1000, 1);
                    for (int rate : rates) {
                        // Each run counts from 1 again: the slots must not show the previous run's numbers.
                        resetSlots(owner.segment(), syncer);
                        long[] lags = lag(owner.segment(), replica.segment(), rate, seconds);
                        out.append(String.format(Locale.ROOT, "| %d | 2 ms | %.2f ms | %.2f ms | %.2f ms | %d |%n",
                                rate, pct(lags, 50) / 1e6, pct(lags, 99) / 1e6, lags[lags.length - 1] / 1e6,
                                lags.length));
                    }
                    syncer.flush();
                }
            }
            SplittableRandom r = new SplittableRandom(5);
            for (long o = 0; o < size; o += 8) {
                owner.segment().set(JAVA_LONG, o, r.nextLong());
            }
            out.append("\n| injected RTT | first touch p50 (0 pullers) | p99 | pullers | whole-region read | MB/s |\n"
                    + "|---|---|---|---|---|---|\n");
            ChunkLayout layout = owner.layout();
            for (int rtt : rttMillis) {
                String spec = "tcp:1@" + ownerServer.address().getHostString() + ":" + ownerServer.port()
                        + (rtt > 0 ? "?delayUs=" + rtt * 1000 : "");
                long[] touches;
                try (LazyRegion direct = LazyRegion.mount("bench-direct", layout,
                        PagerConfig.of(spec).withPullers(0).withStandby(false))) {
                    touches = firstTouches(direct.segment(), layout, rtt > 0 ? 50 : 500);
                    check(direct.segment(), owner.segment(), layout, 3);
                }
                for (int pullers : new int[] {4, 32}) {
                long read;
                try (LazyRegion managed = LazyRegion.mount("bench-managed", layout,
                        PagerConfig.of(spec).withPullers(pullers).withStandby(false))) {
                    long start = System.nanoTime();
                    long sum = 0;
                    for (long o = 0; o < size; o += 8) {
                        sum += managed.segment().get(JAVA_LONG, o);
                    }
                    sink = sum;
                    read = System.nanoTime() - start;
                    if (managed.segment().mismatch(owner.segment()) != -1) {
                        throw new IllegalStateException("the mount differs from the owner");
                    }
                }
                out.append(String.format(Locale.ROOT, "| %d ms | %.2f ms | %.2f ms | %d | %.0f ms | %.0f |%n", rtt,
                        pct(touches, 50) / 1e6, pct(touches, 99) / 1e6, pullers, read / 1e6,
                        size / 1e6 / (read / 1e9)));
                }
            }
        }
        return out.toString();
    }

    /** Zeroes every slot {@link #lag} uses, on the owner and (through a flush) on the replica. */
    private static void resetSlots(MemorySegment owner, Syncer syncer) throws IOException {
        int slots = (int) Math.min(owner.byteSize() / CHUNK, 4096);
        for (int s = 0; s < slots; s++) {
            owner.set(JAVA_LONG, (long) s * CHUNK, 0L);
        }
        syncer.flush();
    }

    /**
     * Writes {@code rate} times a second a sequence number into slot {@code seq % slots} of the owner (one slot per
     * chunk) and watches the replica for it: the lag of each write is when the replica first shows it.
     */
    private static long[] lag(MemorySegment owner, MemorySegment replica, int rate, int seconds)
            throws InterruptedException {
        int slots = (int) Math.min(owner.byteSize() / CHUNK, 4096);
        int total = rate * seconds;
        long[] writtenAt = new long[total + 1];
        long[] seenAt = new long[total + 1];
        Thread watcher = Thread.ofPlatform().start(() -> {
            long[] last = new long[slots];
            long deadline = System.nanoTime() + (seconds + 30) * 1_000_000_000L;
            int seen = 0;
            while (seen < total && System.nanoTime() < deadline) {
                for (int s = 0; s < slots; s++) {
                    long v = replica.get(JAVA_LONG, (long) s * CHUNK);
                    if (v != last[s]) {
                        long now = System.nanoTime();
                        for (long q = last[s] + slots; q <= v && q <= total; q += slots) {
                            if (seenAt[(int) q] == 0) {
                                seenAt[(int) q] = now;
                                seen++;
                            }
                        }
                        if (last[s] == 0 && v > 0 && seenAt[(int) v] == 0) {
                            seenAt[(int) v] = now;
                            seen++;
                        }
                        last[s] = v;
                    }
                }
            }
        });
        long interval = 1_000_000_000L / rate;
        long next = System.nanoTime();
        for (int seq = 1; seq <= total; seq++) {
            while (System.nanoTime() < next) {
                LockSupport.parkNanos(Math.max(1, next - System.nanoTime() - 20_000));
            }
            writtenAt[seq] = System.nanoTime();
            VarHandle.releaseFence();
            owner.set(JAVA_LONG, (long) (seq % slots) * CHUNK, seq);
            next += interval;
        }
        watcher.join();
        long[] lags = new long[total];
        int n = 0;
        for (int seq = 1; seq <= total; seq++) {
            if (seenAt[seq] != 0) {
                lags[n++] = seenAt[seq] - writtenAt[seq];
            }
        }
        long[] result = Arrays.copyOf(lags, n);
        Arrays.sort(result);
        return result;
    }

    private static long[] firstTouches(MemorySegment m, ChunkLayout layout, int touches) {
        int n = Math.min(touches, layout.chunkCount());
        int[] order = new SplittableRandom(9).ints(0, layout.chunkCount()).distinct().limit(n).toArray();
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            VarHandle.fullFence();
            long t0 = System.nanoTime();
            VarHandle.fullFence();
            sink = m.get(JAVA_LONG, layout.offsetOf(order[i]));
            VarHandle.fullFence();
            t[i] = System.nanoTime() - t0;
        }
        Arrays.sort(t);
        return t;
    }

    private static void check(MemorySegment mount, MemorySegment owner, ChunkLayout layout, int chunk) {
        long o = layout.offsetOf(chunk);
        if (mount.get(JAVA_LONG, o) != owner.get(JAVA_LONG, o)) {
            throw new IllegalStateException("the mount reads other bytes than the owner's");
        }
    }

    private static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
