package io.memsync.cluster.wire;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import tlschannel.TlsChannel;

/**
 * Blocking frame I/O on one socket, plain or through TLS: full reads and gathering writes through direct buffers (so
 * NIO copies nothing through the heap), header parsing with the version and size checks every frame gets. One
 * thread reads while one other (at a time: callers lock) writes; they use separate buffers.
 */
final class FramedChannel implements AutoCloseable {
    static final int AHEAD_BYTES = 512 * 1024;
    /** What an unauthenticated peer gets: enough for the handshake's frames, not for a flood to exhaust memory. */
    static final int HANDSHAKE_AHEAD_BYTES = 1024;
    final SocketChannel socket;
    /** The TLS session over {@link #socket}, or null for plain TCP. */
    private final TlsChannel tls;
    private final ReadableByteChannel reader;
    private final GatheringByteChannel writer;
    /** Received bytes not consumed yet, in read mode: a few large reads instead of one per field. */
    private ByteBuffer ahead;
    /** The whole of {@link #ahead}'s memory, whatever its position and limit. */
    private MemorySegment aheadMemory;
    /** Fields of the frame being read (reader thread) and of the frame being written (writer): never shared. */
    private final ByteBuffer in = ByteBuffer.allocateDirect(128);
    private final ByteBuffer out = ByteBuffer.allocateDirect(128);
    private final ByteBuffer[] gather = new ByteBuffer[2];
    private int type;
    private int bodyBytes;

    /** Plain TCP with a full receive buffer. */
    FramedChannel(SocketChannel socket) throws IOException {
        this(socket, null, AHEAD_BYTES);
    }

    /**
     * Frames over {@code tls} (or the plain {@code socket} when null), with a receive buffer of {@code aheadBytes}
     * until {@link #growAhead}.
     */
    FramedChannel(SocketChannel socket, TlsChannel tls, int aheadBytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(aheadBytes);
        // The segment covers the whole buffer: made before the flip, which leaves nothing between position and limit.
        this.aheadMemory = MemorySegment.ofBuffer(buffer);
        this.ahead = buffer.flip();
        this.socket = socket;
        this.tls = tls;
        this.reader = tls != null ? tls : socket;
        this.writer = tls != null ? tls : socket;
        socket.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
    }

    /**
     * Gives the receive buffer its full size (the peer authenticated), keeping what it holds: {@code bigger}, a
     * direct buffer of {@link #AHEAD_BYTES} from a pool, which the reader returns with {@link #aheadBuffer()} once it
     * stopped reading.
     */
    void growAhead(ByteBuffer bigger) {
        if (ahead.capacity() >= AHEAD_BYTES || bigger.capacity() < AHEAD_BYTES) {
            return;
        }
        bigger.clear();
        aheadMemory = MemorySegment.ofBuffer(bigger);
        ahead = bigger.put(ahead).flip();
    }

    /** Puts bytes read before this channel existed back in front of what comes next (before any read). */
    void unread(ByteBuffer bytes) {
        ahead.clear();
        ahead.put(bytes).flip();
    }

    /** The TLS session's channel, or null for plain TCP. */
    TlsChannel tls() {
        return tls;
    }

    /** The receive buffer, for the pool it came from (only once nothing reads from this channel any more). */
    ByteBuffer aheadBuffer() {
        return ahead;
    }

    /**
     * Reads the next header and checks it: {@link Protocol#VERSION} and a body of at most {@code maxBody} bytes.
     * Returns the frame type; {@link #bodyBytes()} then tells how much follows.
     */
    int readHeader(int maxBody) throws IOException {
        fill(Protocol.HEADER_BYTES);
        long length = ahead.getInt() & 0xffffffffL;
        byte version = ahead.get();
        type = ahead.get();
        ahead.getShort();
        if (version != Protocol.VERSION) {
            throw new ProtocolException(Protocol.E_VERSION, "peer speaks protocol version " + version
                    + ", this node speaks " + Protocol.VERSION);
        }
        long body = length - Protocol.LENGTH_BASE;
        if (body < 0 || body > maxBody) {
            throw new ProtocolException(body < 0 ? Protocol.E_MALFORMED : Protocol.E_TOO_BIG,
                    Protocol.typeName(type) + " frame of " + length + " bytes is outside [" + Protocol.LENGTH_BASE
                            + ", " + (maxBody + Protocol.LENGTH_BASE) + "]");
        }
        bodyBytes = (int) body;
        return type;
    }

    /** Makes at least {@code n} (at most the buffer's capacity) received bytes available in {@link #ahead}. */
    private void fill(int n) throws IOException {
        if (ahead.remaining() >= n) {
            return;
        }
        ahead.compact();
        try {
            while (ahead.position() < n) {
                if (reader.read(ahead) < 0) {
                    throw new EOFException("the peer closed the connection");
                }
            }
        } finally {
            ahead.flip();
        }
    }

    /** Waits until {@code n} bytes (at most half the receive buffer) are buffered. */
    void fillFor(int n) throws IOException {
        fill(n);
    }

    /**
     * Moves the next {@code n} received bytes (already buffered by {@link #fillFor}) into {@code dst} at {@code index},
     * without touching {@code dst}'s position: an allocation-free copy for chunk payloads.
     */
    void take(ByteBuffer dst, int index, int n) {
        dst.put(index, ahead, ahead.position(), n);
        ahead.position(ahead.position() + n);
    }

    /**
     * The receive buffer's memory, for reading in place the bytes {@link #fillFor} buffered: they start at
     * {@link #aheadPosition()}, and {@link #consume} moves past them.
     */
    MemorySegment aheadMemory() {
        return aheadMemory;
    }

    long aheadPosition() {
        return ahead.position();
    }

    /** Moves past {@code n} buffered bytes read in place. */
    void consume(int n) {
        ahead.position(ahead.position() + n);
    }

    int bodyBytes() {
        return bodyBytes;
    }

    /** Reads {@code n} bytes of fixed fields, flipped for reading. */
    ByteBuffer readFields(int n) throws IOException {
        fill(n);
        in.clear();
        in.put(0, ahead, ahead.position(), n).limit(n);
        ahead.position(ahead.position() + n);
        return in;
    }

    /** Fills {@code b}: from what is buffered first, then (for big reads) straight from the socket. */
    void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            int have = Math.min(ahead.remaining(), b.remaining());
            if (have > 0) {
                b.put(b.position(), ahead, ahead.position(), have);
                b.position(b.position() + have);
                ahead.position(ahead.position() + have);
            } else if (b.remaining() >= ahead.capacity() / 2) {
                if (reader.read(b) < 0) {
                    throw new EOFException("the peer closed the connection");
                }
            } else {
                fill(1);
            }
        }
    }

    /**
     * Reads the next {@code n} received bytes into {@code dst[offset, offset + n)} through the receive buffer:
     * off-heap to off-heap, nothing allocated.
     */
    void readInto(MemorySegment dst, long offset, int n) throws IOException {
        int left = n;
        long at = offset;
        while (left > 0) {
            fill(1);
            int step = Math.min(left, ahead.remaining());
            MemorySegment.copy(aheadMemory, ahead.position(), dst, at, step);
            ahead.position(ahead.position() + step);
            at += step;
            left -= step;
        }
    }

    /** Reads and discards {@code n} bytes. */
    void skip(int n) throws IOException {
        int left = n;
        while (left > 0) {
            fill(1);
            int step = Math.min(left, ahead.remaining());
            ahead.position(ahead.position() + step);
            left -= step;
        }
    }

    /**
     * Writes the frame begun with {@link #begin} (flipped) and {@code payload} (may be null) in one gathering
     * write.
     */
    void writeFrame(ByteBuffer payload) throws IOException {
        gather[0] = out;
        gather[1] = payload;
        int count = payload == null ? 1 : 2;
        while (out.hasRemaining() || (payload != null && payload.hasRemaining())) {
            writer.write(gather, 0, count);
        }
        gather[1] = null;
    }

    /** Writes all of {@code b}, a whole frame the caller made. */
    void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            writer.write(b);
        }
    }

    /** Starts a frame: the header for {@code type} with {@code bodyBytes} after it; the caller adds fields. */
    ByteBuffer begin(byte type, int bodyBytes) {
        out.clear();
        Protocol.header(out, type, bodyBytes);
        return out;
    }

    /** Sends an ERROR frame; best effort (the connection is closed right after). */
    void sendError(int code, String message) {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(text.length, out.capacity() - Protocol.HEADER_BYTES - 4);
        try {
            begin(Protocol.ERROR, 4 + n).putShort((short) code).putShort((short) n).put(text, 0, n).flip();
            writeFrame(null);
        } catch (IOException ignored) {
            // The peer is gone already.
        }
    }

    /** Reads an ERROR frame's body (after its header) into an exception. */
    ProtocolException readError() throws IOException {
        if (bodyBytes < 4 || bodyBytes > 4 + Protocol.MAX_MESSAGE_BYTES) {
            return new ProtocolException(Protocol.E_MALFORMED, "ERROR frame of " + bodyBytes + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(bodyBytes);
        readFully(b);
        b.flip();
        int code = b.getShort() & 0xffff;
        int n = Math.min(b.getShort() & 0xffff, b.remaining());
        byte[] text = new byte[n];
        b.get(text);
        return new ProtocolException(code, "peer refused: " + new String(text, StandardCharsets.UTF_8));
    }

    @Override
    public void close() throws IOException {
        // The socket first: that ends a read or write blocked in another thread, which a TLS close would wait for
        // (it frees its buffers only once no one uses them); it then finds the socket closed and sends nothing more.
        socket.close();
        if (tls != null) {
            tls.close();
        }
    }
}
