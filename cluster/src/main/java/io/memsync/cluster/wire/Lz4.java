package io.memsync.cluster.wire;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import java.nio.ByteBuffer;

/**
 * LZ4 block compression of streamed chunks (lz4-java: its JNI build where it loads, which works on direct buffers in
 * place, else its Java one). Stateless and thread-safe; nothing allocated per call.
 */
final class Lz4 {
    private static final System.Logger LOG = System.getLogger(Lz4.class.getName());
    private static final LZ4Factory FACTORY = factory();
    private static final LZ4Compressor COMPRESSOR = FACTORY.fastCompressor();
    private static final LZ4SafeDecompressor DECOMPRESSOR = FACTORY.safeDecompressor();

    private Lz4() {
    }

    private static LZ4Factory factory() {
        LZ4Factory f = LZ4Factory.fastestInstance();
        LOG.log(System.Logger.Level.DEBUG, "LZ4: " + f);
        return f;
    }

    /** The most bytes {@code n} bytes can compress to. */
    static int maxCompressedLength(int n) {
        return COMPRESSOR.maxCompressedLength(n);
    }

    /**
     * Compresses {@code src[0, n)} into {@code dst} from 0; the compressed length, or -1 if it would not fit in
     * {@code dst}'s capacity.
     */
    static int compress(ByteBuffer src, int n, ByteBuffer dst) {
        try {
            return COMPRESSOR.compress(src, 0, n, dst, 0, dst.capacity());
        } catch (LZ4Exception tooBig) {
            return -1;
        }
    }

    /**
     * Decompresses {@code src[at, at + n)} into {@code dst[0, expected)}; throws if the block is malformed or does
     * not give exactly {@code expected} bytes (a peer's bytes are checked, never trusted).
     */
    static void decompress(ByteBuffer src, int at, int n, ByteBuffer dst, int expected) throws ProtocolException {
        int got;
        try {
            got = DECOMPRESSOR.decompress(src, at, n, dst, 0, expected);
        } catch (LZ4Exception | IndexOutOfBoundsException e) {
            throw new ProtocolException(Protocol.E_MALFORMED, "an LZ4 chunk of " + n + " bytes does not decompress: "
                    + e.getMessage());
        }
        if (got != expected) {
            throw new ProtocolException(Protocol.E_MALFORMED, "an LZ4 chunk of " + n + " bytes gave " + got
                    + " bytes, not the chunk's " + expected);
        }
    }
}
