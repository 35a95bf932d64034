package io.memsync.bench;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.memsync.cluster.wire.DataServer;
import io.memsync.cluster.wire.LinkWatchdog;
import io.memsync.cluster.wire.PeerLink;
import io.memsync.cluster.wire.ReplicaSink;
import io.memsync.cluster.wire.ServedRegion;
import io.memsync.region.Region;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Full sync of a region to one replica over loopback TCP, beside a raw NIO blast of the same bytes between the
 * same two memories and beside storing the same chunks in a Hazelcast IMap (two members), in one run.
 * Usage: {@code ReplicationBenchmark [--region-mib 1024] [--imap-mib 256] [--repeats 3]}; prints Markdown.
 */
public final class ReplicationBenchmark {
    private static final byte[] SECRET = "benchmark-secret-0123456789".getBytes(StandardCharsets.US_ASCII);
    private static final int CHUNK = 64 * 1024;

    private ReplicationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long regionMiB = 1024;
        long imapMiB = 256;
        int repeats = 3;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--region-mib" -> regionMiB = Long.parseLong(args[i + 1]);
                case "--imap-mib" -> imapMiB = Long.parseLong(args[i + 1]);
                case "--repeats" -> repeats = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.print(run(regionMiB, imapMiB, repeats));
    }

    public static String run(long regionMiB, long imapMiB, int repeats) throws Exception {
        long size = regionMiB << 20;
        try (Region owner = Region.builder("bench-owner").size(size).chunkSize(CHUNK).create();
             Region replica = Region.builder("bench-replica").size(size).chunkSize(CHUNK).create()) {
            SplittableRandom r = new SplittableRandom(1);
            for (long o = 0; o < size; o += 8) {
                owner.segment().set(JAVA_LONG, o, r.nextLong());
            }
            replica.segment().fill((byte) 0);
            long[] memsync = new long[repeats];
            long[] raw = new long[repeats];
            for (int i = 0; i < repeats; i++) {
                raw[i] = rawBlast(owner.segment(), replica.segment());
                replica.segment().fill((byte) 0);
                memsync[i] = fullSync(owner, replica);
                if (owner.segment().mismatch(replica.segment()) != -1) {
                    throw new IllegalStateException("the replica differs after a full sync");
                }
            }
            long imap = imapStore(owner.segment(), Math.min(size, imapMiB << 20));
            double rawMBs = mbPerSecond(size, median(raw));
            double memsyncMBs = mbPerSecond(size, median(memsync));
            double imapMBs = mbPerSecond(Math.min(size, imapMiB << 20), imap);
            return String.format(Locale.ROOT, """
                    | what | bytes | median time | throughput | vs raw NIO |
                    |---|---|---|---|---|
                    | raw NIO blast, 64 KiB writes, mapping to mapping | %d MiB | %.0f ms | %.0f MB/s | 1.00x |
                    | memsync full sync to one replica (frames, auth, epoch ack) | %d MiB | %.0f ms | %.0f MB/s | %.2fx |
                    | Hazelcast IMap.set of 64 KiB chunks, 2 members, 1 backup | %d MiB | %.0f ms | %.0f MB/s | %.2fx |
                    memsync / IMap: %.1fx
                    """, regionMiB, median(raw) / 1e6, rawMBs, regionMiB, median(memsync) / 1e6, memsyncMBs,
                    memsyncMBs / rawMBs, Math.min(regionMiB, imapMiB), imap / 1e6, imapMBs, imapMBs / rawMBs,
                    memsyncMBs / imapMBs);
        }
    }

    /** Pushes every chunk through a {@link ReplicaSink} and waits for the replica's acknowledgement. */
    private static long fullSync(Region owner, Region replica) throws IOException {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (DataServer server = new DataServer(loopback, SECRET, 4)) {
            server.serve(new ServedRegion(1, replica.segment(), replica.layout(), true, 1));
            try (LinkWatchdog watchdog = new LinkWatchdog("bench-links");
                 PeerLink link = PeerLink.connect(server.address(), SECRET, "bench", CHUNK, Duration.ZERO, watchdog)) {
                ReplicaSink sink = new ReplicaSink(owner.layout(), 1, () -> 1L, List.of(link), 1,
                        Duration.ofMinutes(5));
                long start = System.nanoTime();
                for (int c = 0; c < owner.layout().chunkCount(); c++) {
                    sink.write(c, owner.segment(), owner.layout().offsetOf(c));
                }
                sink.sync();
                return System.nanoTime() - start;
            }
        }
    }

    /** The same bytes over a plain socket pair: the ceiling for any protocol on this machine. */
    private static long rawBlast(MemorySegment from, MemorySegment to) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            long size = from.byteSize();
            Thread receiver = Thread.ofPlatform().start(() -> {
                try (SocketChannel in = server.accept()) {
                    ByteBuffer window = to.asByteBuffer();
                    while (window.hasRemaining()) {
                        if (in.read(window) < 0) {
                            break;
                        }
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            long start = System.nanoTime();
            try (SocketChannel out = SocketChannel.open(server.getLocalAddress())) {
                ByteBuffer all = from.asByteBuffer();
                for (long o = 0; o < size; o += CHUNK) {
                    all.limit((int) (o + CHUNK)).position((int) o);
                    while (all.hasRemaining()) {
                        out.write(all);
                    }
                }
            }
            receiver.join();
            return System.nanoTime() - start;
        }
    }

    /** Stores {@code bytes} of the region as 64 KiB byte[] values in an IMap of a two-member cluster. */
    private static long imapStore(MemorySegment from, long bytes) {
        Config config = new Config();
        config.setClusterName("bench-" + ProcessHandle.current().pid());
        config.setProperty("hazelcast.logging.type", "none");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
        config.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
        config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).addMember("127.0.0.1");
        config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        HazelcastInstance a = Hazelcast.newHazelcastInstance(config);
        HazelcastInstance b = Hazelcast.newHazelcastInstance(config);
        try {
            IMap<Integer, byte[]> map = a.getMap("chunks");
            byte[] chunk = new byte[CHUNK];
            long start = System.nanoTime();
            for (int c = 0; c < bytes / CHUNK; c++) {
                MemorySegment.copy(from, java.lang.foreign.ValueLayout.JAVA_BYTE, (long) c * CHUNK, chunk, 0, CHUNK);
                map.set(c, chunk);
            }
            return System.nanoTime() - start;
        } finally {
            b.shutdown();
            a.shutdown();
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
}
