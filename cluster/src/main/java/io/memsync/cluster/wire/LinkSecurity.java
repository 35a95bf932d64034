package io.memsync.cluster.wire;

import tlschannel.ClientTlsChannel;
import tlschannel.ServerTlsChannel;
import tlschannel.TlsChannel;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * How this node's data-plane connections are protected: the secret both ends prove they know, TLS (off, on or
 * required; {@link TlsConfig}), and what the secret handshake is bound to. With TLS the proofs are bound to the
 * TLS session (its exporter, RFC 9266); without, to the connection's two addresses as each end sees them
 * ({@code bindAddresses}), so that a handshake relayed between two nodes fails; behind NAT or a proxy between nodes
 * the addresses differ and binding must be off. One per node, shared by its server and its links.
 */
public final class LinkSecurity {
    /** RFC 9266's exporter label for TLS 1.3 channel binding. */
    static final String EXPORTER_LABEL = "EXPORTER-Channel-Binding";
    private static final int EXPORTER_BYTES = 32;
    /** A TLS record of type handshake starts a TLS client's first flight; no memsync frame starts with it. */
    private static final byte TLS_HANDSHAKE_RECORD = 0x16;
    static final String ENV_SECRET = "MEMSYNC_SECRET";
    static final String ENV_BINDING = "MEMSYNC_CHANNEL_BINDING";

    private final byte[] secret;
    private final Handshake handshake;
    private final TlsConfig tls;
    /** Null when TLS is off. */
    private final SSLContext context;
    private final boolean bindAddresses;

    /**
     * @param secret        the cluster secret (at least 16 bytes)
     * @param tls           TLS settings; the stores are loaded now
     * @param bindAddresses bind the secret handshake to the connection's addresses when TLS is off
     * @throws IOException naming the store that cannot be used
     */
    public LinkSecurity(byte[] secret, TlsConfig tls, boolean bindAddresses) throws IOException {
        this.handshake = new Handshake(secret);
        this.secret = secret.clone();
        this.tls = tls;
        this.context = tls.enabled() ? tls.context() : null;
        this.bindAddresses = bindAddresses;
    }

    /** The secret handshake bound to the connection's addresses, no TLS. */
    public static LinkSecurity secretOnly(byte[] secret) {
        try {
            return new LinkSecurity(secret, TlsConfig.OFF, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public TlsConfig tls() {
        return tls;
    }

    Handshake handshake() {
        return handshake;
    }

    /** A client's channel on a connected socket: TLS (its handshake done) when TLS is on, else the socket itself. */
    FramedChannel client(SocketChannel socket, InetSocketAddress address) throws IOException {
        if (context == null) {
            return new FramedChannel(socket, null, FramedChannel.AHEAD_BYTES);
        }
        SSLEngine engine = context.createSSLEngine(address.getHostString(), address.getPort());
        engine.setUseClientMode(true);
        engine.setEnabledProtocols(new String[] {"TLSv1.3"});
        TlsChannel t = ClientTlsChannel.newBuilder(socket, engine)
                .withPlainBufferAllocator(TlsBuffers.SHARED)
                .withEncryptedBufferAllocator(TlsBuffers.SHARED)
                .withReleaseBuffers(false)
                .build();
        try {
            t.handshake();
        } catch (java.nio.channels.ClosedChannelException e) {
            closeQuietly(t);
            throw e;
        } catch (IOException e) {
            closeQuietly(t);
            throw tlsFailed(address, e);
        }
        return new FramedChannel(socket, t, FramedChannel.AHEAD_BYTES);
    }

    /**
     * A TLS failure with {@code address}, during the TLS handshake or right after it: in TLS 1.3 a server checks the
     * client's certificate after the client considers the handshake done, so a refused certificate shows as the
     * connection closing at the first read.
     */
    static IOException tlsFailed(InetSocketAddress address, IOException e) {
        return new IOException("TLS with " + address + " failed: " + e.getMessage() + " (both nodes need memsync.tls "
                + "on or required, and each must trust the other's certificate: memsync.tls.truststore)", e);
    }

    /**
     * A server's channel on an accepted socket, with a receive buffer of {@code aheadBytes}: reads the first byte to
     * tell a TLS client from a plain one. A plain client is returned as such even when TLS is required, so that the
     * server can tell it why it is refused ({@link #refusesPlain}).
     *
     * @throws TlsRefusedException when a TLS client reaches a node with TLS off, or its TLS handshake fails
     */
    FramedChannel server(SocketChannel socket, int aheadBytes) throws IOException {
        ByteBuffer first = ByteBuffer.allocate(1);
        while (first.hasRemaining()) {
            if (socket.read(first) < 0) {
                throw new EOFException("the peer closed the connection");
            }
        }
        first.flip();
        if (first.get(0) != TLS_HANDSHAKE_RECORD) {
            FramedChannel plain = new FramedChannel(socket, null, aheadBytes);
            plain.unread(first);
            return plain;
        }
        if (context == null) {
            throw new TlsRefusedException("the peer started TLS, but this node has memsync.tls=off: give every node "
                    + "the same memsync.tls");
        }
        ByteChannel replaying = new Replaying(first, socket);
        TlsChannel t = ServerTlsChannel.newBuilder(replaying, context)
                .withEngineFactory(c -> {
                    SSLEngine engine = c.createSSLEngine();
                    engine.setUseClientMode(false);
                    engine.setNeedClientAuth(true);
                    engine.setEnabledProtocols(new String[] {"TLSv1.3"});
                    return engine;
                })
                .withPlainBufferAllocator(TlsBuffers.SHARED)
                .withEncryptedBufferAllocator(TlsBuffers.SHARED)
                .withReleaseBuffers(false)
                .build();
        try {
            t.handshake();
        } catch (SSLException e) {
            closeQuietly(t);
            throw new TlsRefusedException("TLS handshake failed: " + e.getMessage());
        } catch (IOException e) {
            closeQuietly(t);
            throw e;
        }
        return new FramedChannel(socket, t, aheadBytes);
    }

    /** Closes a TLS channel that failed (its buffers go back to the pool, its socket is closed). */
    private static void closeQuietly(TlsChannel t) {
        try {
            t.close();
        } catch (IOException ignored) {
            // Closing is all there is to do.
        }
    }

    /** True when a plain (not TLS) peer is refused. */
    boolean refusesPlain() {
        return tls.mode() == TlsConfig.Mode.REQUIRED;
    }

    /** What a connection's proofs are bound to, seen from the client's end or the server's. */
    Handshake.Binding binding(FramedChannel c, boolean clientSide) throws IOException {
        TlsChannel t = c.tls();
        if (t != null) {
            SSLSession session = t.getSslEngine().getSession();
            if (!(session instanceof ExtendedSSLSession extended)) {
                throw new IOException("this JDK's TLS session exports no keying material (RFC 5705)");
            }
            return new Handshake.Binding(Handshake.BIND_TLS,
                    extended.exportKeyingMaterialData(EXPORTER_LABEL, new byte[0], EXPORTER_BYTES));
        }
        if (!bindAddresses) {
            return Handshake.Binding.NONE;
        }
        InetSocketAddress local = (InetSocketAddress) c.socket.getLocalAddress();
        InetSocketAddress remote = (InetSocketAddress) c.socket.getRemoteAddress();
        return clientSide ? Handshake.Binding.addresses(local, remote) : Handshake.Binding.addresses(remote, local);
    }

    /** What hands this node's secret, TLS and binding to a pager process: its environment, readable by its owner. */
    public Map<String, String> environment() {
        Map<String, String> env = new HashMap<>(tls.environment());
        env.put(ENV_SECRET, new String(secret, StandardCharsets.UTF_8));
        env.put(ENV_BINDING, bindAddresses ? "addresses" : "none");
        return Map.copyOf(env);
    }

    /** What {@link #environment()} handed over. */
    public static LinkSecurity fromEnvironment(Map<String, String> env) throws IOException {
        String secret = env.get(ENV_SECRET);
        if (secret == null) {
            throw new IllegalArgumentException("network source: set " + ENV_SECRET + " to the cluster secret");
        }
        return new LinkSecurity(secret.getBytes(StandardCharsets.UTF_8), TlsConfig.fromEnvironment(env),
                !"none".equals(env.get(ENV_BINDING)));
    }

    /** A connection refused for its TLS (or its lack of TLS): closed without a frame the peer could read. */
    static final class TlsRefusedException extends IOException {
        TlsRefusedException(String message) {
            super(message);
        }
    }

    /** The bytes read to tell TLS from plain, then the socket: what the TLS engine reads from. */
    private static final class Replaying implements ByteChannel {
        private final ByteBuffer first;
        private final SocketChannel socket;

        Replaying(ByteBuffer first, SocketChannel socket) {
            this.first = first;
            this.socket = socket;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (first.hasRemaining()) {
                int n = Math.min(first.remaining(), dst.remaining());
                dst.put(dst.position(), first, first.position(), n);
                dst.position(dst.position() + n);
                first.position(first.position() + n);
                return n;
            }
            return socket.read(dst);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return socket.write(src);
        }

        @Override
        public boolean isOpen() {
            return socket.isOpen();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
