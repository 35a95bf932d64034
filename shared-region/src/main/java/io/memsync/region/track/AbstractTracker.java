package io.memsync.region.track;

import io.memsync.region.AtomicChunkSet;
import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSet;

import java.lang.foreign.MemorySegment;

/** What every tracker shares: the layout, the mapping, marks from any thread, and scan counters. */
abstract class AbstractTracker implements DirtyTracker {
    protected final MemorySegment mapping;
    protected final ChunkLayout layout;
    private final AtomicChunkSet marks;
    private volatile long scans;
    private volatile long lastScanNanos;
    private volatile boolean closed;

    AbstractTracker(MemorySegment mapping, ChunkLayout layout) {
        if (mapping.byteSize() != layout.regionSize()) {
            throw new IllegalArgumentException("mapping of " + mapping.byteSize() + " bytes does not match "
                    + layout);
        }
        this.mapping = mapping;
        this.layout = layout;
        this.marks = new AtomicChunkSet(layout.chunkCount());
    }

    @Override
    public final ChunkLayout layout() {
        return layout;
    }

    @Override
    public final void mark(long offset, long length) {
        layout.checkRange(offset, length);
        if (length > 0) {
            marks.addRange(layout.chunkOf(offset), layout.chunkOf(offset + length - 1) + 1);
        }
    }

    // Synchronized with close(): a scan hands the kernel addresses of buffers that close() frees.
    @Override
    public final synchronized void collect(ChunkSet dirty) {
        checkOpen();
        if (dirty.capacity() != layout.chunkCount()) {
            throw new IllegalArgumentException("dirty set holds " + dirty.capacity() + " chunks, the region has "
                    + layout.chunkCount());
        }
        long start = System.nanoTime();
        marks.drainTo(dirty);
        collectWrites(dirty);
        lastScanNanos = System.nanoTime() - start;
        scans++;
    }

    /** Adds the chunks written since the last call, found by this tracker's own means. */
    protected abstract void collectWrites(ChunkSet dirty);

    @Override
    public MemorySegment payload() {
        return mapping;
    }

    @Override
    public long preparePayload(int index) {
        layout.checkChunk(index);
        return layout.offsetOf(index);
    }

    @Override
    public final long scans() {
        return scans;
    }

    @Override
    public final long lastScanNanos() {
        return lastScanNanos;
    }

    protected final void checkOpen() {
        if (closed) {
            throw new IllegalStateException(kind().configName() + " tracker is closed");
        }
        if (!mapping.scope().isAlive()) {
            throw new IllegalStateException("the tracked mapping is closed");
        }
    }

    /** Closes the tracker once: later calls do nothing. Subclasses free what they hold in {@link #release()}. */
    @Override
    public final synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        release();
    }

    /** Frees what the tracker holds (buffers, descriptors, locks); runs once, on the first close, under its lock. */
    protected void release() {
    }

    @Override
    public final boolean isOpen() {
        return !closed && mapping.scope().isAlive();
    }
}
