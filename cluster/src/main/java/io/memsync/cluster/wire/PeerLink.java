package io.memsync.cluster.wire;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One authenticated connection to a peer's {@link DataServer}. Any thread may push chunks and epoch ends or send
 * chunk requests (writes are serialized, nothing waits for the peer in between: requests and pushes pipeline);
 * one reader thread of this link takes acknowledgements and chunk data as they come.
 * <p>
 * A peer that stops reading (paused, swapped out, wedged) would block a sender forever in the kernel: the
 * {@link LinkWatchdog} the link was opened with cuts it once a write has been blocked longer than its stall
 * timeout, which fails the blocked write and every waiter on the link. The handshake is bounded by the same timeout.
 */
public final class PeerLink implements AutoCloseable {
    /** The stall timeout of {@link #connect(InetSocketAddress, byte[], String, int, Duration, LinkWatchdog)}. */
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(30);

    private final FramedChannel channel;
    private final String peer;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Map<Long, AtomicLong> acked = new ConcurrentHashMap<>();
    private final Slot[] slots = new Slot[MAX_PULLS];
    private final ArrayBlockingQueue<Slot> freeSlots = new ArrayBlockingQueue<>(MAX_PULLS);
    private final Thread reader;
    private final int maxChunkBytes;
    private final long delayNanos;
    private final long stallNanos;
    /** When the write in progress began (System.nanoTime), or 0 when none is: read by the watchdog. */
    private volatile long writingSince;
    private volatile IOException failure;
    private final List<Runnable> ackListeners = new CopyOnWriteArrayList<>();
    /** Where STREAM_CHUNK and STREAM_END frames go, on the reader thread; null: they are dropped. */
    private volatile io.memsync.region.ChunkStream.Receiver streamReceiver;
    /** The id of the last STREAM_WANT sent: only its STREAM_END is passed on. */
    private volatile long lastWant = -1;
    /** For streamed chunks larger than half the receive buffer (reader thread's). */
    private MemorySegment streamStaging;
    private ByteBuffer streamStagingBuffer;

    /** Pulls that may be outstanding on one link at once; a further one waits for a slot. */
    public static final int MAX_PULLS = 64;
    private static final int WAITING = 1;
    private static final int CLAIMED = 2;
    private static final int DONE = 3;
    private static final int FAILED = 4;
    private static final int ABANDONED = 5;
    private static final int NOT_HELD = 6;

    /**
     * One outstanding pull, reused so that a pull allocates nothing. Its state word holds the request id of the
     * current use and a status ({@code id << 3 | status}), so the reader can claim exactly this use of the slot
     * with one compare-and-set, and a late answer to an earlier use never matches.
     */
    private static final class Slot {
        final int number;
        final AtomicLong state = new AtomicLong();
        long generation;
        long region;
        int notHeldReason;
        int index;
        int bytes;
        MemorySegment dst;
        long offset;
        volatile Thread waiter;

        Slot(int number) {
            this.number = number;
        }

        int status() {
            return (int) (state.get() & 7);
        }
    }

    private final LinkWatchdog watchdog;

    private PeerLink(FramedChannel channel, String peer, int maxChunkBytes, long delayNanos, long stallNanos,
                     LinkWatchdog watchdog) {
        this.watchdog = watchdog;
        this.channel = channel;
        this.peer = peer;
        this.maxChunkBytes = maxChunkBytes;
        this.delayNanos = delayNanos;
        this.stallNanos = stallNanos;
        for (int i = 0; i < MAX_PULLS; i++) {
            slots[i] = new Slot(i);
            freeSlots.add(slots[i]);
        }
        watchdog.watch(this);
        this.reader = Thread.ofPlatform().name("memsync-link-" + peer).daemon(true).start(this::readLoop);
    }

    /**
     * Connects to {@code address} and authenticates as {@code name} with the secret alone (no TLS, the handshake bound
     * to the connection's addresses); fails with a {@link ProtocolException} if the peer speaks another version,
     * refuses the secret, or cannot prove it knows it.
     *
     * @param maxChunkBytes the largest chunk this link will receive (bounds every frame read)
     * @param delay         added before each frame is sent: injected latency for tests and benchmarks
     * @param watchdog      cuts the link if a write to it stays blocked longer than {@link #DEFAULT_STALL_TIMEOUT}
     */
    public static PeerLink connect(InetSocketAddress address, byte[] secret, String name, int maxChunkBytes,
                                   Duration delay, LinkWatchdog watchdog) throws IOException {
        return connect(address, LinkSecurity.secretOnly(secret), name, maxChunkBytes, delay, DEFAULT_STALL_TIMEOUT,
                watchdog);
    }

    /** As {@link #connect(InetSocketAddress, LinkSecurity, String, int, Duration, Duration, LinkWatchdog)}. */
    public static PeerLink connect(InetSocketAddress address, byte[] secret, String name, int maxChunkBytes,
                                   Duration delay, Duration stallTimeout, LinkWatchdog watchdog) throws IOException {
        return connect(address, LinkSecurity.secretOnly(secret), name, maxChunkBytes, delay, stallTimeout, watchdog);
    }

    /**
     * Connects to {@code address} (with TLS when {@code security} says so) and authenticates as {@code name}, cutting
     * the link when one write stays blocked longer than {@code stallTimeout} (and failing the connect if the
     * handshakes take longer); fails with a {@link ProtocolException} if the peer speaks another version, refuses
     * this node, or cannot prove it knows the secret on this connection.
     */
    public static PeerLink connect(InetSocketAddress address, LinkSecurity security, String name, int maxChunkBytes,
                                   Duration delay, Duration stallTimeout, LinkWatchdog watchdog) throws IOException {
        if (stallTimeout.toMillis() < LinkWatchdog.PERIOD_MS) {
            throw new IllegalArgumentException("stall timeout " + stallTimeout + " is shorter than the watchdog's "
                    + LinkWatchdog.PERIOD_MS + " ms period");
        }
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > Protocol.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("node name longer than " + Protocol.MAX_NAME_BYTES + " bytes");
        }
        Handshake handshake = security.handshake();
        SocketChannel socket = SocketChannel.open();
        // A peer that accepts (its kernel does, even when the process is stopped) but never answers must not hang
        // the caller: closing the socket ends any blocked connect, read or write with an exception.
        ScheduledFuture<?> handshakeDeadline = watchdog.schedule(() -> {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing is all there is to do.
            }
        }, stallTimeout.toMillis());
        FramedChannel c = null;
        try {
            socket.socket().connect(address, (int) Math.min(Integer.MAX_VALUE, stallTimeout.toMillis()));
            c = security.client(socket, address);
            Handshake.Binding binding = security.binding(c, true);
            byte[] clientNonce = Handshake.nonce();
            c.writeFully(Handshake.hello(clientNonce, binding.kind(), nameBytes));
            int type = c.readHeader(Protocol.MAX_UNAUTHENTICATED_FRAME);
            if (type == Protocol.ERROR) {
                throw c.readError();
            }
            if (type != Protocol.CHALLENGE || c.bodyBytes() != Protocol.NONCE_BYTES + Protocol.PROOF_BYTES) {
                throw new ProtocolException(Protocol.E_AUTH, "expected CHALLENGE from " + address + ", got "
                        + Protocol.typeName(type));
            }
            ByteBuffer f = c.readFields(Protocol.NONCE_BYTES + Protocol.PROOF_BYTES);
            byte[] serverNonce = new byte[Protocol.NONCE_BYTES];
            byte[] serverProof = new byte[Protocol.PROOF_BYTES];
            f.get(serverNonce).get(serverProof);
            if (!Handshake.matches(handshake.proof("server", clientNonce, serverNonce, nameBytes, binding),
                    serverProof)) {
                throw new ProtocolException(Protocol.E_AUTH, address + " does not know the cluster secret"
                        + (binding.kind() == Handshake.BIND_ADDRESSES ? ", or the connection is relayed (the two "
                        + "ends see different addresses: behind NAT or a proxy set memsync.channel.binding=none, "
                        + "or use TLS)" : ""));
            }
            c.begin(Protocol.AUTH, Protocol.PROOF_BYTES)
                    .put(handshake.proof("client", clientNonce, serverNonce, nameBytes, binding)).flip();
            c.writeFrame(null);
            type = c.readHeader(Protocol.MAX_MESSAGE_BYTES + 4);
            if (type == Protocol.ERROR) {
                throw c.readError();
            }
            if (type != Protocol.AUTH_OK) {
                throw new ProtocolException(Protocol.E_AUTH, "expected AUTH_OK from " + address + ", got "
                        + Protocol.typeName(type));
            }
            if (!handshakeDeadline.cancel(false)) {
                throw new IOException("handshake with " + address + " took longer than " + stallTimeout.toMillis()
                        + " ms");
            }
            return new PeerLink(c, address.toString(), maxChunkBytes, delay.toNanos(), stallTimeout.toNanos(),
                    watchdog);
        } catch (java.nio.channels.ClosedChannelException e) {
            closeQuietly(socket, c);
            throw new IOException(address + " did not complete the handshake within " + stallTimeout.toMillis()
                    + " ms (is the peer stopped or overloaded?)", e);
        } catch (ProtocolException e) {
            closeQuietly(socket, c);
            throw e;
        } catch (IOException e) {
            closeQuietly(socket, c);
            throw c != null && c.tls() != null ? LinkSecurity.tlsFailed(address, e) : e;
        } catch (RuntimeException e) {
            closeQuietly(socket, c);
            throw e;
        } finally {
            handshakeDeadline.cancel(false);
        }
    }

    private static void closeQuietly(SocketChannel socket, FramedChannel c) {
        try {
            if (c != null) {
                c.close();
            } else {
                socket.close();
            }
        } catch (IOException ignored) {
            // Closing is all there is to do.
        }
    }

    /** Cuts this link if a write to it has been blocked longer than its stall timeout (the watchdog's thread). */
    void cutIfStalled(long now) {
        long since = writingSince;
        if (since != 0 && now - since > stallNanos) {
            fail(new IOException(peer + " stopped reading: a write to it was blocked for more than "
                    + TimeUnit.NANOSECONDS.toMillis(stallNanos) + " ms, so the link was cut"));
        }
    }

    public String peer() {
        return peer;
    }

    /** The failure that closed this link, or null while it is open. */
    public IOException failure() {
        return failure;
    }

    /** Pushes chunk {@code index} of region {@code region}; its bytes are {@code payload}'s remaining ones. */
    public void sendChunk(long region, long token, long epoch, int index, ByteBuffer payload) throws IOException {
        beginWrite();
        try {
            channel.begin(Protocol.CHUNK, Protocol.CHUNK_FIELDS + payload.remaining()).putLong(region)
                    .putLong(token).putLong(epoch).putInt(index).flip();
            channel.writeFrame(payload);
        } catch (IOException e) {
            throw writeFailed(e);
        } finally {
            endWrite();
        }
    }

    /** Marks the end of {@code epoch}: the peer acknowledges it once it applied every chunk sent before. */
    public void sendEpochEnd(long region, long token, long epoch) throws IOException {
        beginWrite();
        try {
            channel.begin(Protocol.EPOCH_END, Protocol.EPOCH_END_FIELDS).putLong(region).putLong(token)
                    .putLong(epoch).flip();
            channel.writeFrame(null);
        } catch (IOException e) {
            throw writeFailed(e);
        } finally {
            endWrite();
        }
    }

    /**
     * Vouches that the peer, with every chunk sent before on this link, holds the whole region under {@code token}:
     * from now on it answers pulls for it (see {@link ServedRegion#servesPulls()}).
     */
    public void sendFilled(long region, long token) throws IOException {
        beginWrite();
        try {
            channel.begin(Protocol.FILLED, Protocol.FILLED_FIELDS).putLong(region).putLong(token).flip();
            channel.writeFrame(null);
        } catch (IOException e) {
            throw writeFailed(e);
        } finally {
            endWrite();
        }
    }

    /**
     * Runs {@code listener} on the link's reader thread after every acknowledgement, and once when the link fails:
     * a waiter on several links at once (a flush waiting for any quorum of replicas) wakes on whichever answers.
     * Keep it short.
     */
    public void addAckListener(Runnable listener) {
        ackListeners.add(listener);
    }

    private void signalAckListeners() {
        for (Runnable l : ackListeners) {
            l.run();
        }
    }

    /** The highest epoch of {@code region} the peer acknowledged. */
    public long ackedEpoch(long region) {
        AtomicLong a = acked.get(region);
        return a == null ? 0 : a.get();
    }

    /** Waits until the peer acknowledged {@code epoch} of {@code region}; false on timeout or a closed link. */
    public boolean awaitAck(long region, long epoch, long deadlineNanos) {
        AtomicLong a = acked.computeIfAbsent(region, r -> new AtomicLong());
        synchronized (a) {
            while (a.get() < epoch && failure == null) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(a, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return a.get() >= epoch;
        }
    }

    /**
     * Reads chunk {@code index} of {@code region} from the peer into {@code dst[offset, offset + chunkBytes)}.
     * Nothing is allocated: the request uses a pooled slot, and the reader copies the answer from its receive
     * buffer into {@code dst}.
     *
     * @throws ChunkNotHeldException if the peer answered that it does not hold the chunk for sure (the link stays
     *                               open: ask another peer)
     */
    public void request(long region, int index, MemorySegment dst, long offset, int chunkBytes, Duration timeout)
            throws IOException {
        if (!dst.isAccessibleBy(reader)) {
            throw new IllegalArgumentException("the destination of a pull is confined to another thread; this link's"
                    + " reader writes into it: allocate it from a shared or global arena");
        }
        java.util.Objects.checkFromIndexSize(offset, chunkBytes, dst.byteSize());
        long deadline = System.nanoTime() + timeout.toNanos();
        Slot slot;
        try {
            slot = freeSlots.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a pull slot on the link to " + peer);
        }
        if (slot == null) {
            throw new IOException(MAX_PULLS + " pulls stayed outstanding on the link to " + peer + " for "
                    + timeout.toMillis() + " ms");
        }
        try {
            slot.region = region;
            slot.index = index;
            slot.dst = dst;
            slot.offset = offset;
            slot.bytes = chunkBytes;
            slot.waiter = Thread.currentThread();
            long id = (++slot.generation << 8) | slot.number;
            slot.state.set(id << 3 | WAITING);
            sendRequest(id, region, index);
            awaitAnswer(slot, id, deadline, timeout);
        } finally {
            slot.dst = null;
            slot.waiter = null;
            slot.state.set(0);
            freeSlots.add(slot);
        }
    }

    private void awaitAnswer(Slot slot, long id, long deadline, Duration timeout) throws IOException {
        while (true) {
            int status = slot.status();
            if (status == DONE) {
                return;
            }
            if (status == NOT_HELD) {
                throw new ChunkNotHeldException(peer, slot.region, slot.index, slot.notHeldReason);
            }
            if (status == FAILED) {
                IOException f = failure;
                throw new IOException("pulling chunk " + slot.index + " of region " + slot.region + " from " + peer
                        + " failed: " + (f != null ? f.getMessage() : "the peer answered with another chunk"), f);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                if (slot.state.compareAndSet(id << 3 | WAITING, id << 3 | ABANDONED)) {
                    throw new IOException(peer + " did not send chunk " + slot.index + " of region " + slot.region
                            + " within " + timeout.toMillis() + " ms");
                }
                if (slot.status() == CLAIMED) {
                    // The reader is writing the answer into dst: the caller must not get dst back while that goes
                    // on. Give it as long again, then cut the link, which ends the write for sure.
                    awaitUnclaimed(slot, System.nanoTime() + timeout.toNanos());
                    if (slot.status() == CLAIMED) {
                        IOException stalled = new IOException(peer + " stalled in the middle of chunk " + slot.index
                                + " of region " + slot.region);
                        fail(stalled);
                        awaitUnclaimed(slot, System.nanoTime() + timeout.toNanos());
                        throw stalled;
                    }
                }
                continue;
            }
            LockSupport.parkNanos(this, left);
            if (Thread.interrupted()) {
                if (slot.state.compareAndSet(id << 3 | WAITING, id << 3 | ABANDONED)) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for " + peer);
                }
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void awaitUnclaimed(Slot slot, long deadline) {
        while (slot.status() == CLAIMED && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
    }

    private void sendRequest(long id, long region, int index) throws IOException {
        beginWrite();
        try {
            channel.begin(Protocol.REQUEST, Protocol.REQUEST_FIELDS).putLong(id).putLong(region).putInt(index).flip();
            channel.writeFrame(null);
        } catch (IOException e) {
            throw writeFailed(e);
        } finally {
            endWrite();
        }
    }

    /**
     * Takes the link for one frame: fails at once if it is closed, waits the injected delay, and starts the clock
     * the watchdog reads. Pair with {@link #endWrite()} in a finally block. No lambda: this runs for every chunk.
     */
    private void beginWrite() throws IOException {
        IOException f = failure;
        if (f != null) {
            throw new IOException("link to " + peer + " is closed: " + f.getMessage(), f);
        }
        writeLock.lock();
        if (delayNanos > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(delayNanos);
            } catch (InterruptedException e) {
                writeLock.unlock();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while sending to " + peer);
            }
        }
        writingSince = System.nanoTime() | 1;
    }

    private void endWrite() {
        writingSince = 0;
        writeLock.unlock();
    }

    /** A write failed: the link is closed with the first cause (the watchdog's, if it cut the write short). */
    private IOException writeFailed(IOException e) {
        IOException cause = failure != null ? failure : e;
        fail(cause);
        return cause == e ? e : new IOException(cause.getMessage(), cause);
    }

    private void readLoop() {
        Slot claimed = null;
        try {
            while (true) {
                int type = channel.readHeader(Math.max(Protocol.CHUNK_DATA_FIELDS, Protocol.STREAM_CHUNK_FIELDS)
                        + maxChunkBytes);
                switch (type) {
                    case Protocol.ACK -> {
                        if (channel.bodyBytes() != Protocol.ACK_FIELDS) {
                            throw new ProtocolException(Protocol.E_MALFORMED, "ACK of " + channel.bodyBytes()
                                    + " bytes from " + peer);
                        }
                        ByteBuffer f = channel.readFields(Protocol.ACK_FIELDS);
                        long region = f.getLong();
                        long epoch = f.getLong();
                        AtomicLong a = acked.computeIfAbsent(region, r -> new AtomicLong());
                        synchronized (a) {
                            a.accumulateAndGet(epoch, Math::max);
                            a.notifyAll();
                        }
                        signalAckListeners();
                    }
                    case Protocol.CHUNK_DATA -> {
                        if (channel.bodyBytes() < Protocol.CHUNK_DATA_FIELDS) {
                            throw new ProtocolException(Protocol.E_MALFORMED, "CHUNK_DATA of " + channel.bodyBytes()
                                    + " bytes from " + peer);
                        }
                        ByteBuffer f = channel.readFields(Protocol.CHUNK_DATA_FIELDS);
                        long id = f.getLong();
                        long region = f.getLong();
                        int index = f.getInt();
                        int bytes = channel.bodyBytes() - Protocol.CHUNK_DATA_FIELDS;
                        Slot slot = id >= 0 ? slots[(int) (id & (MAX_PULLS - 1))] : null;
                        // Claimed before reading: a request that times out from now on waits for this write.
                        if (slot == null || (id & 0xff) >= MAX_PULLS
                                || !slot.state.compareAndSet(id << 3 | WAITING, id << 3 | CLAIMED)) {
                            // Answer to a request that timed out, or a confused peer: drop the bytes.
                            channel.skip(bytes);
                            continue;
                        }
                        if (slot.region != region || slot.index != index || slot.bytes != bytes) {
                            slot.state.set(id << 3 | FAILED);
                            LockSupport.unpark(slot.waiter);
                            channel.skip(bytes);
                            continue;
                        }
                        claimed = slot;
                        channel.readInto(slot.dst, slot.offset, bytes);
                        claimed = null;
                        slot.state.set(id << 3 | DONE);
                        LockSupport.unpark(slot.waiter);
                    }
                    case Protocol.NOT_HELD -> {
                        if (channel.bodyBytes() != Protocol.NOT_HELD_FIELDS) {
                            throw new ProtocolException(Protocol.E_MALFORMED, "NOT_HELD of " + channel.bodyBytes()
                                    + " bytes from " + peer);
                        }
                        ByteBuffer f = channel.readFields(Protocol.NOT_HELD_FIELDS);
                        long id = f.getLong();
                        long region = f.getLong();
                        int index = f.getInt();
                        int reason = f.getShort() & 0xffff;
                        Slot slot = id >= 0 ? slots[(int) (id & (MAX_PULLS - 1))] : null;
                        if (slot != null && (id & 0xff) < MAX_PULLS && slot.region == region && slot.index == index
                                && slot.state.compareAndSet(id << 3 | WAITING, id << 3 | CLAIMED)) {
                            slot.notHeldReason = reason;
                            slot.state.set(id << 3 | NOT_HELD);
                            LockSupport.unpark(slot.waiter);
                        }
                    }
                    case Protocol.STREAM_CHUNK -> streamChunk();
                    case Protocol.STREAM_END -> {
                        if (channel.bodyBytes() != Protocol.STREAM_END_FIELDS) {
                            throw new ProtocolException(Protocol.E_MALFORMED, "STREAM_END of " + channel.bodyBytes()
                                    + " bytes from " + peer);
                        }
                        ByteBuffer f = channel.readFields(Protocol.STREAM_END_FIELDS);
                        long want = f.getLong();
                        f.getLong();
                        int sent = f.getInt();
                        int reason = f.getShort() & 0xffff;
                        io.memsync.region.ChunkStream.Receiver receiver = streamReceiver;
                        // The end of a want replaced since (the two crossed on the wire) says nothing of the new one.
                        if (receiver != null && want == lastWant) {
                            receiver.drained(sent, reason == 0);
                        }
                    }
                    case Protocol.ERROR -> throw channel.readError();
                    default -> throw new ProtocolException(Protocol.E_MALFORMED, "unexpected "
                            + Protocol.typeName(type) + " from " + peer);
                }
            }
        } catch (IOException e) {
            fail(e);
        } catch (RuntimeException e) {
            fail(new IOException("reading from " + peer + " failed: " + e, e));
        } finally {
            if (claimed != null) {
                claimed.state.set((claimed.state.get() & ~7L) | FAILED);
                LockSupport.unpark(claimed.waiter);
            }
        }
    }

    /** A STREAM_CHUNK, after its header: into the receiver's memory, or dropped. */
    private void streamChunk() throws IOException {
        if (channel.bodyBytes() < Protocol.STREAM_CHUNK_FIELDS) {
            throw new ProtocolException(Protocol.E_MALFORMED, "STREAM_CHUNK of " + channel.bodyBytes() + " bytes from "
                    + peer);
        }
        ByteBuffer f = channel.readFields(Protocol.STREAM_CHUNK_FIELDS);
        f.getLong();
        f.getLong();
        int index = f.getInt();
        int flags = f.get();
        boolean zero = (flags & Protocol.STREAM_ZERO) != 0;
        boolean lz4 = (flags & Protocol.STREAM_LZ4) != 0;
        int bytes = channel.bodyBytes() - Protocol.STREAM_CHUNK_FIELDS;
        if (zero && bytes != 0 || zero && lz4) {
            throw new ProtocolException(Protocol.E_MALFORMED, "a zero STREAM_CHUNK with " + bytes + " bytes"
                    + (lz4 ? ", flagged LZ4," : "") + " from " + peer);
        }
        if (lz4 && (bytes <= 0 || bytes > FramedChannel.AHEAD_BYTES / 2)) {
            throw new ProtocolException(Protocol.E_MALFORMED, "an LZ4 STREAM_CHUNK of " + bytes + " bytes from "
                    + peer);
        }
        io.memsync.region.ChunkStream.Receiver receiver = streamReceiver;
        if (receiver == null || !receiver.wants(index)) {
            channel.skip(bytes);
            return;
        }
        if (zero) {
            receiver.arrived(index, null, 0);
        } else if (lz4) {
            // Decompressed into staging (off-heap), checked to give exactly the chunk's bytes, installed from there.
            if (streamStaging == null || streamStaging.byteSize() < maxChunkBytes) {
                streamStaging = java.lang.foreign.Arena.ofAuto().allocate(maxChunkBytes, 4096);
                streamStagingBuffer = streamStaging.asByteBuffer();
            }
            channel.fillFor(bytes);
            Lz4.decompress(channel.aheadBuffer(), (int) channel.aheadPosition(), bytes, streamStagingBuffer,
                    maxChunkBytes);
            channel.consume(bytes);
            receiver.arrived(index, streamStaging, 0);
        } else if (bytes <= FramedChannel.AHEAD_BYTES / 2) {
            // In place, from the receive buffer: the receiver's install is the only copy on this side.
            channel.fillFor(bytes);
            receiver.arrived(index, channel.aheadMemory(), channel.aheadPosition());
            channel.consume(bytes);
        } else {
            if (streamStaging == null || streamStaging.byteSize() < bytes) {
                streamStaging = java.lang.foreign.Arena.ofAuto().allocate(bytes, 4096);
                streamStagingBuffer = streamStaging.asByteBuffer();
            }
            channel.readInto(streamStaging, 0, bytes);
            receiver.arrived(index, streamStaging, 0);
        }
    }

    /**
     * Makes this link a stream's: its STREAM_CHUNK and STREAM_END frames go to {@code receiver} on the link's reader
     * thread, and the link's failure too (once). A link carries one stream; pulls on it would wait behind it.
     */
    public void receiveStream(io.memsync.region.ChunkStream.Receiver receiver) {
        this.streamReceiver = receiver;
    }

    /**
     * Sends a STREAM_WANT: the chunks of {@code region} in {@code pairs} ranges of {@code ranges} (from, to), in order;
     * {@code accepts}: the encodings this link takes besides plain bytes ({@link Protocol#STREAM_LZ4}).
     */
    public void sendWant(long want, long region, int accepts, int[] ranges, int pairs, ByteBuffer scratch)
            throws IOException {
        if (pairs < 0 || pairs > Protocol.MAX_WANT_PAIRS || scratch.capacity() < 8 * pairs) {
            throw new IllegalArgumentException(pairs + " ranges in a want (at most " + Protocol.MAX_WANT_PAIRS
                    + ", scratch " + scratch.capacity() + " bytes)");
        }
        scratch.clear();
        for (int i = 0; i < 2 * pairs; i++) {
            scratch.putInt(ranges[i]);
        }
        scratch.flip();
        beginWrite();
        try {
            lastWant = want;
            channel.begin(Protocol.STREAM_WANT, Protocol.STREAM_WANT_FIELDS + 8 * pairs).putLong(want)
                    .putLong(region).putInt(pairs).putInt(accepts).flip();
            channel.writeFrame(scratch);
        } catch (IOException e) {
            throw writeFailed(e);
        } finally {
            endWrite();
        }
    }

    private void fail(IOException e) {
        boolean first;
        synchronized (this) {
            first = failure == null;
            if (failure == null) {
                failure = e;
            }
        }
        io.memsync.region.ChunkStream.Receiver receiver = streamReceiver;
        if (first && receiver != null) {
            receiver.failed(e);
        }
        watchdog.unwatch(this);
        for (Slot slot : slots) {
            long st = slot.state.get();
            if ((st & 7) == WAITING && slot.state.compareAndSet(st, (st & ~7L) | FAILED)) {
                LockSupport.unpark(slot.waiter);
            }
        }
        for (AtomicLong a : acked.values()) {
            synchronized (a) {
                a.notifyAll();
            }
        }
        signalAckListeners();
        try {
            channel.close();
        } catch (IOException ignored) {
            // Closing is all that is left to do.
        }
    }

    @Override
    public void close() {
        fail(new IOException("link to " + peer + " closed locally"));
        reader.interrupt();
    }
}
