package io.memsync.region.track;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSet;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Finds written chunks by their effect: a CRC32C of each chunk compared with the one of the bytes last sent.
 * Works on any memory (no kernel help), at the price of reading the whole region per scan. Its payload is a
 * private copy: {@link #preparePayload} copies the chunk aside and records the copy's CRC, so an application
 * write during a send (even one undone before the next scan) is never mistaken for the synced state.
 * <p>
 * CRC32C detects every change of up to 32 bits within a chunk; a larger change goes unseen with probability
 * 2^-32. Choose {@code wp} or {@code explicit} where that matters.
 */
public final class HashTracker extends AbstractTracker {
    /** CRC32C reads the region through direct buffers; one buffer spans at most this many bytes. */
    private static final long WINDOW = 1L << 30;

    private final Arena arena = Arena.ofShared();
    private final long[] sent;
    private final ByteBuffer[] windows;
    private final int chunksPerWindow;
    private final MemorySegment staging;
    private final ByteBuffer stagingBuffer;
    private final CRC32C crc = new CRC32C();

    /** Starts tracking {@code mapping}: its current contents count as synced. */
    public HashTracker(MemorySegment mapping, ChunkLayout layout) {
        super(mapping, layout);
        int chunkSize = layout.chunkSize();
        long windowBytes = Math.max(chunkSize, WINDOW);
        this.chunksPerWindow = (int) (windowBytes / chunkSize);
        int windowCount = (int) ((layout.regionSize() + windowBytes - 1) / windowBytes);
        this.windows = new ByteBuffer[windowCount];
        for (int w = 0; w < windowCount; w++) {
            long offset = w * windowBytes;
            windows[w] = mapping.asSlice(offset, Math.min(windowBytes, layout.regionSize() - offset)).asByteBuffer();
        }
        this.staging = arena.allocate(chunkSize, 4096);
        this.stagingBuffer = staging.asByteBuffer();
        this.sent = new long[layout.chunkCount()];
        for (int i = 0; i < sent.length; i++) {
            sent[i] = hashOfChunk(i);
        }
    }

    @Override
    public TrackerKind kind() {
        return TrackerKind.HASH;
    }

    @Override
    protected void collectWrites(ChunkSet dirty) {
        for (int i = 0; i < sent.length; i++) {
            long h = hashOfChunk(i);
            if (h != sent[i]) {
                sent[i] = h;
                dirty.add(i);
            }
        }
    }

    @Override
    public MemorySegment payload() {
        return staging;
    }

    @Override
    public synchronized long preparePayload(int index) {
        checkOpen();
        layout.checkChunk(index);
        MemorySegment.copy(mapping, layout.offsetOf(index), staging, 0, layout.chunkSize());
        stagingBuffer.clear();
        crc.reset();
        crc.update(stagingBuffer);
        sent[index] = crc.getValue();
        return 0;
    }

    private long hashOfChunk(int index) {
        ByteBuffer window = windows[index / chunksPerWindow];
        int position = (index % chunksPerWindow) * layout.chunkSize();
        window.limit(position + layout.chunkSize()).position(position);
        crc.reset();
        crc.update(window);
        return crc.getValue();
    }

    @Override
    public synchronized void close() {
        if (isClosed()) {
            return;
        }
        super.close();
        arena.close();
    }
}
