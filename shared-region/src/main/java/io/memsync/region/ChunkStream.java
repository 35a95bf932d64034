package io.memsync.region;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Chunks a source sends unasked, back to back, in an order the receiver sets and may change at any time: a pull
 * that costs one round trip in all instead of one per chunk. Opened with {@link ChunkSource#openStream}.
 */
public interface ChunkStream extends AutoCloseable {

    /** Where a stream delivers: called on the stream's own thread, one chunk at a time, in the order they come. */
    interface Receiver {
        /**
         * Chunk {@code index} comes next: true if the receiver still wants it ({@link #arrived} follows, or
         * {@link #failed}), false to drop it (it is no longer needed).
         */
        boolean wants(int index);

        /**
         * Chunk {@code index}'s bytes are at {@code memory[offset, offset + chunkSize)}, the stream's own receive
         * buffer, until this returns (no copy was made); {@code memory} is null for a chunk of zeros, sent without
         * its bytes.
         */
        void arrived(int index, MemorySegment memory, long offset);

        /**
         * The source sent all it could of the last {@link #want}: {@code sent} chunks; {@code whole} is false when it
         * stopped short because it does not hold the region for sure (ask elsewhere).
         */
        void drained(int sent, boolean whole);

        /** The stream broke: no call follows. Chunks it did not deliver must be fetched another way. */
        void failed(IOException cause);
    }

    /**
     * Asks for the chunks in {@code pairs} ranges {@code [ranges[2i], ranges[2i + 1])}, in that order, replacing what
     * the last want still had to send. At most {@link #maxRanges()} ranges.
     */
    void want(int[] ranges, int pairs) throws IOException;

    /** The most ranges one {@link #want} carries. */
    int maxRanges();

    /** Ends the stream; the receiver gets no call after this returns but, at most, one in progress. */
    @Override
    void close();
}
