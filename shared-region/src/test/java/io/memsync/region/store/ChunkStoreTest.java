package io.memsync.region.store;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkStore;
import io.memsync.region.Region;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkStoreTest {
    private static final int CHUNK = 64 * 1024;
    private static final ChunkLayout LAYOUT = new ChunkLayout(16L * CHUNK, CHUNK);

    @TempDir
    Path dir;

    private ChunkStore open(String kind, ChunkLayout layout) throws IOException {
        return switch (kind) {
            case "memory" -> new MemoryChunkStore(layout);
            case "file" -> FileChunkStore.open(dir.resolve("image.bin"), layout);
            case "directory" -> DirectoryChunkStore.open(dir.resolve("chunks"), layout);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static void fillRandom(MemorySegment m, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (long o = 0; o < m.byteSize(); o += 8) {
            m.set(JAVA_LONG, o, r.nextLong());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "file", "directory"})
    void chunksReadBackAsWrittenAndUnwrittenOnesAreZero(String kind) throws IOException {
        try (ChunkStore store = open(kind, LAYOUT); Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(2L * CHUNK, 4096);
            fillRandom(src, 1);
            store.write(3, src, CHUNK);
            store.write(3, src, 0);
            store.write(15, src, CHUNK);
            store.sync();
            MemorySegment dst = arena.allocate(3L * CHUNK, 4096);
            dst.fill((byte) 0x55);
            store.read(3, dst, CHUNK);
            assertEquals(-1, dst.asSlice(CHUNK, CHUNK).mismatch(src.asSlice(0, CHUNK)), "last write wins");
            store.read(15, dst, 0);
            assertEquals(-1, dst.asSlice(0, CHUNK).mismatch(src.asSlice(CHUNK, CHUNK)));
            store.read(4, dst, 2L * CHUNK);
            assertEquals(-1, dst.asSlice(2L * CHUNK, CHUNK).mismatch(arena.allocate(CHUNK)), "never written: zeros");
            assertThrows(IndexOutOfBoundsException.class, () -> store.write(16, src, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> store.read(-1, dst, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> store.read(0, dst, 2L * CHUNK + 1));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "file", "directory"})
    void regionSavesAndLoadsThroughEveryStore(String kind) throws IOException {
        try (ChunkStore store = open(kind, LAYOUT);
             Region original = Region.builder("save-" + kind).size(LAYOUT.regionSize()).create();
             Region copy = Region.builder("load-" + kind).size(LAYOUT.regionSize()).create()) {
            fillRandom(original.segment(), 42);
            assertEquals(LAYOUT.regionSize(), RegionImages.save(original, store));
            assertEquals(LAYOUT.regionSize(), RegionImages.load(store, copy));
            assertEquals(-1, original.segment().mismatch(copy.segment()));
        }
    }

    @Test
    void savedImagesSurviveReopening() throws IOException {
        try (Region original = Region.builder("persist").size(LAYOUT.regionSize()).create()) {
            fillRandom(original.segment(), 9);
            try (FileChunkStore file = FileChunkStore.open(dir.resolve("img"), LAYOUT);
                 DirectoryChunkStore directory = DirectoryChunkStore.open(dir.resolve("d"), LAYOUT)) {
                RegionImages.save(original, file);
                RegionImages.save(original, directory);
            }
            assertEquals(LAYOUT.regionSize(), Files.size(dir.resolve("img")));
            for (ChunkStore store : new ChunkStore[] {FileChunkStore.open(dir.resolve("img"), LAYOUT),
                    DirectoryChunkStore.open(dir.resolve("d"), LAYOUT)}) {
                try (store; Region copy = Region.builder("reopened").size(LAYOUT.regionSize()).create()) {
                    RegionImages.load(store, copy);
                    assertEquals(-1, original.segment().mismatch(copy.segment()), store.getClass().getSimpleName());
                }
            }
            try (var files = Files.list(dir.resolve("d"))) {
                assertFalse(files.anyMatch(p -> p.getFileName().toString().contains(".tmp")), "no temp files left");
            }
        }
    }

    @Test
    void storesRefuseAnotherRegionsData() throws IOException {
        ChunkLayout other = new ChunkLayout(8L * CHUNK, CHUNK);
        FileChunkStore.open(dir.resolve("img"), LAYOUT).close();
        String m = assertThrows(IOException.class, () -> FileChunkStore.open(dir.resolve("img"), other)).getMessage();
        assertTrue(m.contains("holds " + LAYOUT.regionSize() + " bytes"), m);

        DirectoryChunkStore.open(dir.resolve("d"), LAYOUT).close();
        m = assertThrows(IOException.class, () -> DirectoryChunkStore.open(dir.resolve("d"), other)).getMessage();
        assertTrue(m.contains("holds a region of"), m);

        Files.writeString(Files.createDirectories(dir.resolve("busy")).resolve("notes.txt"), "mine");
        m = assertThrows(IOException.class, () -> DirectoryChunkStore.open(dir.resolve("busy"), LAYOUT)).getMessage();
        assertTrue(m.contains("not a chunk store"), m);

        try (Region small = Region.builder("small").size(other.regionSize()).create();
             MemoryChunkStore store = new MemoryChunkStore(LAYOUT)) {
            m = assertThrows(IllegalArgumentException.class, () -> RegionImages.save(small, store)).getMessage();
            assertTrue(m.contains("the sink holds"), m);
        }
    }

    @Test
    void closedStoresSayTheyAreClosed() throws IOException {
        FileChunkStore file = FileChunkStore.open(dir.resolve("img"), LAYOUT);
        file.close();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(CHUNK);
            assertTrue(assertThrows(IOException.class, () -> file.read(0, buf, 0)).getMessage().contains("closed"));
        }
    }
}
