package io.memsync.region;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/** Where chunks come from when a region is loaded or paged in: a store, a peer, a test. */
public interface ChunkSource {

    /** The layout of the region this source holds chunks of. */
    ChunkLayout layout();

    /**
     * Reads chunk {@code index} into {@code destination[offset, offset + layout().chunkSize())}. A chunk the source
     * never received reads as zeros, as a new region does.
     */
    void read(int index, MemorySegment destination, long offset) throws IOException;

    /**
     * Opens a stream of this source's chunks to {@code receiver}, or returns null when this source cannot stream
     * (the default): the caller then reads chunk by chunk.
     */
    default ChunkStream openStream(ChunkStream.Receiver receiver) throws IOException {
        return null;
    }
}
