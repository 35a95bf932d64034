package io.memsync.cluster.wire;

import io.memsync.region.track.Trackers;
import io.memsync.region.Region;
import io.memsync.region.sync.Syncer;
import io.memsync.region.track.TrackerKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.memsync.cluster.testkit.Fixtures.secret;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class DataPlaneTest extends WireTestSupport {
    /** Above 32 bits and negative as a signed long: the wire carries all 64 bits. */
    private static final long REGION_ID = 0xfeed_0000_0000_0007L;

    private DataServer replicaServer(Region replica, long token) throws IOException {
        DataServer server = keep(new DataServer(LOOPBACK, secret(), 16));
        server.serve(new ServedRegion(REGION_ID, replica.segment(), replica.layout(), true, token));
        return server;
    }

    @Test
    void afterAFlushEveryReplicaIsByteIdenticalToTheOwner() throws Exception {
        Region owner = region("owner", 256);
        Region replicaA = region("replica-a", 256);
        Region replicaB = region("replica-b", 256);
        DataServer a = replicaServer(replicaA, 1);
        DataServer b = replicaServer(replicaB, 1);
        ReplicaSink sink = new ReplicaSink(owner.layout(), REGION_ID, () -> 1L, List.of(link(a), link(b)), 2,
                Duration.ofSeconds(10));
        try (Syncer syncer = new Syncer("owner", Trackers.start(owner, TrackerKind.AUTO), sink, Duration.ofMillis(2))
                .start()) {
            for (int round = 0; round < 20; round++) {
                randomWrites(owner.segment(), round, 2000);
                if (round % 5 == 4) {
                    syncer.flush();
                    assertEquals(-1, owner.segment().mismatch(replicaA.segment()), "replica A after round " + round);
                    assertEquals(-1, owner.segment().mismatch(replicaB.segment()), "replica B after round " + round);
                }
            }
        }
        assertEquals(-1, owner.segment().mismatch(replicaA.segment()));
        assertEquals(0, a.refusedConnections(), "no connection was refused");
        assertTrue(sink.epoch() >= 5);
    }

    @Test
    void aStaleTokenIsRejectedAndNothingIsApplied() throws Exception {
        Region owner = region("stale-owner", 4);
        Region replica = region("stale-replica", 4);
        DataServer server = replicaServer(replica, 5);
        ReplicaSink stale = new ReplicaSink(owner.layout(), REGION_ID, () -> 4L, List.of(link(server)), 1,
                Duration.ofSeconds(5));
        owner.segment().set(JAVA_LONG, 0, 42L);
        // The refusal ends the link: it surfaces at the write when the answer is back already, else at the sync.
        IOException e = assertThrows(IOException.class, () -> {
            stale.write(0, owner.segment(), 0);
            stale.sync();
        });
        assertTrue(e.getMessage().contains("E_STALE_TOKEN"), e.getMessage());
        assertEquals(0L, replica.segment().get(JAVA_LONG, 0), "the stale owner's chunk was not applied");
        // The owner with the current token still gets through.
        ReplicaSink current = new ReplicaSink(owner.layout(), REGION_ID, () -> 5L, List.of(link(server)), 1,
                Duration.ofSeconds(5));
        current.write(0, owner.segment(), 0);
        current.sync();
        assertEquals(42L, replica.segment().get(JAVA_LONG, 0));
    }

    @Test
    void wrongSecretsAreRefusedBothWays() throws Exception {
        DataServer server = replicaServer(region("auth", 4), 1);
        byte[] wrong = "another-secret-entirely-000000".getBytes(StandardCharsets.US_ASCII);
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> PeerLink.connect(server.address(), wrong, "intruder", CHUNK, Duration.ZERO,
                        watchdog));
        assertEquals(Protocol.E_AUTH, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("does not know the cluster secret"), e.getMessage());
        DataServer impostor = keep(new DataServer(LOOPBACK, wrong, 4));
        ProtocolException back = assertThrows(ProtocolException.class,
                () -> PeerLink.connect(impostor.address(), secret(), "owner", CHUNK, Duration.ZERO,
                        watchdog));
        assertTrue(back.getMessage().contains("does not know the cluster secret"), back.getMessage());
        link(server);
    }

    /** Sends raw bytes on a fresh connection, authenticated first if asked; returns the ERROR the server sent. */
    private static String raw(DataServer server, boolean authenticate, ByteBuffer frame) throws IOException {
        try (SocketChannel s = SocketChannel.open(server.address()); FramedChannel c = new FramedChannel(s)) {
            if (authenticate) {
                Handshake h = new Handshake(secret());
                byte[] nonce = Handshake.nonce();
                Handshake.Binding binding = Handshake.Binding.addresses((InetSocketAddress) s.getLocalAddress(),
                        (InetSocketAddress) s.getRemoteAddress());
                s.write(Handshake.hello(nonce, Handshake.BIND_ADDRESSES, new byte[0]));
                c.readHeader(Protocol.MAX_UNAUTHENTICATED_FRAME);
                ByteBuffer f = c.readFields(Protocol.NONCE_BYTES + Protocol.PROOF_BYTES);
                byte[] serverNonce = new byte[Protocol.NONCE_BYTES];
                f.get(serverNonce);
                c.begin(Protocol.AUTH, Protocol.PROOF_BYTES).put(h.proof("client", nonce, serverNonce, new byte[0], binding))
                        .flip();
                c.writeFrame(null);
                assertEquals(Protocol.AUTH_OK, c.readHeader(16));
            }
            while (frame.hasRemaining()) {
                s.write(frame);
            }
            s.shutdownOutput();
            try {
                int type = c.readHeader(Protocol.MAX_MESSAGE_BYTES + 4);
                return type == Protocol.ERROR ? c.readError().getMessage() : Protocol.typeName(type);
            } catch (IOException closed) {
                return "closed: " + closed.getMessage();
            }
        }
    }

    private static ByteBuffer frame(byte version, byte type, int declaredBody, ByteBuffer body) {
        ByteBuffer b = ByteBuffer.allocate(Protocol.HEADER_BYTES + body.remaining());
        b.putInt(Protocol.LENGTH_BASE + declaredBody).put(version).put(type).putShort((short) 0).put(body).flip();
        return b;
    }

    private static ByteBuffer chunkFields(long region, long token, int index) {
        return ByteBuffer.allocate(Protocol.CHUNK_FIELDS).putLong(region).putLong(token).putLong(1).putInt(index)
                .flip();
    }

    @Test
    void malformedAndHostileFramesCloseOnlyTheirConnection() throws Exception {
        Region replica = region("hostile", 4);
        replica.segment().fill((byte) 3);
        DataServer server = replicaServer(replica, 1);
        ByteBuffer empty = ByteBuffer.allocate(0);

        assertTrue(raw(server, false, frame((byte) (Protocol.VERSION + 1), Protocol.HELLO, 0, empty)).contains("E_VERSION"));
        assertTrue(raw(server, false, frame((byte) 1, Protocol.HELLO, 0, empty)).contains("E_VERSION"),
                "version 1 (32-bit region ids) is not spoken any more");
        assertTrue(raw(server, false, frame(Protocol.VERSION, Protocol.CHUNK, 0, empty)).contains("E_AUTH"),
                "nothing but HELLO before authentication");
        assertTrue(raw(server, false, frame(Protocol.VERSION, Protocol.HELLO, 1 << 30, empty)).contains("E_TOO_BIG"));
        assertTrue(raw(server, false, ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
                .contains("E_"), "garbage is refused");
        assertTrue(raw(server, true, frame(Protocol.VERSION, Protocol.CHUNK, Integer.MAX_VALUE - 8, empty))
                .contains("E_TOO_BIG"), "an oversized frame is refused before anything is allocated for it");
        assertTrue(raw(server, true, frame(Protocol.VERSION, Protocol.CHUNK, Protocol.CHUNK_FIELDS + CHUNK,
                chunkFields(99, 1, 0))).contains("E_UNKNOWN_REGION"));
        assertTrue(raw(server, true, frame(Protocol.VERSION, Protocol.CHUNK, Protocol.CHUNK_FIELDS + CHUNK,
                chunkFields(REGION_ID, 1, 4))).contains("E_BAD_INDEX"));
        assertTrue(raw(server, true, frame(Protocol.VERSION, Protocol.CHUNK, Protocol.CHUNK_FIELDS + 100,
                chunkFields(REGION_ID, 1, 0))).contains("E_MALFORMED"), "a chunk of the wrong size");
        assertTrue(raw(server, true, frame(Protocol.VERSION, Protocol.ACK, Protocol.ACK_FIELDS,
                ByteBuffer.allocate(Protocol.ACK_FIELDS))).contains("E_MALFORMED"), "a frame only servers send");
        // Truncated: a whole header promising a chunk, then half of it, then the connection ends.
        String truncated = raw(server, true, frame(Protocol.VERSION, Protocol.CHUNK, Protocol.CHUNK_FIELDS + CHUNK,
                ByteBuffer.allocate(Protocol.CHUNK_FIELDS + CHUNK / 2).put(chunkFields(REGION_ID, 1, 1)).position(0)));
        assertTrue(truncated.startsWith("closed"), truncated);

        for (int i = 0; i < 4; i++) {
            assertEquals(3, replica.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, (long) i * CHUNK + 5),
                    "chunk " + i + " was not touched by any bad frame");
        }
        assertTrue(server.refusedConnections() >= 9, "refused " + server.refusedConnections());
        // The server still serves well-behaved peers.
        Region owner = region("hostile-owner", 4);
        owner.segment().set(JAVA_LONG, CHUNK, 11L);
        ReplicaSink sink = new ReplicaSink(owner.layout(), REGION_ID, () -> 1L, List.of(link(server)), 1,
                Duration.ofSeconds(5));
        sink.write(1, owner.segment(), CHUNK);
        sink.sync();
        assertEquals(11L, replica.segment().get(JAVA_LONG, CHUNK));
    }

    @Test
    void flushFailsClearlyWhenAReplicaCannotAcknowledge() throws Exception {
        Region owner = region("lonely-owner", 4);
        DataServer server = replicaServer(region("gone", 4), 1);
        PeerLink link = link(server);
        ReplicaSink sink = new ReplicaSink(owner.layout(), REGION_ID, () -> 1L, List.of(link), 1,
                Duration.ofMillis(500));
        server.close();
        IOException e = assertThrows(IOException.class, () -> {
            sink.write(0, owner.segment(), 0);
            sink.sync();
        });
        assertTrue(e.getMessage().contains("0 of 1 replicas") || e.getMessage().contains("reached 0 of 1"),
                e.getMessage());
    }

    @Test
    void chunksArePulledFromAnyPeerWithRequestsInFlight() throws Exception {
        Region owner = region("pull-owner", 64);
        randomWrites(owner.segment(), 3, 20_000);
        DataServer server = keep(new DataServer(LOOPBACK, secret(), 16));
        server.serve(new ServedRegion(REGION_ID, owner.segment(), owner.layout(), false, 1));
        RemoteChunkSource source = new RemoteChunkSource(owner.layout(), REGION_ID,
                List.of(link(server), link(server)), Duration.ofSeconds(10));
        try (Arena arena = Arena.ofShared()) {
            MemorySegment copy = arena.allocate(owner.size(), 4096);
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int first = t;
                readers.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int c = first; c < 64; c += 4) {
                            source.read(c, copy, (long) c * CHUNK);
                        }
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }));
            }
            for (Thread t : readers) {
                t.join(30_000);
            }
            assertEquals(-1, owner.segment().mismatch(copy));
            assertThrows(IndexOutOfBoundsException.class, () -> source.read(64, copy, 0));
        }
        // A replica refuses pushes to a region it only serves for reading.
        ReplicaSink wrongWay = new ReplicaSink(owner.layout(), REGION_ID, () -> 1L, List.of(link(server)), 1,
                Duration.ofSeconds(5));
        IOException e = assertThrows(IOException.class, () -> {
            wrongWay.write(0, owner.segment(), 0);
            wrongWay.sync();
        });
        assertTrue(e.getMessage().contains("E_NOT_REPLICA"), e.getMessage());
    }

    @Test
    void injectedDelayShowsInEveryRoundTrip() throws Exception {
        Region owner = region("slow-owner", 4);
        DataServer server = keep(new DataServer(LOOPBACK, secret(), 16));
        server.serve(new ServedRegion(REGION_ID, owner.segment(), owner.layout(), false, 1));
        PeerLink slow = keep(PeerLink.connect(server.address(), secret(), "far", CHUNK, Duration.ofMillis(20),
                watchdog));
        RemoteChunkSource source = new RemoteChunkSource(owner.layout(), REGION_ID, List.of(slow),
                Duration.ofSeconds(10));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment confined = arena.allocate(CHUNK);
            String m = assertThrows(IllegalArgumentException.class, () -> source.read(2, confined, 0)).getMessage();
            assertTrue(m.contains("shared or global arena"), m);
        }
        try (Arena arena = Arena.ofShared()) {
            MemorySegment into = arena.allocate(CHUNK);
            long t0 = System.nanoTime();
            source.read(2, into, 0);
            assertTrue(System.nanoTime() - t0 >= 20_000_000, "the 20 ms delay was applied");
        }
    }
}
