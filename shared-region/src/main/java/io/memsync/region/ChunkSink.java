package io.memsync.region;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Where pushed chunks go: a store, a replica over the network, a test. The chunk's bytes are passed as a range of
 * a segment (usually the region's own mapping), valid only during the call, so nothing is copied on the way.
 */
public interface ChunkSink {

    /** The layout of the region this sink takes chunks of. */
    ChunkLayout layout();

    /** Stores chunk {@code index}, whose bytes are {@code source[offset, offset + layout().chunkSize())}. */
    void write(int index, MemorySegment source, long offset) throws IOException;

    /** Returns once every chunk written before the call is durable (or acknowledged). */
    default void sync() throws IOException {
    }
}
