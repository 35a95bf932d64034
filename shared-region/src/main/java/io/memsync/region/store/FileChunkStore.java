package io.memsync.region.store;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkStore;
import io.memsync.region.linux.LibC;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Chunks in one file, the region's raw image: chunk i at byte i * chunkSize, so the file can be inspected, copied
 * or mapped by other tools. Reads and writes are pread/pwrite straight between the file and the caller's memory.
 * Thread-safe; {@link #sync()} is fsync.
 */
public final class FileChunkStore implements ChunkStore {
    private final ChunkLayout layout;
    private final Path path;
    private final int fd;
    private volatile boolean closed;

    private FileChunkStore(ChunkLayout layout, Path path, int fd) {
        this.layout = layout;
        this.path = path;
        this.fd = fd;
    }

    /**
     * Opens the image at {@code path}, creating it (sparse, all zeros) if it does not exist. An existing file must
     * have the region's size exactly: anything else is another region's image, and refused.
     */
    public static FileChunkStore open(Path path, ChunkLayout layout) throws IOException {
        int fd = LibC.open(path.toString(), LibC.O_RDWR | LibC.O_CREAT | LibC.O_CLOEXEC, 0644);
        try {
            long size = LibC.lseek(fd, 0, LibC.SEEK_END);
            if (size == 0) {
                LibC.ftruncate(fd, layout.regionSize());
            } else if (size != layout.regionSize()) {
                throw new IOException(path + " holds " + size + " bytes, but the region has " + layout.regionSize()
                        + ": it is the image of another region; choose another path or delete it");
            }
            return new FileChunkStore(layout, path, fd);
        } catch (IOException | RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public ChunkLayout layout() {
        return layout;
    }

    @Override
    public void write(int index, MemorySegment source, long offset) throws IOException {
        layout.checkChunk(index);
        checkOpen();
        LibC.pwriteFully(fd, source, offset, layout.chunkSize(), layout.offsetOf(index));
    }

    @Override
    public void read(int index, MemorySegment destination, long offset) throws IOException {
        layout.checkChunk(index);
        checkOpen();
        long n = LibC.preadFully(fd, destination, offset, layout.chunkSize(), layout.offsetOf(index));
        if (n < layout.chunkSize()) {
            throw new IOException(path + " ends inside chunk " + index + " (read " + n + " of "
                    + layout.chunkSize() + " bytes): the image was truncated");
        }
    }

    @Override
    public void sync() throws IOException {
        checkOpen();
        LibC.fsync(fd);
    }

    private void checkOpen() throws IOException {
        if (closed) {
            throw new IOException("file store " + path + " is closed");
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd);
        }
    }
}
