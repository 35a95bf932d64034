package io.memsync.region;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A chunk bitmap that any number of threads may add to while one thread drains it. Lock-free and
 * allocation-free: a drain takes each word with an atomic exchange, so no concurrent add is lost.
 */
public final class AtomicChunkSet {
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] words;
    private final int capacity;

    public AtomicChunkSet(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must not be negative, was " + capacity);
        }
        this.capacity = capacity;
        this.words = new long[(capacity + 63) >>> 6];
    }

    public int capacity() {
        return capacity;
    }

    public void add(int index) {
        if (index < 0 || index >= capacity) {
            throw new IndexOutOfBoundsException("chunk " + index + " outside [0, " + capacity + ")");
        }
        long bit = 1L << index;
        int w = index >>> 6;
        if (((long) WORDS.getOpaque(words, w) & bit) == 0) {
            WORDS.getAndBitwiseOr(words, w, bit);
        }
    }

    /** Adds every index in [from, to). */
    public void addRange(int from, int to) {
        if (from < 0 || to > capacity || from > to) {
            throw new IndexOutOfBoundsException("range [" + from + ", " + to + ") outside [0, " + capacity + ")");
        }
        for (int i = from; i < to; ) {
            int w = i >>> 6;
            int end = Math.min(to, (w + 1) << 6);
            long mask = (-1L << i) & (end == (w + 1) << 6 ? -1L : ~(-1L << end));
            WORDS.getAndBitwiseOr(words, w, mask);
            i = end;
        }
    }

    public boolean contains(int index) {
        return ((long) WORDS.getVolatile(words, index >>> 6) & (1L << index)) != 0;
    }

    /** Moves every index into {@code out} (same capacity) and clears it here; returns how many words were taken. */
    public int drainTo(ChunkSet out) {
        if (out.capacity() != capacity) {
            throw new IllegalArgumentException("capacity " + out.capacity() + " differs from " + capacity);
        }
        int taken = 0;
        for (int w = 0; w < words.length; w++) {
            if ((long) WORDS.getOpaque(words, w) != 0) {
                long bits = (long) WORDS.getAndSet(words, w, 0L);
                out.orWord(w, bits);
                taken++;
            }
        }
        return taken;
    }

    public int cardinality() {
        int n = 0;
        for (int w = 0; w < words.length; w++) {
            n += Long.bitCount((long) WORDS.getVolatile(words, w));
        }
        return n;
    }
}
