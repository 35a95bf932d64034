package io.memsync.region.track;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSet;
import io.memsync.region.linux.LibC;

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
 * <p>
 * Given the descriptor of the shmem behind the mapping, a scan asks the file for its holes (lseek SEEK_DATA /
 * SEEK_HOLE) and counts chunks inside a hole as zeros without reading them: reading a hole would allocate the
 * memory, so a sparse region would otherwise grow to its full size on the first scan.
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
    private final int shmemFd;
    private final long zeroChunkHash;

    /** Starts tracking {@code mapping}: its current contents count as synced. */
    public HashTracker(MemorySegment mapping, ChunkLayout layout) {
        this(mapping, layout, -1);
    }

    /**
     * Starts tracking {@code mapping} of the file {@code shmemFd} (from offset 0; -1 if unknown), skipping the
     * file's holes. The descriptor stays the caller's.
     */
    public HashTracker(MemorySegment mapping, ChunkLayout layout, int shmemFd) {
        super(mapping, layout);
        this.shmemFd = shmemFd;
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
        staging.fill((byte) 0);
        crc.update(stagingBuffer);
        this.zeroChunkHash = crc.getValue();
        hashAll(null);
    }

    @Override
    public TrackerKind kind() {
        return TrackerKind.HASH;
    }

    @Override
    protected void collectWrites(ChunkSet dirty) {
        hashAll(dirty);
    }

    /** Hashes every chunk, records it, and adds to {@code dirty} (when given) the chunks whose hash changed. */
    private void hashAll(ChunkSet dirty) {
        if (shmemFd < 0) {
            hashChunks(0, sent.length, dirty);
            return;
        }
        long size = layout.regionSize();
        long position = 0;
        while (position < size) {
            long data = LibC.lseek(shmemFd, position, LibC.SEEK_DATA);
            long dataStart = data < 0 ? size : Math.min(data, size);
            // Chunks wholly inside the hole [position, dataStart) are zeros.
            int firstWhole = (int) ((position + layout.chunkSize() - 1) >>> layout.chunkShift());
            int endWhole = (int) (dataStart >>> layout.chunkShift());
            for (int i = firstWhole; i < endWhole; i++) {
                record(i, zeroChunkHash, dirty);
            }
            if (dataStart >= size) {
                break;
            }
            long holeStart = Math.min(LibC.lseek(shmemFd, dataStart, LibC.SEEK_HOLE), size);
            int first = (int) (dataStart >>> layout.chunkShift());
            int end = (int) ((holeStart + layout.chunkSize() - 1) >>> layout.chunkShift());
            hashChunks(first, end, dirty);
            position = (long) end << layout.chunkShift();
        }
    }

    private void hashChunks(int from, int to, ChunkSet dirty) {
        for (int i = from; i < to; i++) {
            record(i, hashOfChunk(i), dirty);
        }
    }

    private void record(int index, long hash, ChunkSet dirty) {
        if (dirty == null) {
            sent[index] = hash;
        } else if (hash != sent[index]) {
            sent[index] = hash;
            dirty.add(index);
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
    protected void release() {
        arena.close();
    }
}
