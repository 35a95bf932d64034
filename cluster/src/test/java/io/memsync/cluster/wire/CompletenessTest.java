package io.memsync.cluster.wire;

import io.memsync.cluster.testkit.Fixtures;
import io.memsync.region.Region;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.memsync.cluster.testkit.Fixtures.secret;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A chunk is only served by a copy known to hold its current data: a replica answers pulls once its owner's
 * connection vouched for it ({@code FILLED}) and stops when that connection ends or the token moves on; pullers
 * then ask another peer. Also: what a served region remembers across changes of role, and region ids.
 */
@Timeout(60)
class CompletenessTest extends WireTestSupport {
    private static final long ID = 0xc0ffee_0000_0001L;

    private ServedRegion replica(Region region) {
        ServedRegion served = new ServedRegion(ID, "complete", region.segment(), region.layout(),
                ServedRegion.Role.REPLICA, 1);
        served.applyThrough(region.untrackedMapping());
        return served;
    }

    private DataServer serve(ServedRegion served) throws IOException {
        DataServer server = keep(new DataServer(LOOPBACK, secret(), 16));
        server.serve(served);
        return server;
    }

    private static void await(Fixtures.Condition condition, String what) throws Exception {
        Fixtures.await(condition, 10, what);
    }

    @Test
    void aReplicaAnswersPullsOnlyWhileItsOwnersConnectionVouchesForIt() throws Exception {
        Region owner = region("vouch-owner", 8);
        Region copy = region("vouch-replica", 8);
        randomWrites(owner.segment(), 3, 5_000);
        ServedRegion served = replica(copy);
        DataServer server = serve(served);
        PeerLink puller = link(server);
        MemorySegment into = keep(Arena.ofShared()).allocate(CHUNK);

        assertThrows(ChunkNotHeldException.class, () -> puller.request(ID, 0, into, 0, CHUNK, Duration.ofSeconds(5)),
                "a replica nobody vouched for answers NOT_HELD");
        assertEquals(1, served.pullsRefused());

        ReplicaSink sink = new ReplicaSink(owner.layout(), ID, () -> 1L, 1, Duration.ofSeconds(5));
        ReplicaSink.Replica r = sink.add("replica", link(server), true);
        assertThrows(ChunkNotHeldException.class, () -> puller.request(ID, 0, into, 0, CHUNK, Duration.ofSeconds(5)),
                "a replica about to be filled answers NOT_HELD");
        sink.fill(r, owner.segment());
        await(served::servesPulls, "the fill's FILLED made the replica complete");
        puller.request(ID, 5, into, 0, CHUNK, Duration.ofSeconds(5));
        assertEquals(-1L, into.mismatch(owner.segment().asSlice(5L * CHUNK, CHUNK)), "chunk 5 as the owner has it");
        assertNull(puller.failure(), "NOT_HELD answers leave the link open");

        r.link().close();
        await(() -> !served.servesPulls(), "a replica cut from its owner stops answering pulls");
        assertThrows(ChunkNotHeldException.class, () -> puller.request(ID, 0, into, 0, CHUNK, Duration.ofSeconds(5)));
    }

    @Test
    void aNewTokenEndsCompletenessUntilAnOwnerUnderItVouches() throws Exception {
        Region copy = region("token-replica", 4);
        ServedRegion served = replica(copy);
        served.completeByControlPlane(1);
        assertTrue(served.servesPulls());
        served.advanceToken(2);
        assertTrue(!served.servesPulls(), "complete under token 1 says nothing of what token 2's owner wrote");
        served.completeByControlPlane(2);
        assertTrue(served.servesPulls(), "a handover names the replicas that hold the final round");
        DataServer server = serve(served);
        // Cut from the new owner, the control plane's word is not taken again for the same token.
        ReplicaSink sink = new ReplicaSink(copy.layout(), ID, () -> 2L, 1, Duration.ofSeconds(5));
        ReplicaSink.Replica r = sink.add("replica", link(server), false);
        await(() -> served.servesPulls(), "vouched for by its owner");
        r.link().close();
        await(() -> !served.servesPulls(), "its owner's connection ended");
        served.completeByControlPlane(2);
        assertTrue(!served.servesPulls(), "a second look at the same record does not make it complete again");
    }

    @Test
    void aClaimCarriesTheCompletenessOfAReplicaWhoseOwnerDiedButNotOfOneNeverFilled() throws Exception {
        Region copy = region("carried-replica", 4);
        ServedRegion served = replica(copy);
        DataServer server = serve(served);
        ReplicaSink sink = new ReplicaSink(copy.layout(), ID, () -> 1L, 1, Duration.ofSeconds(5));
        ReplicaSink.Replica r = sink.add("replica", link(server), false);
        await(served::servesPulls, "vouched for by its owner");
        // The owner dies: its connection ends, and with it the word that this copy is whole.
        r.link().close();
        await(() -> !served.servesPulls(), "its owner's connection ended");
        assertTrue(!served.carryOver(1), "nothing to carry under the same token");
        // Another replica claims the region with token 2, and the directory says this copy holds everything.
        served.advanceToken(2);
        assertTrue(served.carryOver(2), "it was whole when its owner died");
        assertTrue(served.servesPulls(), "the new owner, maybe still paging in, may pull from it");
        // The new owner refills it: from its first push on, until its FILLED, the copy answers no pulls.
        Region owner = region("carried-owner", 4);
        ReplicaSink refill = new ReplicaSink(copy.layout(), ID, () -> 2L, 1, Duration.ofSeconds(5));
        ReplicaSink.Replica again = refill.add("replica", link(server), true);
        owner.segment().set(JAVA_LONG, 0, 9L);
        refill.write(0, owner.segment(), 0);
        await(() -> !served.servesPulls(), "the refill's first chunk ends the carried word");
        refill.fill(again, owner.segment());
        await(served::servesPulls, "the refill's FILLED");

        ServedRegion never = new ServedRegion(ID + 1, "never", copy.segment(), copy.layout(),
                ServedRegion.Role.REPLICA, 1);
        never.advanceToken(2);
        assertTrue(!never.carryOver(2), "a copy nobody ever vouched for is not made whole by a claim");
    }

    @Test
    void pullsGoToAPeerThatHoldsTheChunkAndNeverToOneBeingFilled() throws Exception {
        Region owner = region("spread-owner", 32);
        randomWrites(owner.segment(), 4, 20_000);
        // A replica holding stale bytes (as one half filled does), which must never be read.
        Region stale = region("spread-stale", 32);
        stale.segment().fill((byte) 0x5a);
        DataServer ownerServer = serve(new ServedRegion(ID, "complete", owner.segment(), owner.layout(),
                ServedRegion.Role.OWNER, 1));
        ServedRegion staleServed = replica(stale);
        DataServer staleServer = serve(staleServed);
        List<PeerLink> peers = new ArrayList<>(List.of(link(staleServer), link(ownerServer)));
        RemoteChunkSource source = new RemoteChunkSource(owner.layout(), ID, peers, Duration.ofSeconds(10));
        Region mounted = region("spread-mounted", 32);
        for (int i = 0; i < 32; i++) {
            source.read(i, mounted.segment(), owner.layout().offsetOf(i));
        }
        assertEquals(-1L, mounted.segment().mismatch(owner.segment()), "every chunk as the owner has it");
        assertEquals(0, staleServer.chunksServed(), "the incomplete replica served nothing");
        assertTrue(staleServed.pullsRefused() > 0, "it was asked, in turn, and refused");
    }

    @Test
    void aBrokenLinkOfAPullerIsConnectedAgain() throws Exception {
        Region owner = region("reconnect-owner", 4);
        owner.segment().set(JAVA_LONG, 2L * CHUNK, 77L);
        DataServer server = serve(new ServedRegion(ID, "complete", owner.segment(), owner.layout(),
                ServedRegion.Role.OWNER, 1));
        List<PeerLink> opened = new ArrayList<>();
        RemoteChunkSource.Connector connector = () -> {
            PeerLink l = PeerLink.connect(server.address(), secret(), "pager", CHUNK, Duration.ZERO, watchdog);
            opened.add(l);
            return l;
        };
        RemoteChunkSource source = keep(new RemoteChunkSource(owner.layout(), ID, new ArrayList<>(
                List.of(connector.connect())), List.of(connector), Duration.ofSeconds(5), false, null));
        Region mounted = region("reconnect-mounted", 4);
        source.read(0, mounted.segment(), 0);
        opened.getFirst().close();
        // The first reconnection is allowed at once: the read after an outage works without anyone stepping in.
        source.read(2, mounted.segment(), 2L * CHUNK);
        assertEquals(77L, mounted.segment().get(JAVA_LONG, 2L * CHUNK));
        assertEquals(2, opened.size(), "the broken link was replaced");
    }

    @Test
    void aPullForARegionNotServedIsAnsweredNotHeldAndTheLinkStays() throws Exception {
        Region copy = region("unknown-replica", 4);
        DataServer server = serve(new ServedRegion(ID, "complete", copy.segment(), copy.layout(),
                ServedRegion.Role.OWNER, 1));
        PeerLink puller = link(server);
        MemorySegment into = keep(Arena.ofShared()).allocate(CHUNK);
        ChunkNotHeldException e = assertThrows(ChunkNotHeldException.class,
                () -> puller.request(ID + 1, 0, into, 0, CHUNK, Duration.ofSeconds(5)));
        assertEquals(Protocol.NOT_HELD_UNKNOWN_REGION, e.reason());
        puller.request(ID, 0, into, 0, CHUNK, Duration.ofSeconds(5));
        assertNull(puller.failure());
    }

    @Test
    void theNewestPusherIsRememberedAcrossChangesOfRole() throws Exception {
        Region copy = region("roles-replica", 4);
        Region owner = region("roles-owner", 4);
        ServedRegion served = replica(copy);
        DataServer server = serve(served);
        ReplicaSink older = new ReplicaSink(owner.layout(), ID, () -> 1L, 1, Duration.ofSeconds(2));
        older.add("replica", link(server), false);
        ReplicaSink newer = new ReplicaSink(owner.layout(), ID, () -> 1L, 1, Duration.ofSeconds(2));
        newer.add("replica", link(server), false);
        owner.segment().set(JAVA_LONG, 0, 2L);
        newer.write(0, owner.segment(), 0);
        newer.sync();
        // The copy is promoted and demoted again under the same token (a migration's handover there and back): it
        // is the same served region, and it still knows which connection is the newest.
        served.becomeOwner(1);
        served.becomeReplica(ServedRegion.Role.REPLICA, 1);
        owner.segment().set(JAVA_LONG, 0, 1L);
        IOException e = assertThrows(IOException.class, () -> {
            older.write(0, owner.segment(), 0);
            older.sync();
        });
        assertTrue(e.getMessage().contains("superseded"), e.getMessage());
        assertEquals(2L, copy.segment().get(JAVA_LONG, 0), "a chunk buffered in the older connection landed");
    }

    @Test
    void anOwnersCopyTakesTheNewOwnersPushesOnlyOnceTheControlPlaneConfirmsItsToken() throws Exception {
        Region copy = region("handed-over", 4);
        Region newOwner = region("handed-to", 4);
        long[] inForce = {1};
        ServedRegion served = new ServedRegion(ID, "complete", copy.segment(), copy.layout(),
                ServedRegion.Role.OWNER, 1).authority(() -> inForce[0]);
        served.applyWhenDemoted(copy.untrackedMapping());
        DataServer server = serve(served);
        newOwner.segment().set(JAVA_LONG, 0, 5L);
        ReplicaSink early = new ReplicaSink(copy.layout(), ID, () -> 2L, 1, Duration.ofSeconds(2));
        early.add("old-owner", link(server), false);
        IOException e = assertThrows(IOException.class, () -> {
            early.write(0, newOwner.segment(), 0);
            early.sync();
        });
        assertTrue(e.getMessage().contains("E_NOT_REPLICA"), "a token the directory does not know: " + e);
        assertEquals(ServedRegion.Role.OWNER, served.role());
        // The handover is in the directory now; the new owner's first frames come before this node steps down.
        inForce[0] = 2;
        ReplicaSink sink = new ReplicaSink(copy.layout(), ID, () -> 2L, 1, Duration.ofSeconds(2));
        sink.add("old-owner", link(server), false);
        sink.write(0, newOwner.segment(), 0);
        sink.sync();
        assertEquals(ServedRegion.Role.REPLICA, served.role());
        assertEquals(5L, copy.segment().get(JAVA_LONG, 0), "the new owner's chunk landed in the old owner's copy");
    }

    @Test
    void anotherRegionIsNeverServedUnderAnIdInUse() throws Exception {
        Region a = region("id-a", 4);
        Region b = region("id-b", 4);
        DataServer server = keep(new DataServer(LOOPBACK, secret(), 16));
        server.serve(new ServedRegion(ID, "a", a.segment(), a.layout(), ServedRegion.Role.OWNER, 1));
        String m = assertThrows(IllegalStateException.class, () -> server.serve(new ServedRegion(ID, "b",
                b.segment(), b.layout(), ServedRegion.Role.REPLICA, 1))).getMessage();
        assertTrue(m.contains("region b") && m.contains("region a"), m);
        // The same region again (a copy opened anew) replaces the old one.
        server.serve(new ServedRegion(ID, "a", a.segment(), a.layout(), ServedRegion.Role.REPLICA, 1));
    }
}
