package io.memsync.region;

import io.memsync.region.linux.LibC;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A named region of shared memory: a memfd (or a file under /dev/shm, to share it with other processes by path)
 * mapped {@code MAP_SHARED} and exposed as a {@link MemorySegment}, split into chunks by its {@link ChunkLayout}.
 * <p>
 * Closing a region unmaps it, closes its descriptor and the trackers it started, and (for a region it created
 * at a path) removes the file. Once closed, the segment and its views throw {@link IllegalStateException} on
 * access instead of touching unmapped memory.
 */
public final class Region implements AutoCloseable {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");

    /** Where a region's memory lives. */
    public enum Backing {
        /** An anonymous memfd: shareable by descriptor only. */
        MEMFD,
        /** A file on a tmpfs such as /dev/shm: shareable by path. */
        SHM_FILE
    }

    private final String name;
    private final ChunkLayout layout;
    private final Backing backing;
    private final Path path;
    private final boolean deleteOnClose;
    private final int fd;
    private final Arena arena;
    private final MemorySegment segment;
    private final MemorySegment readOnly;
    private MemorySegment untracked;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private boolean closed;

    private Region(String name, ChunkLayout layout, Backing backing, Path path, boolean deleteOnClose, int fd) {
        this.name = name;
        this.layout = layout;
        this.backing = backing;
        this.path = path;
        this.deleteOnClose = deleteOnClose;
        this.fd = fd;
        long size = layout.regionSize();
        long address = LibC.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        this.arena = Arena.ofShared();
        this.segment = MemorySegment.ofAddress(address).reinterpret(size, arena, s -> LibC.munmap(s.address(), size));
        this.readOnly = segment.asReadOnly();
    }

    /** Starts describing a new region called {@code name} (letters, digits, '.', '_', '-'; at most 200). */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * Maps an existing shmem file created by another process (or an earlier run) with {@link Builder#sharedPath}.
     * The region's size is the file's size; it must be a multiple of {@code chunkSize}. Closing it leaves the file.
     */
    public static Region open(Path path, int chunkSize) {
        Objects.requireNonNull(path, "path");
        int fd = LibC.open(path.toString(), LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        try {
            long size = LibC.lseek(fd, 0, LibC.SEEK_END);
            if (size == 0) {
                throw new IllegalArgumentException(path + " is empty: it is not a memsync region (create it with "
                        + "Region.builder(name).sharedPath(path))");
            }
            ChunkLayout layout = new ChunkLayout(size, chunkSize);
            String name = path.getFileName().toString();
            return new Region(name, layout, Backing.SHM_FILE, path, false, fd);
        } catch (RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
    }

    public String name() {
        return name;
    }

    public ChunkLayout layout() {
        return layout;
    }

    public long size() {
        return layout.regionSize();
    }

    public Backing backing() {
        return backing;
    }

    /** The shmem file's path, or null for a memfd region. */
    public Path path() {
        return path;
    }

    /** The descriptor of the backing memfd or file, for handing to another process; owned by this region. */
    public int fileDescriptor() {
        checkOpen();
        return fd;
    }

    /** The region's memory, readable and writable. */
    public MemorySegment segment() {
        return segment;
    }

    /** The same memory through a view that refuses writes (the JDK throws {@link IllegalArgumentException}). */
    public MemorySegment readOnlyView() {
        return readOnly;
    }

    /**
     * A second mapping of the same memory, made on first call and unmapped with the region. Writes through it are
     * seen through every mapping but are invisible to this region's tracker, and it is never registered with a
     * userfaultfd: a page missing from the memory reads as zeros here instead of faulting. For writing chunks that
     * arrive from elsewhere into a region whose own mapping is tracked or paged.
     */
    public synchronized MemorySegment untrackedMapping() {
        checkOpen();
        if (untracked == null) {
            long size = layout.regionSize();
            long address = LibC.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
            untracked = MemorySegment.ofAddress(address).reinterpret(size, arena, s -> LibC.munmap(s.address(),
                    size));
        }
        return untracked;
    }

    /** The slice of chunk {@code index}. Allocates a segment: hot paths use offsets into {@link #segment()}. */
    public MemorySegment chunk(int index) {
        layout.checkChunk(index);
        return segment.asSlice(layout.offsetOf(index), layout.chunkSize());
    }

    /**
     * Closes {@code resource} with this region (a tracker started on it, say: {@code Trackers.start}), before the
     * mapping goes; closing it earlier is allowed. Returns it.
     *
     * @throws IllegalStateException if the region is closed
     */
    public synchronized <T extends AutoCloseable> T closeWith(T resource) {
        checkOpen();
        owned.add(resource);
        return resource;
    }

    /** Drops the pages of chunks [from, to) from the shmem: they read as zeros (or fault, if registered). */
    public void punchHole(int from, int to) {
        checkOpen();
        if (from < 0 || to > layout.chunkCount() || from > to) {
            throw new IndexOutOfBoundsException("chunks [" + from + ", " + to + ") outside [0, "
                    + layout.chunkCount() + ")");
        }
        if (from < to) {
            LibC.fallocate(fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, layout.offsetOf(from),
                    layout.offsetOf(to) - layout.offsetOf(from));
        }
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    private synchronized void checkOpen() {
        if (closed) {
            throw new IllegalStateException("region " + name + " is closed");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                failure = addFailure(failure, e);
            }
        }
        owned.clear();
        try {
            arena.close();
        } catch (RuntimeException e) {
            failure = addFailure(failure, e);
        }
        try {
            LibC.close(fd);
        } catch (RuntimeException e) {
            failure = addFailure(failure, e);
        }
        if (deleteOnClose && path != null) {
            try {
                Files.deleteIfExists(path);
            } catch (Exception e) {
                failure = addFailure(failure, e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException addFailure(RuntimeException failure, Exception e) {
        if (failure == null) {
            return e instanceof RuntimeException r ? r : new IllegalStateException("closing a region failed", e);
        }
        failure.addSuppressed(e);
        return failure;
    }

    @Override
    public String toString() {
        return "Region[" + name + ", " + layout + ", " + (path != null ? path : "memfd") + "]";
    }

    private static void requireTmpfs(Path path) {
        Path dir = path.toAbsolutePath().getParent();
        String type;
        try {
            type = Files.getFileStore(dir).type();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot create a region at " + path + ": " + dir
                    + " is not an accessible directory (" + e.getMessage() + ")", e);
        }
        if (!"tmpfs".equals(type)) {
            throw new IllegalArgumentException("cannot create a region at " + path + ": " + dir + " is on " + type
                    + ", not tmpfs. A region must be shmem (lazy paging and hole punching need it): put it under "
                    + "/dev/shm, or use a memfd region and save it to a FileChunkStore for persistence");
        }
    }

    /** Describes a new region; {@link #create()} makes it. */
    public static final class Builder {
        private final String name;
        private long size = -1;
        private int chunkSize = ChunkLayout.DEFAULT_CHUNK_SIZE;
        private Path sharedPath;
        private boolean deleteOnClose = true;
        private boolean adopt;

        private Builder(String name) {
            Objects.requireNonNull(name, "name");
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("region name '" + name + "' is not valid: use 1 to 200 letters, "
                        + "digits, '.', '_' or '-', starting with a letter or digit");
            }
            this.name = name;
        }

        /** The region's size in bytes: positive and a multiple of the chunk size. */
        public Builder size(long bytes) {
            this.size = bytes;
            return this;
        }

        /** The chunk size in bytes: a power of two, a multiple of the page size; 64 KiB unless set. */
        public Builder chunkSize(int bytes) {
            this.chunkSize = bytes;
            return this;
        }

        /**
         * Backs the region with a new file at {@code path} on a tmpfs (normally under /dev/shm) instead of a memfd,
         * so other processes can {@link Region#open} it by path. The file must not exist yet.
         */
        public Builder sharedPath(Path path) {
            this.sharedPath = Objects.requireNonNull(path, "path");
            return this;
        }

        /**
         * With {@link #sharedPath}: if the file exists already (another process made it, or mapped it first), maps
         * it with its content instead of refusing, growing it to the region's size if it is shorter; a longer file
         * is refused (shrinking it would kill whoever maps its tail with SIGBUS). Closing the region leaves the
         * file, which belongs to its users.
         */
        public Builder adoptExisting() {
            this.adopt = true;
            this.deleteOnClose = false;
            return this;
        }

        /** Whether closing the region removes its shared file (default true); memfd regions have no file. */
        public Builder deleteOnClose(boolean delete) {
            this.deleteOnClose = delete;
            return this;
        }

        /** Creates the shmem, sizes it and maps it. */
        public Region create() {
            if (size == -1) {
                throw new IllegalArgumentException("region " + name + ": no size given (Region.builder(name).size(bytes))");
            }
            ChunkLayout layout = new ChunkLayout(size, chunkSize);
            int fd;
            if (sharedPath == null) {
                fd = LibC.memfd_create("memsync:" + name, LibC.MFD_CLOEXEC);
            } else {
                requireTmpfs(sharedPath);
                if (adopt) {
                    return adopt(layout);
                }
                if (Files.exists(sharedPath)) {
                    throw new IllegalArgumentException(sharedPath + " already exists: map it with Region.open(path, "
                            + "chunkSize), or remove it if it is left over from a crashed run");
                }
                fd = LibC.open(sharedPath.toString(), LibC.O_RDWR | LibC.O_CREAT | LibC.O_EXCL | LibC.O_CLOEXEC, 0600);
            }
            try {
                LibC.ftruncate(fd, size);
                return new Region(name, layout, sharedPath == null ? Backing.MEMFD : Backing.SHM_FILE, sharedPath,
                        deleteOnClose, fd);
            } catch (RuntimeException e) {
                LibC.close(fd);
                if (sharedPath != null) {
                    try {
                        Files.deleteIfExists(sharedPath);
                    } catch (Exception suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw e;
            }
        }

        private Region adopt(ChunkLayout layout) {
            int fd = LibC.open(sharedPath.toString(), LibC.O_RDWR | LibC.O_CREAT | LibC.O_CLOEXEC, 0600);
            try {
                long existing = LibC.lseek(fd, 0, LibC.SEEK_END);
                if (existing > size) {
                    throw new IllegalArgumentException(sharedPath + " holds " + existing + " bytes, more than region "
                            + name + "'s " + size + ": configure the region's size as at least the file's");
                }
                if (existing < size) {
                    LibC.ftruncate(fd, size);
                }
                return new Region(name, layout, Backing.SHM_FILE, sharedPath, false, fd);
            } catch (RuntimeException e) {
                LibC.close(fd);
                throw e;
            }
        }
    }
}
