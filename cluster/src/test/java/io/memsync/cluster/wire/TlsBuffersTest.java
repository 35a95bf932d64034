package io.memsync.cluster.wire;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TlsBuffersTest {
    @Test
    void aFreedBufferIsHandedOutAgainClearedAndAtMostTheLimitIsKept() {
        TlsBuffers pool = new TlsBuffers(2);
        ByteBuffer a = pool.allocate(4096);
        assertTrue(a.isDirect());
        assertEquals(TlsBuffers.BYTES, a.capacity(), "one size for every request up to a TLS record");
        a.put(new byte[100]).flip();
        pool.free(a);
        ByteBuffer again = pool.allocate(17_408);
        assertSame(a, again);
        assertEquals(0, again.position());
        assertEquals(TlsBuffers.BYTES, again.limit());
        ByteBuffer b = pool.allocate(1);
        ByteBuffer c = pool.allocate(1);
        pool.free(again);
        pool.free(b);
        pool.free(c);
        assertEquals(2, pool.idle(), "the third went to the garbage collector");
        pool.free(ByteBuffer.allocate(TlsBuffers.BYTES));
        pool.free(ByteBuffer.allocateDirect(100));
        assertEquals(2, pool.idle(), "heap buffers and other sizes are not kept");
        assertEquals(1 << 20, pool.allocate(1 << 20).capacity(), "a larger request gets its own buffer");
    }
}
