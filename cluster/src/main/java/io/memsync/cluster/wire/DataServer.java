package io.memsync.cluster.wire;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Accepts authenticated peers and serves them the registered regions: applies pushed chunks to replicas (after
 * checking region, index, size and fencing token), acknowledges epochs, answers chunk requests. A peer that
 * breaks the protocol gets an ERROR frame naming what was wrong and loses its connection; the server, its other
 * peers and the regions are unaffected. One thread per connection, at most {@code maxConnections} authenticated.
 * <p>
 * <b>Before authentication</b> a connection is bounded so that a flood cannot starve the peers: at most
 * {@value #MAX_HANDSHAKING} handshakes at once, {@value #MAX_HANDSHAKING_PER_ADDRESS} from one address, each with
 * {@value #HANDSHAKE_MILLIS} ms to authenticate and a 1 KiB receive buffer; a connection over those limits is
 * closed at once, without a thread or a buffer. The authenticated slots are counted apart, so a flood of
 * unauthenticated connections never takes one.
 */
public final class DataServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DataServer.class.getName());
    static final int HANDSHAKE_MILLIS = 2000;
    static final int MAX_HANDSHAKING = 32;
    static final int MAX_HANDSHAKING_PER_ADDRESS = 8;
    private static final long REFUSAL_LOG_NANOS = TimeUnit.SECONDS.toNanos(10);
    private final LinkSecurity security;
    private final ServerSocketChannel server;
    /** Closes connections that do not authenticate in time; the server's own thread, stopped by close(). */
    private final ScheduledExecutorService handshakeTimer;
    private final Map<Long, ServedRegion> regions = new ConcurrentHashMap<>();
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private final int maxConnections;
    /**
     * The authenticated connections' 512 KiB receive buffers, reused: a connection takes one when it authenticates and
     * gives it back when its thread ends, so that peers connecting again and again (a reconnect storm) cost no new
     * direct memory each time, only what the most connections at once hold.
     */
    private final java.util.concurrent.ArrayBlockingQueue<ByteBuffer> receiveBuffers;
    private final Thread acceptor;
    private final AtomicLong refused = new AtomicLong();
    /** Connections closed before authentication because the handshake limits were reached. */
    private final AtomicLong refusedBeforeAuthentication = new AtomicLong();
    private final Map<java.net.InetAddress, java.util.concurrent.atomic.AtomicInteger> handshakingFrom =
            new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger handshaking = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger authenticated = new java.util.concurrent.atomic.AtomicInteger();
    private long refusalLoggedAt;
    private long refusalsLogged;
    private final AtomicLong connectionSequence = new AtomicLong();
    private final AtomicLong chunksServed = new AtomicLong();
    private final AtomicLong chunksStreamed = new AtomicLong();
    private final AtomicLong chunksCompressed = new AtomicLong();
    private final AtomicLong bytesSavedByCompression = new AtomicLong();
    /** Single requests (a fault's) being answered now: streams pause for them. */
    private final java.util.concurrent.atomic.AtomicInteger requestsAnswering = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closed;

    /** Listens on {@code bind} (port 0 picks one); peers must prove they know {@code secret}; no TLS. */
    public DataServer(InetSocketAddress bind, byte[] secret, int maxConnections) throws IOException {
        this(bind, LinkSecurity.secretOnly(secret), maxConnections);
    }

    /**
     * Listens on {@code bind} (port 0 picks one); peers must prove they know the secret of {@code security}, and
     * speak TLS when it requires TLS.
     */
    public DataServer(InetSocketAddress bind, LinkSecurity security, int maxConnections) throws IOException {
        this.security = security;
        this.maxConnections = maxConnections;
        this.receiveBuffers = new java.util.concurrent.ArrayBlockingQueue<>(Math.max(1, maxConnections));
        this.server = ServerSocketChannel.open().bind(bind);
        this.handshakeTimer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                .name("memsync-data-handshakes-" + port()).daemon(true).unstarted(r));
        this.acceptor = Thread.ofPlatform().name("memsync-data-accept-" + port()).daemon(true).start(this::accept);
    }

    public int port() {
        try {
            return ((InetSocketAddress) server.getLocalAddress()).getPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public InetSocketAddress address() {
        try {
            return (InetSocketAddress) server.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Serves {@code region} under its id, replacing an earlier copy of the same region.
     *
     * @throws IllegalStateException if another region is served under that id (ids are random 64-bit numbers: a
     *                               collision means a bug or a forged record, never chance)
     */
    public void serve(ServedRegion region) {
        ServedRegion before = regions.putIfAbsent(region.id(), region);
        if (before != null && before != region) {
            if (!before.name().equals(region.name())) {
                throw new IllegalStateException("region " + region.name() + " has id " + Long.toHexString(region.id())
                        + ", which region " + before.name() + " is served under already here");
            }
            regions.put(region.id(), region);
        }
    }

    public void stopServing(long regionId) {
        regions.remove(regionId);
    }

    /** Stops serving {@code region}, unless another region is served under its id by now. */
    public void stopServing(ServedRegion region) {
        regions.remove(region.id(), region);
    }

    /** Chunks sent in answer to pulls and by streams, over all regions. */
    public long chunksServed() {
        return chunksServed.get();
    }

    /** Chunks sent by streams (counted in {@link #chunksServed()} too), all-zero ones without their bytes. */
    public long chunksStreamed() {
        return chunksStreamed.get();
    }

    /** Streamed chunks sent as LZ4 blocks, since the start. */
    public long chunksCompressed() {
        return chunksCompressed.get();
    }

    /** Bytes LZ4 kept off the wire (a chunk's size less its block's), since the start. */
    public long bytesSavedByCompression() {
        return bytesSavedByCompression.get();
    }

    /** Connections closed because the peer broke the protocol or failed to authenticate. */
    public long refusedConnections() {
        return refused.get();
    }

    /**
     * Connections closed unread because too many were authenticating at once, from their address or in all (a
     * flood, or a peer that reconnects too fast).
     */
    public long refusedBeforeAuthentication() {
        return refusedBeforeAuthentication.get();
    }

    private void accept() {
        while (!closed) {
            try {
                SocketChannel socket = server.accept();
                java.net.InetAddress from = ((InetSocketAddress) socket.getRemoteAddress()).getAddress();
                java.util.concurrent.atomic.AtomicInteger fromThere =
                        handshakingFrom.computeIfAbsent(from, a -> new java.util.concurrent.atomic.AtomicInteger());
                if (handshaking.incrementAndGet() > MAX_HANDSHAKING
                        | fromThere.incrementAndGet() > MAX_HANDSHAKING_PER_ADDRESS) {
                    endHandshake(from);
                    refuseUnread(socket, from);
                    continue;
                }
                connections.add(socket);
                Thread.ofPlatform().name("memsync-data-peer").daemon(true).start(() -> serve(socket, from));
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.ERROR, "data server: accept failed: " + e.getMessage(), e);
                }
            }
        }
    }

    /** One handshake from {@code from} ended, however. */
    private void endHandshake(java.net.InetAddress from) {
        handshaking.decrementAndGet();
        handshakingFrom.computeIfPresent(from, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    /** Closes a connection over the handshake limits; logs the first and then a count every 10 s. */
    private void refuseUnread(SocketChannel socket, java.net.InetAddress from) {
        closeQuietly(socket);
        long total = refusedBeforeAuthentication.incrementAndGet();
        long now = System.nanoTime();
        synchronized (this) {
            if (refusalsLogged != 0 && now - refusalLoggedAt < REFUSAL_LOG_NANOS) {
                return;
            }
            LOG.log(System.Logger.Level.WARNING, "data server: closed a connection from " + from + " unread: "
                    + MAX_HANDSHAKING + " connections in all, or " + MAX_HANDSHAKING_PER_ADDRESS + " from one "
                    + "address, are authenticating already (" + (total - refusalsLogged) + " closed so since the "
                    + "last report); peers that know the secret are not affected");
            refusalLoggedAt = now;
            refusalsLogged = total;
        }
    }

    private void serve(SocketChannel socket, java.net.InetAddress from) {
        String peer = String.valueOf(from);
        boolean handshakeEnded = false;
        boolean slotTaken = false;
        // A peer that connects and says nothing must not hold a handshake slot for long.
        ScheduledFuture<?> deadline;
        try {
            deadline = handshakeTimer.schedule(() -> closeQuietly(socket), HANDSHAKE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            closeQuietly(socket);
            connections.remove(socket);
            endHandshake(from);
            return;
        }
        Connection connection = null;
        ByteBuffer receiveBuffer = null;
        try (FramedChannel c = security.server(socket, FramedChannel.HANDSHAKE_AHEAD_BYTES);
             Arena arena = Arena.ofConfined()) {
            peer = String.valueOf(socket.getRemoteAddress());
            try {
                String name = authenticate(c);
                if (!deadline.cancel(false)) {
                    throw new EOFException("authentication took longer than " + HANDSHAKE_MILLIS + " ms");
                }
                endHandshake(from);
                handshakeEnded = true;
                peer = name + "@" + peer;
                if (authenticated.incrementAndGet() > maxConnections) {
                    authenticated.decrementAndGet();
                    throw new ProtocolException(Protocol.E_UNAVAILABLE, "too many connections (" + maxConnections
                            + ")");
                }
                slotTaken = true;
                receiveBuffer = receiveBuffers.poll();
                c.growAhead(receiveBuffer != null ? receiveBuffer : ByteBuffer.allocateDirect(
                        FramedChannel.AHEAD_BYTES));
                receiveBuffer = c.aheadBuffer();
                connection = new Connection(c, arena, peer);
                connection.run();
            } catch (ProtocolException e) {
                refused.incrementAndGet();
                LOG.log(System.Logger.Level.WARNING, "data server: closing connection from " + peer + ": "
                        + e.getMessage());
                c.sendError(e.code(), e.getMessage());
                drainBeforeClose(socket);
            }
        } catch (LinkSecurity.TlsRefusedException e) {
            refused.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "data server: closing connection from " + from + ": "
                    + e.getMessage());
        } catch (EOFException e) {
            // The peer hung up: nothing to report.
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                // A puller that ends its stream closes the connection while chunks are still on their way to it: the
                // reset that follows is its way of saying it has all it wanted.
                boolean streamEnded = connection != null && connection.stream != null && e instanceof IOException;
                LOG.log(streamEnded ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING, "data server: "
                        + "connection from " + peer + " failed: " + e.getMessage());
            }
        } finally {
            if (receiveBuffer != null) {
                // This thread was the channel's only reader, and it is closed: the buffer is free for the next.
                receiveBuffers.offer(receiveBuffer);
            }
            deadline.cancel(false);
            // Closed already unless no channel was made on it (refused or broken before).
            closeQuietly(socket);
            connections.remove(socket);
            if (!handshakeEnded) {
                endHandshake(from);
            }
            if (slotTaken) {
                authenticated.decrementAndGet();
            }
            if (connection != null) {
                // A replica this connection vouched for is no longer vouched for: it may miss what comes next.
                for (ServedRegion r : regions.values()) {
                    r.connectionClosed(connection.sequence);
                }
            }
        }
    }

    private static void closeQuietly(SocketChannel socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closing is all there is to do.
        }
    }

    /**
     * Closing a socket with unread input makes the kernel send a reset, which can destroy the ERROR frame just
     * sent before the peer reads it. So stop writing, and read and drop what the peer still sends, for a moment.
     */
    private static void drainBeforeClose(SocketChannel socket) {
        try {
            socket.shutdownOutput();
            socket.configureBlocking(false);
            ByteBuffer sink = ByteBuffer.allocateDirect(64 * 1024);
            long deadline = System.nanoTime() + 500_000_000L;
            long drained = 0;
            while (System.nanoTime() < deadline && drained < 64L << 20) {
                sink.clear();
                int n = socket.read(sink);
                if (n < 0) {
                    return;
                }
                drained += n;
                if (n == 0) {
                    Thread.sleep(5);
                }
            }
        } catch (IOException | InterruptedException e) {
            // Closing anyway.
        }
    }

    /** HELLO, CHALLENGE, AUTH, AUTH_OK, bound to this connection; returns the peer's name. */
    private String authenticate(FramedChannel c) throws IOException {
        if (c.tls() == null && security.refusesPlain()) {
            throw new ProtocolException(Protocol.E_AUTH, "this node requires TLS (memsync.tls=required): give the "
                    + "connecting node memsync.tls=on or required and key and trust stores");
        }
        int type = c.readHeader(Protocol.MAX_UNAUTHENTICATED_FRAME - Protocol.LENGTH_BASE);
        if (type != Protocol.HELLO) {
            throw new ProtocolException(Protocol.E_AUTH, "expected HELLO first, got " + Protocol.typeName(type));
        }
        if (c.bodyBytes() < Protocol.NONCE_BYTES + 3) {
            throw new ProtocolException(Protocol.E_MALFORMED, "HELLO of " + c.bodyBytes() + " bytes is too short");
        }
        ByteBuffer hello = ByteBuffer.allocate(c.bodyBytes());
        c.readFully(hello);
        hello.flip();
        byte[] clientNonce = new byte[Protocol.NONCE_BYTES];
        hello.get(clientNonce);
        byte bindingKind = hello.get();
        int nameLength = hello.getShort() & 0xffff;
        if (nameLength != hello.remaining()) {
            throw new ProtocolException(Protocol.E_MALFORMED, "HELLO name length " + nameLength + " does not match");
        }
        byte[] name = new byte[nameLength];
        hello.get(name);
        Handshake.Binding binding = security.binding(c, false);
        if (bindingKind != binding.kind()) {
            throw new ProtocolException(Protocol.E_AUTH, "the peer binds its handshake to "
                    + Handshake.Binding.name(bindingKind) + ", this node to " + Handshake.Binding.name(binding.kind())
                    + ": give every node the same memsync.channel.binding and memsync.tls");
        }
        Handshake handshake = security.handshake();
        byte[] serverNonce = Handshake.nonce();
        c.begin(Protocol.CHALLENGE, Protocol.NONCE_BYTES + Protocol.PROOF_BYTES).put(serverNonce)
                .put(handshake.proof("server", clientNonce, serverNonce, name, binding)).flip();
        c.writeFrame(null);
        type = c.readHeader(Protocol.PROOF_BYTES);
        if (type != Protocol.AUTH || c.bodyBytes() != Protocol.PROOF_BYTES) {
            throw new ProtocolException(Protocol.E_AUTH, "expected AUTH, got " + Protocol.typeName(type));
        }
        byte[] proof = new byte[Protocol.PROOF_BYTES];
        c.readFields(Protocol.PROOF_BYTES).get(proof);
        if (!Handshake.matches(handshake.proof("client", clientNonce, serverNonce, name, binding), proof)) {
            throw new ProtocolException(Protocol.E_AUTH, "the peer does not know the cluster secret"
                    + (binding.kind() == Handshake.BIND_ADDRESSES ? ", or the connection is relayed (this node "
                    + "sees it come from " + c.socket.getRemoteAddress() + "; behind NAT or a proxy set "
                    + "memsync.channel.binding=none, or use TLS)" : ""));
        }
        c.begin(Protocol.AUTH_OK, 0).flip();
        c.writeFrame(null);
        return new String(name, StandardCharsets.UTF_8);
    }

    /** One authenticated peer: its frames, in order, on this thread. */
    private final class Connection {
        private final FramedChannel c;
        private final String peer;
        private final Arena arena;
        private final long sequence = connectionSequence.incrementAndGet();
        private MemorySegment staging;
        private ByteBuffer stagingBuffer;
        /** Every write to the connection: this thread's answers and the stream's chunks. */
        private final java.util.concurrent.locks.ReentrantLock writes = new java.util.concurrent.locks.ReentrantLock();
        /** The connection's stream, made by its first STREAM_WANT. */
        private StreamSender stream;

        Connection(FramedChannel c, Arena arena, String peer) {
            this.c = c;
            this.arena = arena;
            this.peer = peer;
        }

        void run() throws IOException {
            try {
                while (!closed) {
                    int type = c.readHeader(maxBody());
                    switch (type) {
                        case Protocol.CHUNK -> chunk();
                        case Protocol.EPOCH_END -> epochEnd();
                        case Protocol.FILLED -> filled();
                        case Protocol.REQUEST -> request();
                        case Protocol.STREAM_WANT -> {
                            if (stream == null) {
                                stream = new StreamSender(c, writes, peer, regions::get, chunksServed,
                                        chunksStreamed, requestsAnswering, chunksCompressed,
                                        bytesSavedByCompression);
                            }
                            stream.readWant(c.bodyBytes());
                        }
                        default -> throw new ProtocolException(Protocol.E_MALFORMED, "unexpected "
                                + Protocol.typeName(type) + " frame");
                    }
                }
            } finally {
                if (stream != null) {
                    stream.close();
                }
            }
        }

        private int maxBody() {
            int largest = 0;
            for (ServedRegion r : regions.values()) {
                largest = Math.max(largest, r.layout().chunkSize());
            }
            return Math.max(Protocol.CHUNK_FIELDS + largest, Protocol.STREAM_WANT_FIELDS + 8 * Protocol.MAX_WANT_PAIRS);
        }

        private ServedRegion region(long id) throws ProtocolException {
            ServedRegion r = regions.get(id);
            if (r == null) {
                throw new ProtocolException(Protocol.E_UNKNOWN_REGION, "region " + Long.toHexString(id)
                        + " is not served here");
            }
            return r;
        }

        /** A region that takes pushes here (a replica or a migration's destination). */
        /**
         * A region that takes pushes here (a replica or a migration's destination). A copy owned here takes them
         * once the control plane confirms that the pusher's newer token is in force: this node was handed over or
         * deposed, and the new owner's first frames may come before this node's own step down.
         */
        private ServedRegion pushedRegion(long id, long token) throws ProtocolException {
            ServedRegion r = region(id);
            if (!r.isReplica() && !r.stepDownFor(token)) {
                throw new ProtocolException(Protocol.E_NOT_REPLICA, "region " + r.name()
                        + " is owned here: it takes no pushed chunks");
            }
            return r;
        }

        private void checkToken(ServedRegion r, long token) throws ProtocolException {
            if (!r.admits(token)) {
                throw new ProtocolException(Protocol.E_STALE_TOKEN, "fencing token " + token + " for region "
                        + r.id() + " is " + (token < r.token() ? "stale" : "not known to the control plane") + ": "
                        + r.token() + " is in force");
            }
        }

        /** Under the region's monitor: the token again (a newer owner may have spoken since), and the pusher. */
        private void checkPush(ServedRegion r, long token) throws ProtocolException {
            checkToken(r, token);
            if (!r.admitsPusher(sequence)) {
                throw new ProtocolException(Protocol.E_STALE_TOKEN, "a newer connection pushes region " + r.id()
                        + " now: this one is superseded");
            }
        }

        private void chunk() throws IOException {
            if (c.bodyBytes() < Protocol.CHUNK_FIELDS) {
                throw new ProtocolException(Protocol.E_MALFORMED, "CHUNK frame of " + c.bodyBytes() + " bytes");
            }
            ByteBuffer f = c.readFields(Protocol.CHUNK_FIELDS);
            long regionId = f.getLong();
            long token = f.getLong();
            f.getLong();
            int index = f.getInt();
            ServedRegion r = pushedRegion(regionId, token);
            int chunkSize = r.layout().chunkSize();
            if (c.bodyBytes() != Protocol.CHUNK_FIELDS + chunkSize) {
                throw new ProtocolException(Protocol.E_MALFORMED, "CHUNK of region " + regionId + " carries "
                        + (c.bodyBytes() - Protocol.CHUNK_FIELDS) + " bytes, its chunks have " + chunkSize);
            }
            if (index < 0 || index >= r.layout().chunkCount()) {
                throw new ProtocolException(Protocol.E_BAD_INDEX, "chunk " + index + " of region " + regionId
                        + " is outside [0, " + r.layout().chunkCount() + ")");
            }
            checkToken(r, token);
            // A chunk is applied only once it was received whole, so that a connection lost mid-chunk never leaves
            // a torn chunk in the replica: from the receive buffer when it fits there, else through staging. The
            // token is checked again with the apply, under the region's lock: a newer owner may have spoken since.
            if (chunkSize <= FramedChannel.AHEAD_BYTES / 2) {
                c.fillFor(chunkSize);
                synchronized (r) {
                    checkPush(r, token);
                    ByteBuffer target = r.chunkBuffer(index);
                    c.take(target, target.position(), chunkSize);
                }
            } else {
                ByteBuffer in = staging(chunkSize);
                c.readFully(in);
                synchronized (r) {
                    checkPush(r, token);
                    MemorySegment.copy(staging, 0, r.applyMemory(), r.layout().offsetOf(index), chunkSize);
                }
            }
            r.countChunk(index);
        }

        private ByteBuffer staging(int chunkSize) {
            if (staging == null || staging.byteSize() < chunkSize) {
                staging = arena.allocate(chunkSize, 4096);
                stagingBuffer = staging.asByteBuffer();
            }
            stagingBuffer.clear().limit(chunkSize);
            return stagingBuffer;
        }

        private void epochEnd() throws IOException {
            if (c.bodyBytes() != Protocol.EPOCH_END_FIELDS) {
                throw new ProtocolException(Protocol.E_MALFORMED, "EPOCH_END frame of " + c.bodyBytes() + " bytes");
            }
            ByteBuffer f = c.readFields(Protocol.EPOCH_END_FIELDS);
            long regionId = f.getLong();
            long token = f.getLong();
            long epoch = f.getLong();
            ServedRegion r = pushedRegion(regionId, token);
            synchronized (r) {
                checkPush(r, token);
                r.applied(epoch);
            }
            writes.lock();
            try {
                c.begin(Protocol.ACK, Protocol.ACK_FIELDS).putLong(regionId).putLong(epoch).flip();
                c.writeFrame(null);
            } finally {
                writes.unlock();
            }
        }

        /** The owner vouches that, with everything sent before on this connection, the replica is whole. */
        private void filled() throws IOException {
            if (c.bodyBytes() != Protocol.FILLED_FIELDS) {
                throw new ProtocolException(Protocol.E_MALFORMED, "FILLED frame of " + c.bodyBytes() + " bytes");
            }
            ByteBuffer f = c.readFields(Protocol.FILLED_FIELDS);
            long regionId = f.getLong();
            long token = f.getLong();
            ServedRegion r = pushedRegion(regionId, token);
            synchronized (r) {
                checkPush(r, token);
                r.filled(sequence, token);
            }
        }

        private void request() throws IOException {
            if (c.bodyBytes() != Protocol.REQUEST_FIELDS) {
                throw new ProtocolException(Protocol.E_MALFORMED, "REQUEST frame of " + c.bodyBytes() + " bytes");
            }
            ByteBuffer f = c.readFields(Protocol.REQUEST_FIELDS);
            long requestId = f.getLong();
            long regionId = f.getLong();
            int index = f.getInt();
            ServedRegion r = regions.get(regionId);
            if (r == null) {
                // Not an error of the peer's: its source list may name a node that dropped the region since.
                notHeld(requestId, regionId, index, Protocol.NOT_HELD_UNKNOWN_REGION);
                return;
            }
            if (index < 0 || index >= r.layout().chunkCount()) {
                throw new ProtocolException(Protocol.E_BAD_INDEX, "chunk " + index + " of region " + r.name()
                        + " is outside [0, " + r.layout().chunkCount() + ")");
            }
            if (!r.servesPulls()) {
                // Being filled, cut from its owner, or following a token nobody vouched for: it may hold old bytes.
                r.countRefusedPull();
                notHeld(requestId, regionId, index, Protocol.NOT_HELD_INCOMPLETE);
                return;
            }
            requestsAnswering.incrementAndGet();
            try {
                answer(requestId, regionId, index, r);
            } finally {
                requestsAnswering.decrementAndGet();
            }
        }

        private void answer(long requestId, long regionId, int index, ServedRegion r) throws IOException {
            int chunkSize = r.layout().chunkSize();
            ByteBuffer out = staging(chunkSize);
            r.copyChunk(index, staging);
            writes.lock();
            try {
                c.begin(Protocol.CHUNK_DATA, Protocol.CHUNK_DATA_FIELDS + chunkSize).putLong(requestId)
                        .putLong(regionId).putInt(index).flip();
                c.writeFrame(out);
            } finally {
                writes.unlock();
            }
            chunksServed.incrementAndGet();
        }

        private void notHeld(long requestId, long regionId, int index, int reason) throws IOException {
            writes.lock();
            try {
                c.begin(Protocol.NOT_HELD, Protocol.NOT_HELD_FIELDS).putLong(requestId).putLong(regionId)
                        .putInt(index).putShort((short) reason).flip();
                c.writeFrame(null);
            } finally {
                writes.unlock();
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        handshakeTimer.shutdownNow();
        server.close();
        for (SocketChannel s : connections) {
            s.close();
        }
        acceptor.interrupt();
    }
}
