package io.memsync.bench;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.MigrationOptions;
import io.memsync.cluster.MigrationResult;
import io.memsync.cluster.Node;
import io.memsync.cluster.NodeConfig;
import io.memsync.cluster.wire.TlsConfig;
import io.memsync.cluster.wire.TlsKeyMaker;
import io.memsync.cluster.OwnershipListener;
import io.memsync.cluster.WriterControl;
import io.memsync.cluster.testkit.FreePorts;
import io.memsync.cluster.wire.DataServer;
import io.memsync.cluster.wire.LinkWatchdog;
import io.memsync.cluster.wire.PeerLink;
import io.memsync.cluster.wire.ReplicaSink;
import io.memsync.cluster.wire.ServedRegion;
import io.memsync.region.Region;

import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Live migration of a region between two nodes in this JVM (one clock for the pause), ping-pong, while a writer
 * dirties random pages at a steady rate; beside stop-and-copy of the same region over the same data plane. The
 * pause is from {@link WriterControl#pause()} on the source to {@link OwnershipListener#gained} on the
 * destination, when the writer may write again. Needs {@code MEMSYNC_SECRET} in the environment (the
 * destination's pager inherits it). Usage: {@code MigrationBenchmark [--region-mib 1024] [--migrations 5]
 * [--rates 0,3000,12800] [--min-availability 1.0] [--tls]} (page writes per second; the share the destination holds before
 * the handover: below 1, the rest is post-copy; TLS required on the data plane); prints Markdown.
 */
public final class MigrationBenchmark {
    private static final int CHUNK = 64 * 1024;
    private static final String REGION = "bench";

    private MigrationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long regionMiB = 1024;
        int migrations = 5;
        int[] rates = {0, 3_000, 12_800};
        double minAvailability = 1.0;
        boolean tls = false;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--tls" -> {
                    tls = true;
                    i--;
                }
                case "--min-availability" -> minAvailability = Double.parseDouble(args[i + 1]);
                case "--region-mib" -> regionMiB = Long.parseLong(args[i + 1]);
                case "--migrations" -> migrations = Integer.parseInt(args[i + 1]);
                case "--rates" -> rates = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.print(run(regionMiB, migrations, rates, minAvailability, tls));
    }

    /** Moves the region's writes from node to node as ownership moves. */
    static final class FollowingWriter implements WriterControl, OwnershipListener {
        private final long pagesPerSecond;
        private final Thread thread;
        private volatile MemorySegment target;
        private volatile boolean paused;
        private volatile boolean parked = true;
        private volatile boolean stopped;
        volatile long pausedAt;
        volatile long gainedAt;
        volatile long firstWriteAt;

        FollowingWriter(long pagesPerSecond) {
            this.pagesPerSecond = pagesPerSecond;
            this.thread = Thread.ofPlatform().name("bench-writer").daemon(true).start(this::run);
        }

        @Override
        public void pause() {
            pausedAt = System.nanoTime();
            paused = true;
            LockSupport.unpark(thread);
            while (!parked) {
                Thread.onSpinWait();
            }
        }

        @Override
        public void resume() {
            paused = false;
            LockSupport.unpark(thread);
        }

        @Override
        public void gained(ClusterRegion region) {
            gainedAt = System.nanoTime();
            firstWriteAt = 0;
            target = region.segment();
            paused = false;
            LockSupport.unpark(thread);
        }

        @Override
        public void lost(String name, String newOwner, long token) {
            target = null;
        }

        void start(ClusterRegion region) {
            target = region.segment();
            paused = false;
            LockSupport.unpark(thread);
        }

        void stop() throws InterruptedException {
            stopped = true;
            LockSupport.unpark(thread);
            thread.join(10_000);
        }

        private void run() {
            SplittableRandom random = new SplittableRandom(1);
            double perMilli = pagesPerSecond / 1000.0;
            double credit = 0;
            long next = System.nanoTime();
            while (!stopped) {
                MemorySegment m = target;
                if (paused || m == null || pagesPerSecond == 0) {
                    parked = true;
                    LockSupport.parkNanos(this, 1_000_000);
                    next = System.nanoTime();
                    continue;
                }
                parked = false;
                credit += perMilli;
                try {
                    while (credit >= 1 && !paused) {
                        long page = random.nextLong(m.byteSize() >>> 12);
                        m.set(JAVA_LONG, (page << 12) + 8 * random.nextInt(512), random.nextLong());
                        if (firstWriteAt == 0) {
                            firstWriteAt = System.nanoTime();
                        }
                        credit -= 1;
                    }
                } catch (IllegalStateException revoked) {
                    continue;
                }
                next += 1_000_000;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(this, wait);
                } else if (wait < -100_000_000) {
                    next = System.nanoTime();
                }
            }
        }
    }

    public static String run(long regionMiB, int migrations, int[] rates) throws Exception {
        return run(regionMiB, migrations, rates, 1.0);
    }

    /** With {@code minAvailability} below 1 the handover comes before the destination holds everything. */
    public static String run(long regionMiB, int migrations, int[] rates, double minAvailability)
            throws Exception {
        return run(regionMiB, migrations, rates, minAvailability, false);
    }

    /** With {@code tls}, TLS required on the data plane (keys made by {@link TlsKeyMaker} in a temporary directory). */
    public static String run(long regionMiB, int migrations, int[] rates, double minAvailability, boolean tls)
            throws Exception {
        TlsConfig tlsConfig = TlsConfig.OFF;
        if (tls) {
            java.nio.file.Path keys = java.nio.file.Files.createTempDirectory("memsync-migration-bench-").resolve("k");
            String password = "bench-password-0123";
            TlsKeyMaker.make(keys, List.of("node"), password);
            tlsConfig = TlsConfig.of(TlsConfig.Mode.REQUIRED, keys.resolve("node.p12"), password,
                    keys.resolve("trust.p12"), password);
        }
        String secret = System.getenv("MEMSYNC_SECRET");
        if (secret == null) {
            throw new IllegalStateException("set MEMSYNC_SECRET (the destination's pager needs it)");
        }
        byte[] key = secret.getBytes(StandardCharsets.UTF_8);
        long size = regionMiB << 20;
        int[] ports = {freePort(), freePort()};
        List<String> members = List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]);
        String cluster = "migration-bench-" + ProcessHandle.current().pid();
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Live migration of a %d MiB region (%d KiB chunks, no replica) between "
                + "two nodes on loopback, %d migrations per rate, handover once the destination holds %.0f %% of it; "
                + "the pause is from pausing the writer on the source to the destination letting it write; data "
                + "plane: %s.%n%n", regionMiB, CHUNK / 1024, migrations, minAvailability * 100, tlsConfig.enabled()
                ? "TLS 1.3 required" : "plain TCP"));
        out.append("| page writes/s | dirtied MB/s | pause p50 | pause p99 | first write after | rounds | "
                + "final round | total to handover | paged in after | MB sent |\n");
        out.append("|---|---|---|---|---|---|---|---|---|---|\n");
        Node[] nodes = new Node[2];
        try {
            for (int i = 0; i < 2; i++) {
                nodes[i] = Node.start(NodeConfig.loopback("bench-" + i, cluster, ports[i], members, key)
                        .withDataPlaneSecurity(tlsConfig, true));
            }
            for (long deadline = System.nanoTime() + 60_000_000_000L; nodes[0].clusterSize() < 2; ) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the two nodes did not form a cluster within 60 s");
                }
                LockSupport.parkNanos(10_000_000);
            }
            ClusterRegion region = nodes[0].createRegion(REGION, size, CHUNK, 0);
            MemorySegment m = region.segment();
            SplittableRandom random = new SplittableRandom(7);
            for (long o = 0; o < size; o += 4096) {
                m.set(JAVA_LONG, o, random.nextLong());
            }
            region.flush();
            int owner = 0;
            for (int rate : rates) {
                FollowingWriter writer = new FollowingWriter(rate);
                for (Node n : nodes) {
                    n.writerControl(REGION, writer);
                    n.addOwnershipListener(writer);
                }
                writer.start(nodes[owner].region(REGION));
                long[] pauses = new long[migrations];
                long[] firstWrites = new long[migrations];
                long rounds = 0;
                long finalChunks = 0;
                long total = 0;
                long pagedIn = 0;
                long bytes = 0;
                for (int i = 0; i < migrations; i++) {
                    Node source = nodes[owner];
                    Node destination = nodes[1 - owner];
                    awaitNoCopy(destination);
                    Thread.sleep(300);
                    long servedBefore = source.chunksServed();
                    MigrationResult result = source.migrate(REGION, destination.memberId(),
                            MigrationOptions.defaults().withMinAvailability(minAvailability, Duration.ofSeconds(60)));
                    long handedAt = System.nanoTime();
                    ClusterRegion moved = destination.awaitRegion(REGION, Duration.ofSeconds(30));
                    for (long deadline = System.nanoTime() + 120_000_000_000L; moved.availability() < 1.0; ) {
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException("the destination did not page everything in");
                        }
                        LockSupport.parkNanos(1_000_000);
                    }
                    pagedIn += System.nanoTime() - handedAt;
                    pauses[i] = writer.gainedAt - writer.pausedAt;
                    Thread.sleep(50);
                    firstWrites[i] = writer.firstWriteAt == 0 ? 0 : writer.firstWriteAt - writer.gainedAt;
                    rounds += result.rounds();
                    finalChunks += result.finalChunks();
                    total += result.totalNanos();
                    bytes += (result.chunksSent() + source.chunksServed() - servedBefore) * (long) CHUNK;
                    owner = 1 - owner;
                }
                writer.stop();
                Arrays.sort(pauses);
                Arrays.sort(firstWrites);
                out.append(String.format(Locale.ROOT, "| %d | %.0f | %.2f ms | %.2f ms | %.2f ms | %.1f | %.0f chunks "
                                + "| %.0f ms | %.0f ms | %.0f |%n", rate, rate * 4096.0 / 1e6,
                        pauses[migrations / 2] / 1e6, pauses[migrations - 1] / 1e6,
                        firstWrites[migrations / 2] / 1e6, (double) rounds / migrations,
                        (double) finalChunks / migrations, total / 1e6 / migrations, pagedIn / 1e6 / migrations,
                        bytes / 1e6 / migrations));
            }
            out.append('\n').append(stopAndCopy(nodes[owner].region(REGION).segment(), size, key));
        } finally {
            for (Node n : nodes) {
                if (n != null) {
                    n.close();
                }
            }
        }
        return out.toString();
    }

    /** The same region copied whole over the same data plane while nothing writes: the pause of stop-and-copy. */
    private static String stopAndCopy(MemorySegment source, long size, byte[] key) throws Exception {
        long[] times = new long[3];
        try (Region target = Region.builder("bench-stop-and-copy").size(size).chunkSize(CHUNK).create();
             DataServer server = new DataServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), key, 4)) {
            server.serve(new ServedRegion(1, target.segment(), target.layout(), true, 1));
            for (int i = 0; i < times.length; i++) {
                try (LinkWatchdog watchdog = new LinkWatchdog("bench-links");
                 PeerLink link = PeerLink.connect(server.address(), key, "bench", CHUNK, Duration.ZERO, watchdog)) {
                    ReplicaSink sink = new ReplicaSink(target.layout(), 1, () -> 1L, ReplicaSink.ALL,
                            Duration.ofSeconds(60));
                    ReplicaSink.Replica replica = sink.add("copy", link, true);
                    long start = System.nanoTime();
                    sink.fill(replica, source);
                    sink.sync();
                    times[i] = System.nanoTime() - start;
                }
                target.punchHole(0, target.layout().chunkCount());
            }
        }
        Arrays.sort(times);
        return String.format(Locale.ROOT, "Stop-and-copy of the same region over the same data plane (writers "
                + "stopped for the whole copy): p50 %.0f ms over %d runs.%n", times[1] / 1e6, times.length);
    }

    private static void awaitNoCopy(Node node) {
        for (long deadline = System.nanoTime() + 60_000_000_000L; node.region(REGION) != null; ) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the last source did not drop its copy within 60 s");
            }
            LockSupport.parkNanos(10_000_000);
        }
    }

    private static int freePort() throws java.io.IOException {
        return FreePorts.pick();
    }
}
