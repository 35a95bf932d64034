package io.memsync.cluster.wire;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * {@link ByteBuffer} views of a segment's chunks for socket I/O, made once: a buffer cannot span more than 2 GiB,
 * so the segment is covered by windows of 1 GiB (or one chunk, if larger), and each call positions one of them on
 * a chunk. Nothing is allocated per chunk. Not thread-safe: the windows are shared between calls.
 */
final class ChunkWindows {
    private final ByteBuffer[] windows;
    private final int chunkSize;
    private final int chunksPerWindow;

    /** Windows over {@code memory}, whose size is a multiple of {@code chunkSize}. */
    ChunkWindows(MemorySegment memory, int chunkSize) {
        long span = Math.max(chunkSize, 1L << 30);
        int count = (int) ((memory.byteSize() + span - 1) / span);
        this.windows = new ByteBuffer[count];
        for (int w = 0; w < count; w++) {
            long start = w * span;
            windows[w] = memory.asSlice(start, Math.min(span, memory.byteSize() - start)).asByteBuffer();
        }
        this.chunkSize = chunkSize;
        this.chunksPerWindow = (int) (span / chunkSize);
    }

    /** A buffer over chunk {@code index}, positioned on it and limited to it. */
    ByteBuffer chunk(int index) {
        ByteBuffer w = windows[index / chunksPerWindow];
        int position = (index % chunksPerWindow) * chunkSize;
        w.limit(position + chunkSize).position(position);
        return w;
    }
}
