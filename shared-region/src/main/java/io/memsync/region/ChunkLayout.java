package io.memsync.region;

import io.memsync.region.linux.LibC;

/**
 * How a region of {@link #regionSize()} bytes splits into equal chunks of {@link #chunkSize()} bytes: a power of
 * two and a multiple of the page size. Chunks are the unit of tracking, transfer and storage.
 */
public record ChunkLayout(long regionSize, int chunkSize) {
    /** 64 KiB: big enough to amortise a fault or a frame, small enough to keep dirty sets precise. */
    public static final int DEFAULT_CHUNK_SIZE = 64 * 1024;
    /** 1 GiB: a larger chunk would make a single transfer unbounded. */
    public static final int MAX_CHUNK_SIZE = 1 << 30;

    public ChunkLayout {
        long page = LibC.pageSize();
        if (regionSize <= 0) {
            throw new IllegalArgumentException("region size must be positive, was " + regionSize + " bytes");
        }
        if (chunkSize <= 0 || Integer.bitCount(chunkSize) != 1 || chunkSize % page != 0 || chunkSize > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("chunk size must be a power of two, a multiple of the page size ("
                    + page + " bytes) and at most " + MAX_CHUNK_SIZE + " bytes, was " + chunkSize
                    + " bytes; try " + DEFAULT_CHUNK_SIZE);
        }
        if (regionSize % chunkSize != 0) {
            long down = regionSize / chunkSize * chunkSize;
            throw new IllegalArgumentException("region size " + regionSize + " is not a multiple of the chunk size "
                    + chunkSize + "; use " + (down > 0 ? down + " or " : "") + (down + chunkSize) + " bytes");
        }
        if (regionSize / chunkSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("region of " + regionSize + " bytes has more than "
                    + Integer.MAX_VALUE + " chunks of " + chunkSize + " bytes: use a larger chunk size");
        }
    }

    /** A layout with the default chunk size. */
    public static ChunkLayout of(long regionSize) {
        return new ChunkLayout(regionSize, DEFAULT_CHUNK_SIZE);
    }

    public int chunkCount() {
        return (int) (regionSize / chunkSize);
    }

    /** log2 of the chunk size. */
    public int chunkShift() {
        return Integer.numberOfTrailingZeros(chunkSize);
    }

    /** Byte offset of chunk {@code index} in the region. */
    public long offsetOf(int index) {
        return (long) index << chunkShift();
    }

    /** The chunk holding byte {@code offset}. */
    public int chunkOf(long offset) {
        return (int) (offset >>> chunkShift());
    }

    /** Throws a clear error unless {@code index} names a chunk of this layout. */
    public void checkChunk(int index) {
        if (index < 0 || index >= chunkCount()) {
            throw new IndexOutOfBoundsException("chunk " + index + " is outside [0, " + chunkCount() + ")");
        }
    }

    /** Throws a clear error unless [offset, offset + length) lies inside the region. */
    public void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > regionSize - length) {
            throw new IndexOutOfBoundsException("range [" + offset + ", " + offset + " + " + length
                    + ") is outside the region of " + regionSize + " bytes");
        }
    }

    @Override
    public String toString() {
        return regionSize + " bytes in " + chunkCount() + " chunks of " + chunkSize;
    }
}
