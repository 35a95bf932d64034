package io.memsync.cluster.wire;

import tlschannel.BufferAllocator;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * The TLS engines' buffers: direct (a socket reads and writes them without a copy), all of one size that holds any
 * TLS record, and reused, so that connections coming and going (a reconnect storm, a flood of handshakes) cost no
 * new direct memory each time. At most {@code retained} idle buffers are kept; beyond, a freed buffer is left to the
 * garbage collector. Not freed through {@code sun.misc.Unsafe}, as tls-channel's own direct allocator does, which
 * makes JDK 25 print a warning into the application's output.
 */
final class TlsBuffers implements BufferAllocator {
    /** Above tls-channel's largest buffer (17 408 bytes: a TLS record and its overhead). */
    static final int BYTES = 32 * 1024;
    /** The JVM's pool: three buffers a connection, for 64 connections. */
    static final TlsBuffers SHARED = new TlsBuffers(3 * 64);

    private final ArrayBlockingQueue<ByteBuffer> idle;

    TlsBuffers(int retained) {
        this.idle = new ArrayBlockingQueue<>(retained);
    }

    @Override
    public ByteBuffer allocate(int size) {
        if (size > BYTES) {
            return ByteBuffer.allocateDirect(size);
        }
        ByteBuffer b = idle.poll();
        return b != null ? b.clear() : ByteBuffer.allocateDirect(BYTES);
    }

    @Override
    public void free(ByteBuffer buffer) {
        // tls-channel frees a buffer once no read or write uses it (at the channel's close, under both its locks).
        if (buffer.isDirect() && buffer.capacity() == BYTES) {
            idle.offer(buffer.clear());
        }
    }

    /** Idle buffers held now. */
    int idle() {
        return idle.size();
    }
}
