package io.memsync.cluster.wire;

import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.RegionServerMain;
import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkStream;
import io.memsync.region.Region;
import io.memsync.region.linux.KernelFeatures;
import io.memsync.region.page.LazyRegion;
import io.memsync.region.page.PagerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import static io.memsync.cluster.testkit.Fixtures.secret;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Streamed pulls: a STREAM_WANT brings the chunks back to back in its order, all-zero chunks as a flag without
 * bytes; a new want re-aims the stream; a copy that is not whole ends it at once; a lazy mount pages a region in
 * through one stream, its faults answered on links of their own, with the same bytes as pulled chunk by chunk; and
 * a mount that replays the working set an earlier one recorded has it pulled first. The mounted regions are served
 * from JVMs of their own: a JVM whose threads fault on a mount must not serve the faults.
 */
@Timeout(120)
class StreamPullTest extends WireTestSupport {
    private static final long ID = 0x5743_0000_0000_0001L;

    /** Collects what a stream delivers into a copy of the region. */
    private static class Collector implements ChunkStream.Receiver {
        final MemorySegment copy;
        final int chunkSize;
        final AtomicInteger arrived = new AtomicInteger();
        final AtomicInteger zeros = new AtomicInteger();
        final ConcurrentLinkedQueue<int[]> drains = new ConcurrentLinkedQueue<>();
        volatile IOException failure;

        Collector(long size, int chunkSize) {
            this.copy = Arena.ofShared().allocate(size, 4096);
            this.chunkSize = chunkSize;
            copy.fill((byte) 0x5a);
        }

        @Override
        public boolean wants(int index) {
            return true;
        }

        @Override
        public void arrived(int index, MemorySegment memory, long offset) {
            arrived.incrementAndGet();
            MemorySegment into = copy.asSlice((long) index * chunkSize, chunkSize);
            if (memory == null) {
                zeros.incrementAndGet();
                into.fill((byte) 0);
            } else {
                MemorySegment.copy(memory, offset, into, 0, chunkSize);
            }
        }

        @Override
        public void drained(int sent, boolean whole) {
            drains.add(new int[]{sent, whole ? 1 : 0});
        }

        @Override
        public void failed(IOException cause) {
            failure = cause;
        }
    }

    private RemoteChunkSource source(DataServer server, ChunkLayout layout) throws IOException {
        RemoteChunkSource.Connector connector = () -> PeerLink.connect(server.address(), secret(), "puller", CHUNK,
                Duration.ZERO, watchdog);
        return keep(new RemoteChunkSource(layout, ID, List.of(connector.connect()), List.of(connector),
                Duration.ofSeconds(10), false, null));
    }

    private static void fillAllButEveryThirdChunk(Region owner, int chunks) {
        for (int c = 0; c < chunks; c++) {
            if (c % 3 != 0) {
                MemorySegment chunk = owner.segment().asSlice((long) c * CHUNK, CHUNK);
                randomWrites(chunk, c, 200);
            }
        }
    }

    @Test
    void aWantBringsEveryChunkInOrderAndZeroChunksWithoutTheirBytes() throws Exception {
        int chunks = 48;
        Region owner = region("stream-owner", chunks);
        fillAllButEveryThirdChunk(owner, chunks);
        DataServer server = keep(new DataServer(LOOPBACK, secret(), 16));
        server.serve(new ServedRegion(ID, "stream", owner.segment(), owner.layout(), ServedRegion.Role.OWNER, 1));
        Collector into = new Collector(owner.layout().regionSize(), CHUNK);
        ChunkStream stream = source(server, owner.layout()).openStream(into);
        assertNotNull(stream, "a network source streams");
        stream.want(new int[]{0, chunks}, 1);
        Fixtures.await(() -> !into.drains.isEmpty(), 20, "the want was drained");
        assertEquals(chunks, into.drains.peek()[0]);
        assertEquals(1, into.drains.peek()[1], "the owner holds the region whole");
        assertEquals(chunks, into.arrived.get());
        assertEquals(chunks / 3, into.zeros.get(), "every third chunk is all zeros and came as a flag");
        assertEquals(-1L, into.copy.mismatch(owner.segment()), "the streamed copy is the owner's");
        assertEquals(chunks, server.chunksStreamed());
        assertNull(into.failure);
        stream.close();
    }

    @Test
    void aNewWantReplacesWhatTheLastStillHadToSend() throws Exception {
        int chunks = 256;
        Region owner = region("reaim-owner", chunks);
        randomWrites(owner.segment(), 4, 20_000);
        DataServer server = keep(new DataServer(LOOPBACK, secret(), 16));
        server.serve(new ServedRegion(ID, "reaim", owner.segment(), owner.layout(), ServedRegion.Role.OWNER, 1));
        Collector into = new Collector(owner.layout().regionSize(), CHUNK);
        ChunkStream stream = keep(source(server, owner.layout()).openStream(into));
        // Two ranges in one want, out of address order, then re-aimed before it can have finished.
        stream.want(new int[]{128, 256, 0, 128}, 2);
        stream.want(new int[]{250, 256, 3, 5}, 2);
        Fixtures.await(() -> into.drains.stream().anyMatch(d -> d[0] == 8), 20, "the second want was drained");
        for (int c : new int[]{250, 251, 252, 253, 254, 255, 3, 4}) {
            assertEquals(-1L, into.copy.asSlice((long) c * CHUNK, CHUNK)
                    .mismatch(owner.segment().asSlice((long) c * CHUNK, CHUNK)), "chunk " + c);
        }
        assertTrue(into.arrived.get() < 256 + 8, "the first want was cut short: " + into.arrived.get()
                + " chunks arrived");
    }

    @Test
    void theEndOfAWantReplacedWhileItsEndWasOnTheWireIsNotTakenForTheNewOnes() throws Exception {
        int chunks = 16;
        Region owner = region("crossed-owner", chunks);
        randomWrites(owner.segment(), 6, 5_000);
        LinkSecurity unbound = new LinkSecurity(secret(), TlsConfig.OFF, false);
        DataServer server = keep(new DataServer(LOOPBACK, unbound, 16));
        server.serve(new ServedRegion(ID, "crossed", owner.segment(), owner.layout(), ServedRegion.Role.OWNER, 1));
        // 5 ms each way: the server has sent the first want's end long before the second want reaches it.
        io.memsync.cluster.testkit.DelayProxy proxy = keep(io.memsync.cluster.testkit.DelayProxy.start(
                server.address(), Duration.ofMillis(5)));
        RemoteChunkSource.Connector connector = () -> PeerLink.connect(proxy.address(), unbound, "puller", CHUNK,
                Duration.ZERO, PeerLink.DEFAULT_STALL_TIMEOUT, watchdog);
        RemoteChunkSource source = keep(new RemoteChunkSource(owner.layout(), ID, List.of(connector.connect()),
                List.of(connector), Duration.ofSeconds(10), false, null));
        java.util.concurrent.atomic.AtomicReference<ChunkStream> stream = new java.util.concurrent.atomic.AtomicReference<>();
        Collector into = new Collector(owner.layout().regionSize(), CHUNK) {
            @Override
            public void arrived(int index, MemorySegment memory, long offset) {
                super.arrived(index, memory, offset);
                if (index == 0) {
                    // On the link's reader, before it can read the first want's end: the two cross on the wire.
                    try {
                        stream.get().want(new int[]{8, 16}, 1);
                    } catch (IOException e) {
                        failure = e;
                    }
                }
            }
        };
        stream.set(keep(source.openStream(into)));
        stream.get().want(new int[]{0, 1}, 1);
        Fixtures.await(() -> into.arrived.get() == 9, 20, "chunk 0, then chunks 8-15");
        Fixtures.await(() -> !into.drains.isEmpty(), 20, "the second want was drained");
        Thread.sleep(100);
        assertEquals(1, into.drains.size(), "only the second want's end is passed on: " + into.drains.stream()
                .map(java.util.Arrays::toString).toList());
        assertEquals(8, into.drains.peek()[0]);
        assertNull(into.failure);
    }

    /** Words of one varying byte each: LZ4 takes a chunk to well under half. */
    private static void compressibleWrites(MemorySegment m, long seed) {
        for (long at = 0; at < m.byteSize(); at += 8) {
            m.set(JAVA_LONG, at, (at / 8 * 31 + seed) & 0xff);
        }
    }

    /**
     * A stream of {@code chunks} chunks of {@code owner} through a proxy that forwards {@code bytesPerSecond}, the
     * puller taking LZ4 chunks or not; returns the bytes the proxy forwarded (both ways) once the copy is whole.
     */
    private long streamThroughSlowLink(Region owner, int chunks, long bytesPerSecond, boolean lz4,
                                       DataServer server) throws Exception {
        LinkSecurity unbound = new LinkSecurity(secret(), TlsConfig.OFF, false);
        io.memsync.cluster.testkit.DelayProxy proxy = keep(io.memsync.cluster.testkit.DelayProxy.start(
                server.address(), Duration.ZERO, bytesPerSecond, 256 * 1024));
        RemoteChunkSource.Connector connector = () -> PeerLink.connect(proxy.address(), unbound, "puller", CHUNK,
                Duration.ZERO, PeerLink.DEFAULT_STALL_TIMEOUT, watchdog);
        RemoteChunkSource source = keep(new RemoteChunkSource(owner.layout(), ID, List.of(connector.connect()),
                List.of(connector), Duration.ofSeconds(10), false, null)).compression(lz4);
        Collector into = new Collector(owner.layout().regionSize(), CHUNK);
        ChunkStream stream = keep(source.openStream(into));
        stream.want(new int[]{0, chunks}, 1);
        Fixtures.await(() -> !into.drains.isEmpty(), 60, "the want was drained");
        assertEquals(chunks, into.arrived.get());
        assertEquals(-1L, into.copy.mismatch(owner.segment()), "the streamed copy is the owner's");
        assertNull(into.failure);
        return proxy.forwarded();
    }

    private DataServer serve(Region owner) throws IOException {
        DataServer server = keep(new DataServer(LOOPBACK, new LinkSecurity(secret(), TlsConfig.OFF, false), 16));
        server.serve(new ServedRegion(ID, "lz4", owner.segment(), owner.layout(), ServedRegion.Role.OWNER, 1));
        return server;
    }

    @Test
    void compressibleChunksCrossASlowLinkAsLz4AndArriveWhole() throws Exception {
        int chunks = 256;
        Region owner = region("lz4-owner", chunks);
        compressibleWrites(owner.segment(), 5);
        DataServer server = serve(owner);
        long wire = streamThroughSlowLink(owner, chunks, 24L << 20, true, server);
        long size = owner.layout().regionSize();
        assertTrue(server.chunksCompressed() >= chunks / 2, "compressing pays on a 24 MiB/s link: "
                + server.chunksCompressed() + " of " + chunks + " chunks went compressed");
        assertTrue(wire < size * 3 / 4, "the link carried " + wire + " bytes for " + size);
        assertTrue(server.bytesSavedByCompression() > size / 4, server.bytesSavedByCompression() + " bytes saved");
    }

    @Test
    void aPullerThatTakesNoLz4GetsPlainBytes() throws Exception {
        int chunks = 64;
        Region owner = region("plain-owner", chunks);
        compressibleWrites(owner.segment(), 6);
        DataServer server = serve(owner);
        long wire = streamThroughSlowLink(owner, chunks, 24L << 20, false, server);
        assertEquals(0, server.chunksCompressed());
        assertTrue(wire >= owner.layout().regionSize(), wire + " bytes on the wire");
    }

    @Test
    void chunksThatDoNotCompressGoPlainOnASlowLinkToo() throws Exception {
        int chunks = 64;
        Region owner = region("random-owner", chunks);
        java.util.SplittableRandom r = new java.util.SplittableRandom(8);
        for (long at = 0; at < owner.segment().byteSize(); at += 8) {
            owner.segment().set(JAVA_LONG, at, r.nextLong());
        }
        DataServer server = serve(owner);
        long wire = streamThroughSlowLink(owner, chunks, 24L << 20, true, server);
        assertEquals(0, server.chunksCompressed(), "random bytes never went as LZ4 blocks (probed, not sent)");
        assertTrue(wire >= owner.layout().regionSize(), wire + " bytes on the wire");
    }

    @Test
    void aCopyThatIsNotWholeEndsTheStreamAtOnce() throws Exception {
        Region copy = region("stream-incomplete", 8);
        ServedRegion replica = new ServedRegion(ID, "incomplete", copy.segment(), copy.layout(),
                ServedRegion.Role.REPLICA, 1);
        replica.applyThrough(copy.untrackedMapping());
        DataServer server = keep(new DataServer(LOOPBACK, secret(), 16));
        server.serve(replica);
        Collector into = new Collector(copy.layout().regionSize(), CHUNK);
        ChunkStream stream = keep(source(server, copy.layout()).openStream(into));
        stream.want(new int[]{0, 8}, 1);
        Fixtures.await(() -> !into.drains.isEmpty(), 20, "the want ended");
        assertEquals(0, into.drains.peek()[0], "nothing was sent");
        assertEquals(0, into.drains.peek()[1], "the copy is not whole");
        assertEquals(0, into.arrived.get());
    }

    /** The region served from a JVM of its own (this one's threads fault on the mount). */
    private RegionServerMain.Started serveElsewhere(String name, int chunks, int zeroEvery) throws Exception {
        return keep(RegionServerMain.start(name, (long) chunks * CHUNK >> 20, CHUNK / 1024, ID, SEED, zeroEvery,
                Fixtures.SECRET));
    }

    private static String spec(int port) {
        return "tcp:" + Long.toHexString(ID) + "@127.0.0.1:" + port;
    }

    private static void assertServedBytes(LazyRegion lazy, int zeroEvery) {
        MemorySegment m = lazy.segment();
        for (long at = 0; at < m.byteSize(); at += 8) {
            long want = RegionServerMain.expected(SEED, zeroEvery, CHUNK, at);
            if (m.get(JAVA_LONG, at) != want) {
                throw new AssertionError("the mount differs from the served region at offset " + at);
            }
        }
    }

    private static final long SEED = 77;
    private static final LinkSecurity UNBOUND;

    static {
        try {
            UNBOUND = new LinkSecurity(secret(), TlsConfig.OFF, false);
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Test
    void aLazyMountPagesInThroughOneStreamAndFaultsOnLinksOfTheirOwn() throws Exception {
        assumeTrue(KernelFeatures.get().lazyRegionsAvailable(), KernelFeatures.get().describe());
        int chunks = 512;
        RegionServerMain.Started server = serveElsewhere("stream-mount", chunks, 3);
        ChunkLayout layout = new ChunkLayout((long) chunks * CHUNK, CHUNK);
        try (LazyRegion lazy = LazyRegion.mount("stream-mount", layout, PagerConfig.of(spec(server.port()))
                .withPullers(2).withStandby(false), UNBOUND.environment())) {
            // A first touch at the end while the stream starts at the beginning.
            long last = layout.offsetOf(chunks - 1) + 8;
            assertEquals(RegionServerMain.expected(SEED, 3, CHUNK, last), lazy.segment().get(JAVA_LONG, last));
            Fixtures.await(() -> lazy.status().presentChunks() == chunks, 30, "every chunk paged in");
            assertServedBytes(lazy, 3);
        }
        long[] counters = server.counters();
        long streamed = counters[1];
        long pulled = counters[0] - streamed;
        assertTrue(streamed >= chunks - 64, "the stream brought most chunks: " + streamed + " streamed, " + pulled
                + " pulled one by one");
        assertTrue(pulled < 64, "only faults and their neighbours came one by one: " + pulled);
    }

    @Test
    void aSecondMountThatReplaysTheFirstOnesWorkingSetWaitsForAlmostNothing() throws Exception {
        assumeTrue(KernelFeatures.get().lazyRegionsAvailable(), KernelFeatures.get().describe());
        int chunks = 512;
        RegionServerMain.Started server = serveElsewhere("replay", chunks, 0);
        // 20 MB/s: the whole region takes 1.6 s to stream, the working set (64 chunks, 4 MiB) 0.2 s.
        String spec = spec(server.proxy(0, 20_000_000));
        int[] pattern = new java.util.SplittableRandom(3).ints(0, chunks).distinct().limit(64).toArray();
        ChunkLayout layout = new ChunkLayout((long) chunks * CHUNK, CHUNK);
        int[] workingSet;
        long firstFaults;
        // First mount: on demand only, every touch waits.
        try (LazyRegion lazy = LazyRegion.mount("replay-1", layout, PagerConfig.of(spec).withPullers(0)
                .withStandby(false), UNBOUND.environment())) {
            touch(lazy, pattern);
            workingSet = lazy.touchOrder();
            firstFaults = lazy.status().touches();
        }
        assertEquals(pattern.length, firstFaults, "every chunk of the pattern was a first touch");
        assertEquals(java.util.Arrays.toString(pattern), java.util.Arrays.toString(workingSet),
                "the working set is the chunks in the order they were first touched");
        // Second mount: the stream brings the working set first; the application starts 400 ms in (without the
        // replay, the stream in address order has brought a quarter of the region by then: about 48 touches wait).
        try (LazyRegion lazy = LazyRegion.mount("replay-2", layout, PagerConfig.of(spec).withPullers(2)
                .withStandby(false).withPullFirst(workingSet), UNBOUND.environment())) {
            Thread.sleep(400);
            touch(lazy, pattern);
            long secondFaults = lazy.status().touches();
            assertTrue(secondFaults <= firstFaults / 10, "with the working set replayed, " + secondFaults
                    + " of " + firstFaults + " touches waited");
        }
    }

    private static void touch(LazyRegion lazy, int[] pattern) {
        for (int c : pattern) {
            long at = lazy.region().layout().offsetOf(c);
            assertEquals(RegionServerMain.expected(SEED, 0, CHUNK, at), lazy.segment().get(JAVA_LONG, at),
                    "chunk " + c);
        }
    }

    @Test
    void streamOffPullsChunkByChunk() throws Exception {
        assumeTrue(KernelFeatures.get().lazyRegionsAvailable(), KernelFeatures.get().describe());
        int chunks = 64;
        RegionServerMain.Started server = serveElsewhere("nostream", chunks, 0);
        ChunkLayout layout = new ChunkLayout((long) chunks * CHUNK, CHUNK);
        try (LazyRegion lazy = LazyRegion.mount("nostream-mount", layout, PagerConfig.of(spec(server.port())
                + "?stream=off").withPullers(2).withStandby(false), UNBOUND.environment())) {
            Fixtures.await(() -> lazy.status().presentChunks() == chunks, 30, "every chunk paged in");
            assertServedBytes(lazy, 0);
        }
        long[] counters = server.counters();
        assertEquals(0, counters[1]);
        assertTrue(counters[0] >= chunks, "every chunk was pulled one by one");
    }
}
