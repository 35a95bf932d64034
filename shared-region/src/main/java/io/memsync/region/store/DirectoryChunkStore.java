package io.memsync.region.store;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSet;
import io.memsync.region.ChunkStore;
import io.memsync.region.linux.Errno;
import io.memsync.region.linux.LibC;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * Chunks as files in a directory, {@code chunk-<index in hex>}, with a manifest naming the layout. A chunk that
 * was never written has no file and reads as zeros. Each write goes to a temporary file renamed over the chunk,
 * so a crash leaves every chunk either old or new, never torn; {@link #sync()} fsyncs the chunks written since the
 * last sync and the directory. Thread-safe.
 */
public final class DirectoryChunkStore implements ChunkStore {
    static final String MANIFEST = "memsync-store.properties";
    private static final int FORMAT = 1;

    private final ChunkLayout layout;
    private final Path directory;
    private final ChunkSet unsynced;
    private boolean closed;

    private DirectoryChunkStore(ChunkLayout layout, Path directory) {
        this.layout = layout;
        this.directory = directory;
        this.unsynced = new ChunkSet(layout.chunkCount());
    }

    /**
     * Opens the store in {@code directory}, creating it (and its manifest) if needed. An existing store must hold
     * the same layout; a non-empty directory that is not a store is refused rather than written into.
     */
    public static DirectoryChunkStore open(Path directory, ChunkLayout layout) throws IOException {
        Files.createDirectories(directory);
        Path manifest = directory.resolve(MANIFEST);
        if (Files.exists(manifest)) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(manifest)) {
                p.load(in);
            }
            ChunkLayout stored;
            try {
                stored = new ChunkLayout(Long.parseLong(p.getProperty("regionSize")),
                        Integer.parseInt(p.getProperty("chunkSize")));
            } catch (RuntimeException e) {
                throw new IOException(manifest + " is damaged (" + e.getMessage() + "): delete the store or fix it", e);
            }
            if (!stored.equals(layout)) {
                throw new IOException(directory + " holds a region of " + stored + ", not " + layout
                        + ": choose another directory");
            }
        } else {
            try (var entries = Files.list(directory)) {
                if (entries.findAny().isPresent()) {
                    throw new IOException(directory + " is not empty and has no " + MANIFEST
                            + ": it is not a chunk store; choose an empty or new directory");
                }
            }
            Properties p = new Properties();
            p.setProperty("format", Integer.toString(FORMAT));
            p.setProperty("regionSize", Long.toString(layout.regionSize()));
            p.setProperty("chunkSize", Integer.toString(layout.chunkSize()));
            Path tmp = directory.resolve(MANIFEST + ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                p.store(out, "memsync directory chunk store");
            }
            Files.move(tmp, manifest, StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(directory);
        }
        return new DirectoryChunkStore(layout, directory);
    }

    public Path directory() {
        return directory;
    }

    @Override
    public ChunkLayout layout() {
        return layout;
    }

    /** The file holding chunk {@code index}. */
    public Path chunkFile(int index) {
        layout.checkChunk(index);
        return directory.resolve("chunk-" + Integer.toHexString(index));
    }

    @Override
    public void write(int index, MemorySegment source, long offset) throws IOException {
        Path target = chunkFile(index);
        Path tmp = directory.resolve("chunk-" + Integer.toHexString(index) + ".tmp-" + Thread.currentThread().threadId());
        checkOpen();
        int fd = LibC.open(tmp.toString(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC | LibC.O_CLOEXEC, 0644);
        try {
            LibC.pwriteFully(fd, source, offset, layout.chunkSize(), 0);
        } finally {
            LibC.close(fd);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        synchronized (this) {
            unsynced.add(index);
        }
    }

    @Override
    public void read(int index, MemorySegment destination, long offset) throws IOException {
        Path file = chunkFile(index);
        checkOpen();
        int fd = LibC.openIfExists(file.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd == -Errno.ENOENT) {
            destination.asSlice(offset, layout.chunkSize()).fill((byte) 0);
            return;
        }
        try {
            long n = LibC.preadFully(fd, destination, offset, layout.chunkSize(), 0);
            if (n != layout.chunkSize()) {
                throw new IOException(file + " holds " + n + " bytes, not a chunk of " + layout.chunkSize()
                        + ": the store is damaged");
            }
        } finally {
            LibC.close(fd);
        }
    }

    @Override
    public void sync() throws IOException {
        ChunkSet toSync = new ChunkSet(layout.chunkCount());
        synchronized (this) {
            checkOpen();
            toSync.addAll(unsynced);
            unsynced.clear();
        }
        try {
            for (int i = toSync.next(0); i >= 0; i = toSync.next(i + 1)) {
                int fd = LibC.openIfExists(chunkFile(i).toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
                if (fd >= 0) {
                    try {
                        LibC.fsync(fd);
                    } finally {
                        LibC.close(fd);
                    }
                }
            }
            fsyncDirectory(directory);
        } catch (RuntimeException e) {
            synchronized (this) {
                unsynced.addAll(toSync);
            }
            throw new IOException("syncing " + directory + " failed: " + e.getMessage(), e);
        }
    }

    private static void fsyncDirectory(Path directory) {
        int fd = LibC.open(directory.toString(), LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
        try {
            LibC.fsync(fd);
        } finally {
            LibC.close(fd);
        }
    }

    private synchronized void checkOpen() throws IOException {
        if (closed) {
            throw new IOException("directory store " + directory + " is closed");
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
    }
}
