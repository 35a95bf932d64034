package io.memsync.cluster.wire;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CompressionPolicy}: compression turns on when the link drains slower than the compressor saves
 * ({@code L < C·(1 - r)}), stays off on a fast link or for data that does not compress, keeps probing while off, and
 * follows the data when it changes.
 */
class CompressionPolicyTest {
    private static final int CHUNK = 64 * 1024;

    /**
     * Feeds {@code chunks} chunks: each compressed (when the policy asks) to {@code ratio} of its size at
     * {@code compressBytesPerSecond}, and written at {@code linkBytesPerSecond}. Returns how many were compressed.
     */
    private static int feed(CompressionPolicy p, int chunks, double ratio, double compressBytesPerSecond,
                            double linkBytesPerSecond) {
        int compressed = 0;
        for (int i = 0; i < chunks; i++) {
            int sent = CHUNK;
            if (p.shouldCompress()) {
                compressed++;
                int out = (int) (CHUNK * ratio);
                p.compressed(CHUNK, out, (long) (CHUNK / compressBytesPerSecond * 1e9));
                if (CompressionPolicy.smallEnough(CHUNK, out)) {
                    sent = out;
                }
            }
            p.wrote(sent, (long) (sent / linkBytesPerSecond * 1e9));
        }
        return compressed;
    }

    @Test
    void aSlowLinkAndCompressibleDataTurnItOn() {
        CompressionPolicy p = new CompressionPolicy();
        // 100 MB/s link, a 1 GB/s compressor, 30 %: 0.1 GB/s < 1 GB/s x 0.7.
        feed(p, 64, 0.3, 1e9, 100e6);
        assertTrue(p.isOn());
        assertEquals(100, feed(p, 100, 0.3, 1e9, 100e6), "every chunk compressed while on");
    }

    @Test
    void aFastLinkKeepsItOffButProbing() {
        CompressionPolicy p = new CompressionPolicy();
        // 5 GB/s link, a 1 GB/s compressor: compressing would slow the stream down.
        int compressed = feed(p, 160, 0.3, 1e9, 5e9);
        assertFalse(p.isOn());
        int probes = 160 / CompressionPolicy.PROBE_EVERY;
        assertTrue(compressed >= probes && compressed <= probes + 2, "one probe in " + CompressionPolicy.PROBE_EVERY
                + ": " + compressed);
    }

    @Test
    void dataThatDoesNotCompressKeepsItOffOnASlowLink() {
        CompressionPolicy p = new CompressionPolicy();
        // Random bytes: LZ4 saves nothing (its blocks are a little larger, counted as no saving).
        feed(p, 160, 1.004, 1e9, 1e6);
        assertFalse(p.isOn());
        // 95 % saves less than a sixteenth: never sent compressed, so not worth compressing either.
        feed(p, 400, 0.95, 1e9, 1e6);
        assertFalse(p.isOn());
    }

    @Test
    void itFollowsTheData() {
        CompressionPolicy p = new CompressionPolicy();
        feed(p, 200, 1.0, 1e9, 50e6);
        assertFalse(p.isOn());
        // The data becomes compressible: the probes see it, and the averages catch up within a few windows.
        feed(p, 4 * CompressionPolicy.WINDOW, 0.25, 1e9, 50e6);
        assertTrue(p.isOn());
        // And random again: off once the averages forget the compressible chunks.
        feed(p, 8 * CompressionPolicy.WINDOW, 1.0, 1e9, 50e6);
        assertFalse(p.isOn());
    }

    @Test
    void nothingMeasuredNothingDecided() {
        CompressionPolicy p = new CompressionPolicy();
        assertFalse(p.pays());
        assertTrue(p.shouldCompress(), "the first chunk is a probe: there is nothing to decide on without one");
    }
}
