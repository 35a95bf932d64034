package io.memsync.bench;

import io.memsync.cluster.wire.DataServer;
import io.memsync.cluster.wire.LinkSecurity;
import io.memsync.cluster.wire.LinkWatchdog;
import io.memsync.cluster.wire.PeerLink;
import io.memsync.cluster.wire.ReplicaSink;
import io.memsync.cluster.wire.ServedRegion;
import io.memsync.cluster.wire.TlsConfig;
import io.memsync.cluster.wire.TlsKeyMaker;
import io.memsync.region.Region;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What TLS costs the data plane, plain and TLS side by side in one run on loopback (keys made by
 * {@link TlsKeyMaker}): a full sync of a region to one replica, pulls of every chunk by several threads, one chunk's
 * round trip, and a connection's setup (TCP, TLS, the secret handshake). Plain and TLS alternate in every repeat so
 * that both see the same machine. Usage: {@code TlsCostBenchmark [--region-mib 512] [--pullers 4] [--repeats 5]};
 * prints Markdown.
 */
public final class TlsCostBenchmark {
    private static final byte[] SECRET = "benchmark-secret-0123456789".getBytes(StandardCharsets.US_ASCII);
    private static final int CHUNK = 64 * 1024;
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private TlsCostBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long regionMiB = 512;
        int pullers = 4;
        int repeats = 5;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--region-mib" -> regionMiB = Long.parseLong(args[i + 1]);
                case "--pullers" -> pullers = Integer.parseInt(args[i + 1]);
                case "--repeats" -> repeats = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.print(run(regionMiB, pullers, repeats));
    }

    public static String run(long regionMiB, int pullers, int repeats) throws Exception {
        Path keys = Files.createTempDirectory("memsync-tls-bench-");
        String password = "bench-password-0123";
        TlsKeyMaker.make(keys.resolve("stores"), List.of("owner", "replica"), password);
        Path stores = keys.resolve("stores");
        LinkSecurity plain = new LinkSecurity(SECRET, TlsConfig.OFF, true);
        LinkSecurity ownerTls = new LinkSecurity(SECRET, TlsConfig.of(TlsConfig.Mode.REQUIRED,
                stores.resolve("owner.p12"), password, stores.resolve("trust.p12"), password), true);
        LinkSecurity replicaTls = new LinkSecurity(SECRET, TlsConfig.of(TlsConfig.Mode.REQUIRED,
                stores.resolve("replica.p12"), password, stores.resolve("trust.p12"), password), true);
        long size = regionMiB << 20;
        try (Region owner = Region.builder("tls-bench-owner").size(size).chunkSize(CHUNK).create();
             Region replica = Region.builder("tls-bench-replica").size(size).chunkSize(CHUNK).create();
             LinkWatchdog watchdog = new LinkWatchdog("tls-bench-links")) {
            SplittableRandom r = new SplittableRandom(1);
            for (long o = 0; o < size; o += 8) {
                owner.segment().set(JAVA_LONG, o, r.nextLong());
            }
            long[][] sync = new long[2][repeats];
            long[][] pull = new long[2][repeats];
            long[][] roundTrip = new long[2][];
            long[][] connect = new long[2][];
            LinkSecurity[][] sides = {{plain, plain}, {ownerTls, replicaTls}};
            for (int i = 0; i < repeats; i++) {
                for (int t = 0; t < 2; t++) {
                    replica.segment().fill((byte) 0);
                    sync[t][i] = fullSync(owner, replica, sides[t][0], sides[t][1], watchdog);
                    if (owner.segment().mismatch(replica.segment()) != -1) {
                        throw new IllegalStateException("the replica differs after a full sync");
                    }
                    pull[t][i] = pullAll(replica, sides[t][0], sides[t][1], pullers, watchdog);
                }
            }
            for (int t = 0; t < 2; t++) {
                roundTrip[t] = roundTrips(replica, sides[t][0], sides[t][1], 2000, watchdog);
                connect[t] = connects(replica, sides[t][0], sides[t][1], 50, watchdog);
            }
            double syncPlain = mbPerSecond(size, median(sync[0]));
            double syncTls = mbPerSecond(size, median(sync[1]));
            double pullPlain = mbPerSecond(size, median(pull[0]));
            double pullTls = mbPerSecond(size, median(pull[1]));
            return String.format(Locale.ROOT, """
                    | what (%d MiB region, 64 KiB chunks, loopback) | plain | TLS 1.3 | TLS / plain |
                    |---|---|---|---|
                    | full sync to one replica | %.0f MB/s | %.0f MB/s | %.2fx |
                    | pull every chunk, %d threads | %.0f MB/s | %.0f MB/s | %.2fx |
                    | one chunk's round trip, p50 / p99 | %.0f / %.0f us | %.0f / %.0f us | %.2fx (p50) |
                    | connect and authenticate, p50 (after the first) | %.2f ms | %.2f ms | %.2fx |
                    | first connection of the JVM | %.1f ms | %.1f ms | |
                    medians of %d repeats, plain and TLS alternating; TLS: %s
                    """, regionMiB, syncPlain, syncTls, syncTls / syncPlain, pullers, pullPlain, pullTls,
                    pullTls / pullPlain, pct(roundTrip[0], 50) / 1e3, pct(roundTrip[0], 99) / 1e3,
                    pct(roundTrip[1], 50) / 1e3, pct(roundTrip[1], 99) / 1e3,
                    pct(roundTrip[1], 50) / pct(roundTrip[0], 50),
                    pct(Arrays.copyOfRange(connect[0], 1, connect[0].length), 50) / 1e6,
                    pct(Arrays.copyOfRange(connect[1], 1, connect[1].length), 50) / 1e6,
                    pct(Arrays.copyOfRange(connect[1], 1, connect[1].length), 50)
                            / pct(Arrays.copyOfRange(connect[0], 1, connect[0].length), 50),
                    connect[0][0] / 1e6, connect[1][0] / 1e6, repeats,
                    "TLSv1.3 (the JDK's), both sides authenticated, EC P-256 keys signed by one CA");
        }
    }

    private static DataServer serve(Region replica, LinkSecurity security) throws IOException {
        DataServer server = new DataServer(LOOPBACK, security, 16);
        server.serve(new ServedRegion(1, replica.segment(), replica.layout(), true, 1));
        return server;
    }

    private static PeerLink link(DataServer server, LinkSecurity security, LinkWatchdog watchdog)
            throws IOException {
        return PeerLink.connect(server.address(), security, "bench", CHUNK, Duration.ZERO, Duration.ofMinutes(5),
                watchdog);
    }

    /** Pushes every chunk through a {@link ReplicaSink} and waits for the replica's acknowledgement. */
    private static long fullSync(Region owner, Region replica, LinkSecurity client, LinkSecurity server,
                                 LinkWatchdog watchdog) throws IOException {
        try (DataServer s = serve(replica, server); PeerLink link = link(s, client, watchdog)) {
            ReplicaSink sink = new ReplicaSink(owner.layout(), 1, () -> 1L, List.of(link), 1, Duration.ofMinutes(5));
            long start = System.nanoTime();
            for (int c = 0; c < owner.layout().chunkCount(); c++) {
                sink.write(c, owner.segment(), owner.layout().offsetOf(c));
            }
            sink.sync();
            return System.nanoTime() - start;
        }
    }

    /** Pulls every chunk of the replica into fresh memory with {@code threads} threads, a link each. */
    private static long pullAll(Region replica, LinkSecurity client, LinkSecurity server, int threads,
                                LinkWatchdog watchdog) throws Exception {
        try (DataServer s = serve(replica, server); Arena arena = Arena.ofShared()) {
            MemorySegment into = arena.allocate(replica.segment().byteSize(), 4096);
            List<PeerLink> links = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                links.add(link(s, client, watchdog));
            }
            int chunks = replica.layout().chunkCount();
            AtomicInteger next = new AtomicInteger();
            List<Thread> workers = new ArrayList<>();
            long start = System.nanoTime();
            for (PeerLink l : links) {
                workers.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int c; (c = next.getAndIncrement()) < chunks; ) {
                            l.request(1, c, into, (long) c * CHUNK, CHUNK, Duration.ofMinutes(1));
                        }
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            for (Thread w : workers) {
                w.join();
            }
            long took = System.nanoTime() - start;
            links.forEach(PeerLink::close);
            if (into.mismatch(replica.segment()) != -1) {
                throw new IllegalStateException("pulled bytes differ from the replica's");
            }
            return took;
        }
    }

    private static long[] roundTrips(Region replica, LinkSecurity client, LinkSecurity server, int count,
                                     LinkWatchdog watchdog) throws IOException {
        try (DataServer s = serve(replica, server); PeerLink link = link(s, client, watchdog);
             Arena arena = Arena.ofShared()) {
            MemorySegment into = arena.allocate(CHUNK, 4096);
            long[] nanos = new long[count];
            for (int i = 0; i < count; i++) {
                long start = System.nanoTime();
                link.request(1, i % replica.layout().chunkCount(), into, 0, CHUNK, Duration.ofMinutes(1));
                nanos[i] = System.nanoTime() - start;
            }
            return Arrays.copyOfRange(nanos, count / 10, count);
        }
    }

    /** Connect-and-authenticate times; the first is the JVM's first of its kind (cold code, no session to resume). */
    private static long[] connects(Region replica, LinkSecurity client, LinkSecurity server, int count,
                                   LinkWatchdog watchdog) throws IOException {
        try (DataServer s = serve(replica, server)) {
            long[] nanos = new long[count];
            for (int i = 0; i < count; i++) {
                long start = System.nanoTime();
                link(s, client, watchdog).close();
                nanos[i] = System.nanoTime() - start;
            }
            return nanos;
        }
    }

    private static double mbPerSecond(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }

    private static long median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double pct(long[] v, int p) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1)];
    }
}
