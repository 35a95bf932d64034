package io.memsync.region.track;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSet;

import java.lang.foreign.MemorySegment;

/**
 * Finds the chunks of one mapping that were written since the previous {@link #collect}. The guarantee: a write
 * that completes before {@code collect} returns is reported by that call or by the next one; none is lost.
 * <p>
 * {@code collect} and {@code preparePayload} are for one thread (the syncer's); {@link #mark} is for any thread.
 */
public interface DirtyTracker extends AutoCloseable {

    TrackerKind kind();

    /** The method as operators read it: the kind's name, and for {@code auto} the method it uses now. */
    default String describe() {
        return kind().configName();
    }

    ChunkLayout layout();

    /** Adds to {@code dirty} every chunk written (or marked) since the previous call, and re-arms tracking. */
    void collect(ChunkSet dirty);

    /**
     * Reports [offset, offset + length) as written. The only source for {@code explicit}; for the others, a way
     * to force chunks out (writes made through another mapping of the same memory are not seen by {@code wp}).
     * Mark after writing: a mark made before the write may be collected before the write lands.
     */
    void mark(long offset, long length);

    /**
     * The memory a sink reads chunks from: the mapping itself, or (for trackers that compare contents) a private
     * buffer holding a stable copy of the chunk last passed to {@link #preparePayload}.
     */
    MemorySegment payload();

    /**
     * Readies chunk {@code index} for sending and returns its offset in {@link #payload()}. A content tracker
     * copies the chunk aside and remembers the copy's hash, so what it compares against next time is exactly
     * what was sent, even if the application wrote during the send.
     */
    long preparePayload(int index);

    /** False once the tracker or the memory it tracks is closed. */
    boolean isOpen();

    /** Scans done so far. */
    long scans();

    /** Duration of the last {@link #collect} in nanoseconds. */
    long lastScanNanos();

    @Override
    void close();
}
