package io.memsync.region;

import io.memsync.region.track.Trackers;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegionTest {

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void badSizesAndChunkSizesGetClearErrors() {
        assertTrue(message(() -> Region.builder("r").size(0).create()).contains("must be positive, was 0"));
        assertTrue(message(() -> Region.builder("r").size(-4096).create()).contains("must be positive"));
        assertTrue(message(() -> Region.builder("r").create()).contains("no size given"));
        String notMultiple = message(() -> Region.builder("r").size(100_000).create());
        assertTrue(notMultiple.contains("not a multiple of the chunk size 65536; use 65536 or 131072"), notMultiple);
        assertTrue(message(() -> Region.builder("r").size(1 << 20).chunkSize(3 * 4096).create())
                .contains("power of two"));
        assertTrue(message(() -> Region.builder("r").size(1 << 20).chunkSize(2048).create())
                .contains("multiple of the page size (4096"));
        assertTrue(message(() -> Region.builder("r").size(1 << 20).chunkSize(0).create()).contains("was 0"));
        assertTrue(message(() -> Region.builder("bad name!")).contains("not valid"));
        assertTrue(message(() -> Region.builder("")).contains("not valid"));
    }

    @Test
    void regionIsWritableMemoryWithAReadOnlyView() {
        try (Region region = Region.builder("rw").size(1 << 20).chunkSize(16 * 1024).create()) {
            assertEquals(64, region.layout().chunkCount());
            assertEquals(1 << 20, region.segment().byteSize());
            assertEquals(0, region.segment().address() % 4096);
            region.segment().set(JAVA_LONG, 123 * 8, 77L);
            assertEquals(77L, region.readOnlyView().get(JAVA_LONG, 123 * 8));
            assertThrows(IllegalArgumentException.class, () -> region.readOnlyView().set(JAVA_LONG, 0, 1L));
            assertEquals(77L, region.chunk(0).get(JAVA_LONG, 123 * 8));
            assertThrows(IndexOutOfBoundsException.class, () -> region.chunk(64));
            assertEquals(Region.Backing.MEMFD, region.backing());
        }
    }

    @Test
    void closedRegionRefusesAccessInsteadOfCrashing() {
        Region region = Region.builder("closed").size(1 << 16).create();
        MemorySegment segment = region.segment();
        MemorySegment view = region.readOnlyView();
        region.close();
        region.close();
        assertTrue(region.isClosed());
        assertThrows(IllegalStateException.class, () -> segment.get(JAVA_LONG, 0));
        assertThrows(IllegalStateException.class, () -> view.get(JAVA_LONG, 0));
        assertThrows(IllegalStateException.class, region::fileDescriptor);
    }

    @Test
    void shmFileRegionIsSharedByPathAndRemovedByItsCreator() throws IOException {
        Path path = Path.of("/dev/shm", "memsync-test-" + ProcessHandle.current().pid());
        Files.deleteIfExists(path);
        try (Region creator = Region.builder("by-path").size(1 << 20).sharedPath(path).create()) {
            assertEquals(Region.Backing.SHM_FILE, creator.backing());
            assertTrue(Files.exists(path));
            creator.segment().set(JAVA_LONG, 4096, 0xfeedL);
            try (Region other = Region.open(path, 64 * 1024)) {
                assertEquals(1 << 20, other.size());
                assertEquals(0xfeedL, other.segment().get(JAVA_LONG, 4096));
                other.segment().set(JAVA_LONG, 8192, 0xbeefL);
                assertEquals(0xbeefL, creator.segment().get(JAVA_LONG, 8192));
            }
            assertTrue(Files.exists(path), "an opener leaves the file to its creator");
            assertTrue(message(() -> Region.builder("again").size(1 << 20).sharedPath(path).create())
                    .contains("already exists"));
            assertTrue(message(() -> Region.open(path, 3 * 4096)).contains("power of two"));
        }
        assertFalse(Files.exists(path), "closing the creator removes the file");
    }

    @Test
    void regionOutsideTmpfsIsRefused() {
        Path onDisk = Path.of(System.getProperty("java.io.tmpdir"), "memsync-not-shm");
        try {
            if (!"tmpfs".equals(Files.getFileStore(onDisk.getParent()).type())) {
                String m = message(() -> Region.builder("disk").size(1 << 16).sharedPath(onDisk).create());
                assertTrue(m.contains("not tmpfs"), m);
                assertFalse(Files.exists(onDisk));
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void punchHoleDropsChunks() {
        try (Region region = Region.builder("holes").size(4 * 65536).create()) {
            region.segment().fill((byte) 7);
            region.punchHole(1, 3);
            assertEquals(7, region.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 65535));
            assertEquals(0, region.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 65536));
            assertEquals(0, region.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 3 * 65536 - 1));
            assertEquals(7, region.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 3 * 65536));
            assertThrows(IndexOutOfBoundsException.class, () -> region.punchHole(3, 5));
        }
    }

    @Test
    void closingReleasesEveryDescriptorAndMapping() throws IOException {
        // Warm up (class loading, per-thread errno segment, the probe's descriptors) before counting.
        try (Region r = Region.builder("warm").size(1 << 20).create()) {
            Trackers.start(r, io.memsync.region.track.TrackerKind.AUTO).close();
        }
        long fds = openDescriptors();
        long maps = mappings();
        for (int i = 0; i < 50; i++) {
            try (Region r = Region.builder("leak-" + i).size(1 << 20).create()) {
                r.segment().set(JAVA_LONG, 0, i);
                Trackers.start(r, io.memsync.region.track.TrackerKind.AUTO);
                Trackers.start(r, io.memsync.region.track.TrackerKind.EXPLICIT);
            }
        }
        assertEquals(fds, openDescriptors(), "descriptors leaked");
        assertEquals(maps, mappings(), "mappings leaked");
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static long mappings() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("memsync")).count();
    }
}
