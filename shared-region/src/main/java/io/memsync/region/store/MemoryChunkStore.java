package io.memsync.region.store;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkStore;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Chunks in off-heap memory of the region's size. Thread-safe for distinct chunks; nothing is allocated per chunk. */
public final class MemoryChunkStore implements ChunkStore {
    private final ChunkLayout layout;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment memory;

    public MemoryChunkStore(ChunkLayout layout) {
        this.layout = layout;
        this.memory = arena.allocate(layout.regionSize(), 4096);
    }

    @Override
    public ChunkLayout layout() {
        return layout;
    }

    /** The store's memory, for inspection. */
    public MemorySegment memory() {
        return memory.asReadOnly();
    }

    @Override
    public void write(int index, MemorySegment source, long offset) {
        layout.checkChunk(index);
        MemorySegment.copy(source, offset, memory, layout.offsetOf(index), layout.chunkSize());
    }

    @Override
    public void read(int index, MemorySegment destination, long offset) {
        layout.checkChunk(index);
        MemorySegment.copy(memory, layout.offsetOf(index), destination, offset, layout.chunkSize());
    }

    @Override
    public void close() {
        arena.close();
    }
}
