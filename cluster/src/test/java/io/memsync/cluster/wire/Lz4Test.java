package io.memsync.cluster.wire;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Lz4}: a chunk comes back byte for byte from off-heap buffers; a peer's block that is corrupt, or that gives
 * fewer or more bytes than the chunk, is a protocol error, never a short or overrun chunk.
 */
class Lz4Test {
    private static final int CHUNK = 64 * 1024;

    private static ByteBuffer compressible() {
        ByteBuffer b = ByteBuffer.allocateDirect(CHUNK);
        for (int i = 0; i < CHUNK / 8; i++) {
            b.putLong(i * 8, i % 7);
        }
        return b;
    }

    @Test
    void aChunkComesBackWhole() throws Exception {
        ByteBuffer chunk = compressible();
        ByteBuffer block = ByteBuffer.allocateDirect(Lz4.maxCompressedLength(CHUNK));
        int n = Lz4.compress(chunk, CHUNK, block);
        assertTrue(n > 0 && n < CHUNK / 4, n + " bytes");
        ByteBuffer back = ByteBuffer.allocateDirect(CHUNK);
        Lz4.decompress(block, 0, n, back, CHUNK);
        assertEquals(0, back.clear().compareTo(chunk.clear()));
        assertEquals(0, chunk.position(), "positions are left alone");
    }

    @Test
    void corruptOrWronglySizedBlocksAreProtocolErrors() {
        ByteBuffer chunk = compressible();
        ByteBuffer block = ByteBuffer.allocateDirect(Lz4.maxCompressedLength(CHUNK));
        int n = Lz4.compress(chunk, CHUNK, block);
        ByteBuffer back = ByteBuffer.allocateDirect(2 * CHUNK);
        // A block of a chunk taken for a chunk twice as large: it gives too few bytes.
        ProtocolException shorter = assertThrows(ProtocolException.class,
                () -> Lz4.decompress(block, 0, n, back, 2 * CHUNK));
        assertEquals(Protocol.E_MALFORMED, shorter.code());
        // ... or half as large: too many.
        assertThrows(ProtocolException.class, () -> Lz4.decompress(block, 0, n, back, CHUNK / 2));
        // Garbage.
        ByteBuffer garbage = ByteBuffer.allocateDirect(4096);
        for (int i = 0; i < 4096; i++) {
            garbage.put(i, (byte) (i * 131 + 7));
        }
        assertThrows(ProtocolException.class, () -> Lz4.decompress(garbage, 0, 4096, back, CHUNK));
        // A block cut short.
        assertThrows(ProtocolException.class, () -> Lz4.decompress(block, 0, n / 2, back, CHUNK));
    }
}
