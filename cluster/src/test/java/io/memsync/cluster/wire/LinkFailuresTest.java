package io.memsync.cluster.wire;

import io.memsync.region.Region;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.memsync.cluster.testkit.Fixtures.secret;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Links and sinks when peers misbehave: stop reading, never answer, race connections, join late. */
@Timeout(60)
class LinkFailuresTest extends WireTestSupport {
    private static final long REGION_ID = 0x1_0000_0009L;

    private DataServer replicaServer(Region replica, ServedRegion[] served) throws IOException {
        DataServer server = keep(new DataServer(LOOPBACK, secret(), 16));
        served[0] = new ServedRegion(REGION_ID, replica.segment(), replica.layout(), true, 1);
        server.serve(served[0]);
        return server;
    }

    /** Completes the server side of the handshake on {@code socket}, then never reads again. */
    private static void handshakeThenStopReading(SocketChannel socket) throws IOException {
        FramedChannel c = new FramedChannel(socket);
        c.readHeader(Protocol.MAX_UNAUTHENTICATED_FRAME);
        ByteBuffer hello = ByteBuffer.allocate(c.bodyBytes());
        c.readFully(hello);
        hello.flip();
        byte[] clientNonce = new byte[Protocol.NONCE_BYTES];
        hello.get(clientNonce);
        hello.get();
        byte[] name = new byte[hello.getShort()];
        hello.get(name);
        Handshake.Binding binding = Handshake.Binding.addresses((InetSocketAddress) socket.getRemoteAddress(),
                (InetSocketAddress) socket.getLocalAddress());
        byte[] serverNonce = Handshake.nonce();
        c.begin(Protocol.CHALLENGE, Protocol.NONCE_BYTES + Protocol.PROOF_BYTES).put(serverNonce)
                .put(new Handshake(secret()).proof("server", clientNonce, serverNonce, name, binding)).flip();
        c.writeFrame(null);
        c.readHeader(Protocol.PROOF_BYTES);
        c.readFields(Protocol.PROOF_BYTES);
        c.begin(Protocol.AUTH_OK, 0).flip();
        c.writeFrame(null);
    }

    /**
     * A link to a peer that completes the handshake and then never reads again (a stopped replica), cut by the
     * watchdog once a write stays blocked for {@code stallTimeout}.
     */
    private PeerLink linkToAPeerThatStopsReading(Duration stallTimeout) throws Exception {
        ServerSocketChannel listener = keep(ServerSocketChannel.open().bind(LOOPBACK));
        CompletableFuture<SocketChannel> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                SocketChannel s = listener.accept();
                handshakeThenStopReading(s);
                return s;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        PeerLink link = keep(PeerLink.connect((InetSocketAddress) listener.getLocalAddress(), secret(), "owner",
                CHUNK, Duration.ZERO, stallTimeout, watchdog));
        keep(accepted.get(10, TimeUnit.SECONDS));
        return link;
    }

    @Test
    void aReplicaThatStopsReadingIsCutAndTheFlushFailsInsteadOfHanging() throws Exception {
        PeerLink link = linkToAPeerThatStopsReading(Duration.ofMillis(500));
        Region owner = region("stalled-owner", 512);
        randomWrites(owner.segment(), 1, 10_000);
        ReplicaSink sink = new ReplicaSink(owner.layout(), REGION_ID, () -> 1L, List.of(link), ReplicaSink.ALL,
                Duration.ofSeconds(2));
        // 32 MiB is far more than the socket buffers hold: a write blocks until the watchdog cuts the link.
        IOException e = assertThrows(IOException.class, () -> {
            for (int round = 0; round < 4; round++) {
                for (int i = 0; i < owner.layout().chunkCount(); i++) {
                    sink.write(i, owner.segment(), owner.layout().offsetOf(i));
                }
            }
            sink.sync();
        });
        assertNotNull(link.failure(), "the link was cut");
        assertTrue(link.failure().getMessage().contains("stopped reading"), link.failure().getMessage());
        assertTrue(e.getMessage().contains("stopped reading") || e.getMessage().contains("reached 0 of 1"),
                e.getMessage());
    }

    @Test
    void aPeerThatAcceptsButNeverAnswersFailsTheConnect() throws Exception {
        // The kernel completes TCP connects into the backlog even though nobody calls accept (like a stopped JVM).
        ServerSocketChannel silent = keep(ServerSocketChannel.open().bind(LOOPBACK, 8));
        IOException e = assertThrows(IOException.class, () -> PeerLink.connect(
                (InetSocketAddress) silent.getLocalAddress(), secret(), "owner", CHUNK, Duration.ZERO,
                Duration.ofMillis(300), watchdog));
        assertTrue(e.getMessage().contains("did not complete the handshake within 300 ms"), e.getMessage());
    }

    @Test
    void aTokenTheControlPlaneDoesNotKnowIsRefused() throws Exception {
        Region replica = region("authority-replica", 4);
        ServedRegion[] served = new ServedRegion[1];
        DataServer server = replicaServer(replica, served);
        long[] directory = {1};
        served[0].authority(() -> directory[0]);
        Region owner = region("authority-owner", 4);
        owner.segment().set(JAVA_LONG, 0, 42L);

        ReplicaSink forger = new ReplicaSink(owner.layout(), REGION_ID, () -> 7L, List.of(link(server)), 1,
                Duration.ofSeconds(2));
        IOException e = assertThrows(IOException.class, () -> {
            forger.write(0, owner.segment(), 0);
            forger.sync();
        });
        assertTrue(e.getMessage().contains("not known to the control plane"), e.getMessage());
        assertEquals(1, served[0].token(), "an invented token is not adopted");
        assertEquals(0L, replica.segment().get(JAVA_LONG, 0), "nothing applied under an invented token");

        directory[0] = 2;
        ReplicaSink promoted = new ReplicaSink(owner.layout(), REGION_ID, () -> 2L, List.of(link(server)), 1,
                Duration.ofSeconds(2));
        promoted.write(0, owner.segment(), 0);
        promoted.sync();
        assertEquals(2, served[0].token(), "a token the control plane confirms is adopted");
        assertEquals(42L, replica.segment().get(JAVA_LONG, 0));
    }

    @Test
    void aTokenThatLostASplitBrainMergeIsRolledBackToTheDirectorysAndOnlyThen() throws Exception {
        Region replica = region("rollback-replica", 4);
        ServedRegion[] served = new ServedRegion[1];
        DataServer server = replicaServer(replica, served);
        long[] directory = {3};
        served[0].authority(() -> directory[0]);
        served[0].advanceToken(3);
        Region owner = region("rollback-owner", 4);
        owner.segment().set(JAVA_LONG, 0, 42L);
        assertFalse(served[0].rollBackToken(), "the directory agrees: nothing to roll back");
        assertEquals(3, served[0].token());

        // This side claimed token 3 while cut off; the merge kept the other side's record, token 2.
        directory[0] = 2;
        IOException refused = assertThrows(IOException.class, () -> {
            ReplicaSink realOwner = new ReplicaSink(owner.layout(), REGION_ID, () -> 2L, List.of(link(server)), 1,
                    Duration.ofSeconds(2));
            realOwner.write(0, owner.segment(), 0);
            realOwner.sync();
        });
        assertTrue(refused.getMessage().contains("stale"), refused.getMessage());
        assertTrue(served[0].rollBackToken(), "the directory's lower token wins");
        assertEquals(2, served[0].token());
        ReplicaSink realOwner = new ReplicaSink(owner.layout(), REGION_ID, () -> 2L, List.of(link(server)), 1,
                Duration.ofSeconds(2));
        realOwner.write(0, owner.segment(), 0);
        realOwner.sync();
        assertEquals(42L, replica.segment().get(JAVA_LONG, 0), "the real owner's chunks are applied now");

        directory[0] = 0;
        assertFalse(served[0].rollBackToken(), "a record the directory no longer has rolls nothing back");
        directory[0] = 4;
        assertFalse(served[0].rollBackToken(), "a higher token is adopted only through a push, never rolled to");
        assertEquals(2, served[0].token());
    }

    @Test
    void chunksFromASupersededConnectionNeverLandAfterItsReplacement() throws Exception {
        Region replica = region("superseded-replica", 4);
        DataServer server = replicaServer(replica, new ServedRegion[1]);
        Region owner = region("superseded-owner", 4);
        PeerLink old = link(server);
        PeerLink replacement = link(server);
        ReplicaSink oldSink = new ReplicaSink(owner.layout(), REGION_ID, () -> 1L, List.of(old), 1,
                Duration.ofSeconds(2));
        ReplicaSink newSink = new ReplicaSink(owner.layout(), REGION_ID, () -> 1L, List.of(replacement), 1,
                Duration.ofSeconds(2));
        owner.segment().set(JAVA_LONG, 0, 2L);
        newSink.write(0, owner.segment(), 0);
        newSink.sync();
        owner.segment().set(JAVA_LONG, 0, 1L);
        IOException e = assertThrows(IOException.class, () -> {
            oldSink.write(0, owner.segment(), 0);
            oldSink.sync();
        });
        assertTrue(e.getMessage().contains("superseded"), e.getMessage());
        assertEquals(2L, replica.segment().get(JAVA_LONG, 0), "the older connection's chunk was not applied");
    }

    @Test
    void aReplicaAddedLaterCountsOnlyOnceItsFillWasAcknowledged() throws Exception {
        Region owner = region("fill-owner", 128);
        Region first = region("fill-first", 128);
        Region late = region("fill-late", 128);
        DataServer firstServer = replicaServer(first, new ServedRegion[1]);
        DataServer lateServer = replicaServer(late, new ServedRegion[1]);
        ReplicaSink sink = new ReplicaSink(owner.layout(), REGION_ID, () -> 1L, ReplicaSink.ALL,
                Duration.ofSeconds(10));
        sink.add("first", link(firstServer), false);
        randomWrites(owner.segment(), 2, 20_000);
        for (int i = 0; i < owner.layout().chunkCount(); i++) {
            sink.write(i, owner.segment(), owner.layout().offsetOf(i));
        }
        sink.sync();

        ReplicaSink.Replica added = sink.add("late", link(lateServer), true);
        assertFalse(added.filled());
        CompletableFuture<Void> flush = CompletableFuture.runAsync(() -> {
            try {
                sink.sync();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        assertFalse(flush.isDone(), "with a quorum of all, a flush waits for the replica being filled");
        assertEquals(-1, sink.completeEpoch(added), "no complete acknowledgement before the fill");
        sink.fill(added, owner.segment());
        flush.get(10, TimeUnit.SECONDS);
        assertTrue(sink.completeEpoch(added) > 0, "complete once an epoch after the fill was acknowledged");
        assertEquals(owner.segment().mismatch(late.segment()), -1L, "the late replica holds the whole region");
    }

    @Test
    void aQuorumSmallerThanTheReplicaSetToleratesABrokenLink() throws Exception {
        Region owner = region("quorum-owner", 8);
        Region good = region("quorum-good", 8);
        DataServer goodServer = replicaServer(good, new ServedRegion[1]);
        DataServer badServer = replicaServer(region("quorum-bad", 8), new ServedRegion[1]);
        ReplicaSink one = new ReplicaSink(owner.layout(), REGION_ID, () -> 1L, 1, Duration.ofSeconds(2));
        one.add("good", link(goodServer), false);
        one.add("bad", link(badServer), false);
        PeerLink toBadAgain = link(badServer);
        badServer.close();
        owner.segment().set(JAVA_LONG, 8, 5L);
        one.write(0, owner.segment(), 0);
        one.sync();
        assertEquals(5L, good.segment().get(JAVA_LONG, 8));

        // The same owner with quorum all: its new link to the good replica supersedes the first sink's.
        ReplicaSink all = new ReplicaSink(owner.layout(), REGION_ID, () -> 1L, ReplicaSink.ALL,
                Duration.ofSeconds(1));
        all.add("good", link(goodServer), false);
        all.add("bad", toBadAgain, false);

        all.expect(2);
        IOException e = assertThrows(IOException.class, () -> {
            all.write(0, owner.segment(), 0);
            all.sync();
        });
        assertTrue(e.getMessage().contains("bad@"), "the message names the replica missing: " + e.getMessage());
    }

    @Test
    void aFlushReturnsOnceAnyQuorumAnsweredWithoutWaitingForAStoppedReplica() throws Exception {
        // Neither the ack timeout nor the stall timeout runs out within the test's 60 s: a flush that waited for the
        // stopped replica (listed first) would time the test out.
        PeerLink stopped = linkToAPeerThatStopsReading(Duration.ofMinutes(10));
        Region owner = region("any-quorum-owner", 8);
        Region good = region("any-quorum-good", 8);
        DataServer goodServer = replicaServer(good, new ServedRegion[1]);
        ReplicaSink sink = new ReplicaSink(owner.layout(), REGION_ID, () -> 1L, 1, Duration.ofMinutes(10));
        sink.add("stopped", stopped, false);
        sink.add("good", link(goodServer), false);
        for (long round = 1; round <= 20; round++) {
            owner.segment().set(JAVA_LONG, 16, round);
            sink.write(0, owner.segment(), 0);
            sink.sync();
            assertEquals(round, good.segment().get(JAVA_LONG, 16), "round " + round + " reached the good replica");
        }
        assertEquals(20, sink.epoch());
        assertEquals(0, stopped.ackedEpoch(REGION_ID), "the stopped replica acknowledged nothing");
        assertEquals(null, stopped.failure(), "its link is still open: nobody waited for it to be cut");
    }
}
