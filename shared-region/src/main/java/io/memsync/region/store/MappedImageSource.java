package io.memsync.region.store;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSource;
import io.memsync.region.linux.LibC;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Chunks read from a region image mapped read-only: the memory store of a process that did not create the memory,
 * such as a pager serving a region from an image under /dev/shm. A read is one memcpy. Thread-safe.
 */
public final class MappedImageSource implements ChunkSource, AutoCloseable {
    private final ChunkLayout layout;
    private final Path path;
    private final Arena arena;
    private final MemorySegment image;

    private MappedImageSource(ChunkLayout layout, Path path, Arena arena, MemorySegment image) {
        this.layout = layout;
        this.path = path;
        this.arena = arena;
        this.image = image;
    }

    /** Maps the image at {@code path}, which must hold exactly the region's bytes. */
    public static MappedImageSource open(Path path, ChunkLayout layout) throws IOException {
        int fd = LibC.open(path.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        try {
            long size = LibC.lseek(fd, 0, LibC.SEEK_END);
            if (size != layout.regionSize()) {
                throw new IOException(path + " holds " + size + " bytes, but the region has " + layout.regionSize());
            }
            long address = LibC.mmap(0, size, LibC.PROT_READ, LibC.MAP_SHARED, fd, 0);
            Arena arena = Arena.ofShared();
            return new MappedImageSource(layout, path, arena, MemorySegment.ofAddress(address)
                    .reinterpret(size, arena, s -> LibC.munmap(s.address(), size)));
        } finally {
            LibC.close(fd);
        }
    }

    @Override
    public ChunkLayout layout() {
        return layout;
    }

    public Path path() {
        return path;
    }

    @Override
    public void read(int index, MemorySegment destination, long offset) {
        layout.checkChunk(index);
        MemorySegment.copy(image, layout.offsetOf(index), destination, offset, layout.chunkSize());
    }

    @Override
    public void close() {
        arena.close();
    }
}
