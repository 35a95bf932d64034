package io.memsync.region.store;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkSourcesTest {
    private static final ChunkLayout LAYOUT = new ChunkLayout(4L * 65536, 65536);

    @TempDir
    Path dir;

    private static String error(String spec) {
        return assertThrows(IllegalArgumentException.class, () -> ChunkSources.open(spec, LAYOUT)).getMessage();
    }

    @Test
    void badSpecsAreExplained() throws IOException {
        Path image = dir.resolve("img");
        Files.write(image, new byte[(int) LAYOUT.regionSize()]);
        assertTrue(error("img").contains("has no kind"));
        assertTrue(error("s3:bucket").contains("unknown kind 's3'"));
        assertTrue(error("file:" + dir.resolve("nope")).contains("does not exist"));
        assertTrue(error("dir:" + dir).contains("does not exist"), "a directory without a store manifest");
        assertTrue(error("file:" + image + "?delay=5").contains("unknown option 'delay'"));
        assertTrue(error("file:" + image + "?delayUs=-1").contains("not a whole number"));
        assertTrue(error("file:" + image + "?fail=sometimes").contains("want always or never"));
    }

    @Test
    void everyKindReadsWhatWasStoredAndOptionsInjectFaults() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(65536, 4096);
            chunk.set(JAVA_LONG, 0, 0xabcdL);
            Path image = dir.resolve("img");
            try (FileChunkStore f = FileChunkStore.open(image, LAYOUT);
                 DirectoryChunkStore d = DirectoryChunkStore.open(dir.resolve("d"), LAYOUT)) {
                f.write(2, chunk, 0);
                d.write(2, chunk, 0);
            }
            Path shm = Files.copy(image, Path.of("/dev/shm", "memsync-sources-" + ProcessHandle.current().pid()));
            try {
                for (String spec : new String[] {"file:" + image, "dir:" + dir.resolve("d"), "shm:" + shm}) {
                    ChunkSource source = ChunkSources.open(spec, LAYOUT);
                    MemorySegment into = arena.allocate(65536, 4096);
                    source.read(2, into, 0);
                    assertEquals(0xabcdL, into.get(JAVA_LONG, 0), spec);
                    ChunkSources.close(source);
                }
                ChunkSource flaky = ChunkSources.open("shm:" + shm + "?failFirst=1&delayUs=1", LAYOUT);
                assertInstanceOf(FaultInjectingSource.class, flaky);
                MemorySegment into = arena.allocate(65536, 4096);
                assertThrows(IOException.class, () -> flaky.read(2, into, 0));
                flaky.read(2, into, 0);
                assertEquals(0xabcdL, into.get(JAVA_LONG, 0));
                ChunkSource tail = ChunkSources.open("shm:" + shm + "?failFrom=3", LAYOUT);
                tail.read(2, into, 0);
                assertThrows(IOException.class, () -> tail.read(3, into, 0));
                ChunkSources.close(flaky);
                ChunkSources.close(tail);
            } finally {
                Files.deleteIfExists(shm);
            }
        }
    }
}
