package io.memsync.region;

import java.io.IOException;

/** A source and sink in one: chunks written can be read back. Closing releases its memory or files. */
public interface ChunkStore extends ChunkSource, ChunkSink, AutoCloseable {

    @Override
    void close() throws IOException;

    /** Throws a clear error unless {@code layout} matches this store's. */
    default void checkLayout(ChunkLayout layout) {
        if (!layout().equals(layout)) {
            throw new IllegalArgumentException("store holds " + layout() + ", not " + layout);
        }
    }
}
