package io.memsync.cluster.wire;

import io.memsync.cluster.testkit.TlsStores;
import io.memsync.region.Region;
import io.memsync.region.sync.Syncer;
import io.memsync.region.track.TrackerKind;
import io.memsync.region.track.Trackers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.memsync.cluster.testkit.Fixtures.secret;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS on the data plane and the secret handshake's channel binding: what crosses a TLS link arrives whole, plain
 * peers and unknown certificates are refused where they must be, and a handshake relayed between two nodes fails
 * unless TLS carries it end to end.
 */
@Timeout(120)
class TlsTest extends WireTestSupport {
    private static final long REGION_ID = 0x7157_0000_0000_0001L;

    private LinkSecurity security(TlsConfig tls, boolean bind) throws IOException {
        return new LinkSecurity(secret(), tls, bind);
    }

    private DataServer server(Region replica, LinkSecurity security) throws IOException {
        DataServer server = keep(new DataServer(LOOPBACK, security, 16));
        server.serve(new ServedRegion(REGION_ID, replica.segment(), replica.layout(), true, 1));
        return server;
    }

    private PeerLink connect(InetSocketAddress address, LinkSecurity security) throws IOException {
        return keep(PeerLink.connect(address, security, "owner", CHUNK, Duration.ZERO, Duration.ofSeconds(10),
                watchdog));
    }

    @Test
    void pushesAndPullsCrossAMutuallyAuthenticatedTlsLinkWhole() throws Exception {
        TlsStores stores = TlsStores.get();
        LinkSecurity tls = security(stores.config(TlsConfig.Mode.REQUIRED), true);
        Region owner = region("tls-owner", 64);
        Region replica = region("tls-replica", 64);
        DataServer server = server(replica, tls);
        PeerLink link = connect(server.address(), tls);
        ReplicaSink sink = new ReplicaSink(owner.layout(), REGION_ID, () -> 1L, List.of(link), 1,
                Duration.ofSeconds(10));
        try (Syncer syncer = new Syncer("owner", Trackers.start(owner, TrackerKind.AUTO), sink, Duration.ofMillis(2))
                .start()) {
            for (int round = 0; round < 5; round++) {
                randomWrites(owner.segment(), round, 3000);
                syncer.flush();
                assertEquals(-1, owner.segment().mismatch(replica.segment()), "replica after round " + round);
            }
        }
        // Pulls: every chunk of the replica read back over another TLS link.
        PeerLink puller = connect(server.address(), tls);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment pulled = arena.allocate(owner.segment().byteSize(), 4096);
            for (int i = 0; i < 64; i++) {
                puller.request(REGION_ID, i, pulled, (long) i * CHUNK, CHUNK, Duration.ofSeconds(10));
            }
            assertEquals(-1, pulled.mismatch(replica.segment()), "pulled bytes equal the replica's");
        }
        assertEquals(0, server.refusedConnections());
    }

    @Test
    void aPlainPeerIsRefusedWhenTlsIsRequiredAndAcceptedWhenItIsOn() throws Exception {
        TlsStores stores = TlsStores.get();
        DataServer required = server(region("required", 4), security(stores.config(TlsConfig.Mode.REQUIRED), true));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> connect(required.address(), LinkSecurity.secretOnly(secret())));
        assertEquals(Protocol.E_AUTH, e.code());
        assertTrue(e.getMessage().contains("requires TLS"), e.getMessage());
        assertEquals(1, required.refusedConnections());

        DataServer on = server(region("on", 4), security(stores.config(TlsConfig.Mode.ON), true));
        connect(on.address(), LinkSecurity.secretOnly(secret()));
        connect(on.address(), security(stores.config(TlsConfig.Mode.ON), true));
        assertEquals(0, on.refusedConnections(), "TLS on accepts plain and TLS peers (a rolling change)");
    }

    @Test
    void aCertificateTheTrustStoreDoesNotVouchForIsRefusedEvenWithTheSecret() throws Exception {
        TlsStores stores = TlsStores.get();
        DataServer server = server(region("mtls", 4), security(stores.config(TlsConfig.Mode.REQUIRED), true));
        // The stranger knows the secret and trusts the server's CA, but its own key was never signed by that CA.
        IOException e = assertThrows(IOException.class,
                () -> connect(server.address(), security(stores.stranger(TlsConfig.Mode.REQUIRED), true)));
        assertTrue(e.getMessage().contains("TLS"), e.getMessage());
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (server.refusedConnections() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, server.refusedConnections(), "the server counted the refusal");
        // And a server with a stranger's key is refused by a node that trusts only its CA.
        DataServer impostor = server(region("impostor", 4), security(stores.stranger(TlsConfig.Mode.REQUIRED), true));
        assertThrows(IOException.class,
                () -> connect(impostor.address(), security(stores.config(TlsConfig.Mode.REQUIRED), true)));
    }

    @Test
    void aTlsPeerReachingANodeWithoutTlsIsToldWhy() throws Exception {
        TlsStores stores = TlsStores.get();
        DataServer plain = server(region("plain", 4), LinkSecurity.secretOnly(secret()));
        IOException e = assertThrows(IOException.class,
                () -> connect(plain.address(), security(stores.config(TlsConfig.Mode.ON), true)));
        assertTrue(e.getMessage().contains("memsync.tls"), e.getMessage());
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (plain.refusedConnections() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, plain.refusedConnections());
    }

    @Test
    void aHandshakeRelayedBetweenTwoNodesFailsUnlessTlsCarriesItEndToEnd() throws Exception {
        TlsStores stores = TlsStores.get();
        LinkSecurity bound = LinkSecurity.secretOnly(secret());
        DataServer server = server(region("relayed", 4), bound);
        try (Relay relay = new Relay(server.address())) {
            // Plain and bound to addresses: the client proves for client->relay, the server checks relay->server.
            ProtocolException e = assertThrows(ProtocolException.class, () -> connect(relay.address(), bound));
            assertTrue(e.getMessage().contains("relayed"), e.getMessage());
            // Unbound (what a deployment behind NAT chooses), the relay goes unnoticed: why binding is the default.
            LinkSecurity unbound = security(TlsConfig.OFF, false);
            DataServer open = server(region("unbound", 4), unbound);
            try (Relay second = new Relay(open.address())) {
                connect(second.address(), unbound);
            }
        }
        // With TLS the relay forwards ciphertext only; the proofs are bound to the TLS session and hold.
        LinkSecurity tls = security(stores.config(TlsConfig.Mode.REQUIRED), true);
        DataServer tlsServer = server(region("relayed-tls", 4), tls);
        try (Relay relay = new Relay(tlsServer.address())) {
            connect(relay.address(), tls);
        }
    }

    @Test
    void nodesThatBindDifferentlyAreToldToAgree() throws Exception {
        DataServer server = server(region("binding", 4), LinkSecurity.secretOnly(secret()));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> connect(server.address(), security(TlsConfig.OFF, false)));
        assertTrue(e.getMessage().contains("memsync.channel.binding"), e.getMessage());
    }

    @Test
    void aWrongPasswordOrAStoreWithoutAKeyFailsTheStartNamingTheFile(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        TlsStores stores = TlsStores.get();
        IOException wrong = assertThrows(IOException.class, () -> security(TlsConfig.of(TlsConfig.Mode.ON,
                stores.nodeKeys(), "not-the-password", stores.trusted(), TlsStores.PASSWORD), true));
        assertTrue(wrong.getMessage().contains("memsync.tls.keystore") && wrong.getMessage().contains("password"),
                wrong.getMessage());
        IOException noKey = assertThrows(IOException.class, () -> security(TlsConfig.of(TlsConfig.Mode.ON,
                stores.trusted(), TlsStores.PASSWORD, stores.trusted(), TlsStores.PASSWORD), true));
        assertTrue(noKey.getMessage().contains("holds no private key"), noKey.getMessage());
        Path missing = dir.resolve("missing.p12");
        IOException absent = assertThrows(IOException.class, () -> security(TlsConfig.of(TlsConfig.Mode.ON,
                stores.nodeKeys(), TlsStores.PASSWORD, missing, TlsStores.PASSWORD), true));
        assertTrue(absent.getMessage().contains(missing.toString()), absent.getMessage());
        Path garbage = Files.writeString(dir.resolve("garbage.p12"), "not a key store");
        IOException notPkcs12 = assertThrows(IOException.class, () -> security(TlsConfig.of(TlsConfig.Mode.ON,
                garbage, TlsStores.PASSWORD, stores.trusted(), TlsStores.PASSWORD), true));
        assertTrue(notPkcs12.getMessage().contains("PKCS12"), notPkcs12.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TlsConfig.of(TlsConfig.Mode.ON, null, null, null, null));
        assertTrue(!stores.config(TlsConfig.Mode.ON).toString().contains(TlsStores.PASSWORD),
                "a TLS configuration never prints its passwords");
    }

    @Test
    void thePagerEnvironmentCarriesTheSameSecurity() throws Exception {
        TlsStores stores = TlsStores.get();
        LinkSecurity node = security(stores.config(TlsConfig.Mode.REQUIRED), false);
        LinkSecurity pager = LinkSecurity.fromEnvironment(node.environment());
        assertEquals(node.tls(), pager.tls());
        DataServer server = server(region("pager-env", 4), node);
        connect(server.address(), pager);
        assertEquals(0, server.refusedConnections());
    }

    /** A TCP relay on loopback: forwards bytes both ways between its clients and {@code target}. */
    private static final class Relay implements AutoCloseable {
        private final ServerSocketChannel listener;
        private final Thread acceptor;
        private final List<SocketChannel> open = new java.util.concurrent.CopyOnWriteArrayList<>();

        Relay(InetSocketAddress target) throws IOException {
            listener = ServerSocketChannel.open().bind(LOOPBACK);
            acceptor = Thread.ofPlatform().daemon(true).name("test-relay").start(() -> {
                try {
                    while (true) {
                        SocketChannel in = listener.accept();
                        SocketChannel out = SocketChannel.open(target);
                        open.add(in);
                        open.add(out);
                        pump(in, out);
                        pump(out, in);
                    }
                } catch (IOException closed) {
                    // the relay closed
                }
            });
        }

        private static void pump(SocketChannel from, SocketChannel to) {
            Thread.ofPlatform().daemon(true).name("test-relay-pump").start(() -> {
                ByteBuffer b = ByteBuffer.allocateDirect(64 * 1024);
                try {
                    while (from.read(b) >= 0) {
                        b.flip();
                        while (b.hasRemaining()) {
                            to.write(b);
                        }
                        b.clear();
                    }
                } catch (IOException closed) {
                    // either side closed
                } finally {
                    try {
                        to.shutdownOutput();
                    } catch (IOException ignored) {
                        // closed already
                    }
                }
            });
        }

        InetSocketAddress address() throws IOException {
            return (InetSocketAddress) listener.getLocalAddress();
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (SocketChannel s : open) {
                s.close();
            }
            acceptor.interrupt();
        }
    }
}
