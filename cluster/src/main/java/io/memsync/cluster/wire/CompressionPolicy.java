package io.memsync.cluster.wire;

/**
 * Whether compressing the next chunk pays on this link, measured rather than assumed: compressing a chunk of
 * {@code S} bytes costs {@code S/C} (C, the compressor's speed here) and sends {@code r·S} bytes instead of {@code S}
 * (r, the ratio the data gives), so with the link draining {@code L} bytes a second it pays when
 * {@code S/C + r·S/L < S/L}, that is when {@code L < C·(1 - r)}. C and r come from the chunks compressed so far, L
 * from the time writes to the link take per byte (a link that takes bytes as fast as they come, its socket buffer
 * never full, shows a high L and compression stays off). While it does not pay, one chunk in {@link #PROBE_EVERY}
 * is compressed anyway, so that data that became compressible, or a link that became slow, turns it back on.
 * <p>
 * One rule, one sender's thread; averages decay by half every {@link #WINDOW} chunks so that the decision follows
 * the data and the link. Allocation-free.
 */
final class CompressionPolicy {
    /** While compression is off, compress this one chunk in so many to keep measuring the data. */
    static final int PROBE_EVERY = 16;
    /** Chunks after which the averages halve. */
    static final int WINDOW = 64;
    /** A chunk is sent compressed only if that saves at least this share of its bytes (1/16). */
    static final int MIN_SAVING_SHIFT = 4;

    private double compressNanos;
    private double compressInput;
    private double compressOutput;
    private double writeNanos;
    private double writeBytes;
    private int chunks;
    private int sinceProbe;
    private boolean on;

    /** Whether to compress the next chunk (a probe included). */
    boolean shouldCompress() {
        if (on) {
            return true;
        }
        if (++sinceProbe >= PROBE_EVERY || compressInput == 0) {
            sinceProbe = 0;
            return true;
        }
        return false;
    }

    /** A chunk of {@code input} bytes compressed to {@code output} bytes in {@code nanos}. */
    void compressed(int input, int output, long nanos) {
        compressInput += input;
        compressOutput += Math.min(output, input);
        compressNanos += Math.max(nanos, 1);
    }

    /** {@code bytes} written to the link in {@code nanos} (a whole frame: header and payload). */
    void wrote(int bytes, long nanos) {
        writeBytes += bytes;
        writeNanos += Math.max(nanos, 1);
        if (++chunks % WINDOW == 0) {
            compressNanos /= 2;
            compressInput /= 2;
            compressOutput /= 2;
            writeNanos /= 2;
            writeBytes /= 2;
        }
        on = pays();
    }

    /** Whether the compressed chunk of {@code output} bytes is worth sending instead of {@code input} bytes. */
    static boolean smallEnough(int input, int output) {
        return output >= 0 && output <= input - (input >> MIN_SAVING_SHIFT);
    }

    /**
     * {@code L < C·(1 - r)}, from the averages; false until both have been measured, and while blocks save less than
     * {@link #smallEnough} asks (they would be compressed only to be sent plain).
     */
    boolean pays() {
        if (compressInput == 0 || writeBytes == 0) {
            return false;
        }
        double ratio = compressOutput / compressInput;
        if (ratio > 1 - 1.0 / (1 << MIN_SAVING_SHIFT)) {
            return false;
        }
        double compressPerNano = compressInput / compressNanos;
        double linkPerNano = writeBytes / writeNanos;
        return linkPerNano < compressPerNano * (1 - ratio);
    }

    /** Whether compression is on (not counting probes). */
    boolean isOn() {
        return on;
    }
}
