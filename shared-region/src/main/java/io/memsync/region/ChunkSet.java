package io.memsync.region;

import java.util.Arrays;

/**
 * A set of chunk indexes as a fixed-size bitmap, for one thread. Iterate with
 * {@code for (int i = set.next(0); i >= 0; i = set.next(i + 1))}: nothing is allocated after construction.
 */
public final class ChunkSet {
    private final long[] words;
    private final int capacity;

    public ChunkSet(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must not be negative, was " + capacity);
        }
        this.capacity = capacity;
        this.words = new long[(capacity + 63) >>> 6];
    }

    /** The number of chunks this set can hold: indexes run from 0 to {@code capacity() - 1}. */
    public int capacity() {
        return capacity;
    }

    public void add(int index) {
        check(index);
        words[index >>> 6] |= 1L << index;
    }

    public void remove(int index) {
        check(index);
        words[index >>> 6] &= ~(1L << index);
    }

    public boolean contains(int index) {
        check(index);
        return (words[index >>> 6] & (1L << index)) != 0;
    }

    /** Adds every index in [from, to). */
    public void addRange(int from, int to) {
        if (from < 0 || to > capacity || from > to) {
            throw new IndexOutOfBoundsException("range [" + from + ", " + to + ") outside [0, " + capacity + ")");
        }
        if (from == to) {
            return;
        }
        int first = from >>> 6;
        int last = (to - 1) >>> 6;
        long firstMask = -1L << from;
        long lastMask = -1L >>> -to;
        if (first == last) {
            words[first] |= firstMask & lastMask;
            return;
        }
        words[first] |= firstMask;
        for (int w = first + 1; w < last; w++) {
            words[w] = -1L;
        }
        words[last] |= lastMask;
    }

    /** The smallest index at or after {@code from} in the set, or -1. */
    public int next(int from) {
        if (from >= capacity) {
            return -1;
        }
        int w = from >>> 6;
        long word = words[w] & (-1L << from);
        while (true) {
            if (word != 0) {
                int index = (w << 6) + Long.numberOfTrailingZeros(word);
                return index < capacity ? index : -1;
            }
            if (++w >= words.length) {
                return -1;
            }
            word = words[w];
        }
    }

    /** The number of indexes in the set. */
    public int cardinality() {
        int n = 0;
        for (long word : words) {
            n += Long.bitCount(word);
        }
        return n;
    }

    public boolean isEmpty() {
        for (long word : words) {
            if (word != 0) {
                return false;
            }
        }
        return true;
    }

    public void clear() {
        Arrays.fill(words, 0);
    }

    /** Adds every index of {@code other}, which must have the same capacity. */
    public void addAll(ChunkSet other) {
        if (other.capacity != capacity) {
            throw new IllegalArgumentException("capacity " + other.capacity + " differs from " + capacity);
        }
        for (int w = 0; w < words.length; w++) {
            words[w] |= other.words[w];
        }
    }

    /** ORs {@code bits} into word {@code w}; for {@link AtomicChunkSet#drainTo}. */
    void orWord(int w, long bits) {
        words[w] |= bits;
    }

    int wordCount() {
        return words.length;
    }

    private void check(int index) {
        if (index < 0 || index >= capacity) {
            throw new IndexOutOfBoundsException("chunk " + index + " outside [0, " + capacity + ")");
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ChunkSet[");
        int shown = 0;
        for (int i = next(0); i >= 0 && shown < 32; i = next(i + 1), shown++) {
            sb.append(shown == 0 ? "" : ",").append(i);
        }
        if (cardinality() > shown) {
            sb.append(",... ").append(cardinality()).append(" in all");
        }
        return sb.append(']').toString();
    }
}
