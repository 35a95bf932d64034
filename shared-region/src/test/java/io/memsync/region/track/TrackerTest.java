package io.memsync.region.track;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSet;
import io.memsync.region.Region;
import io.memsync.region.linux.Errno;
import io.memsync.region.linux.KernelFeatures;
import io.memsync.region.linux.LibC;
import io.memsync.region.linux.LinuxException;
import io.memsync.region.store.MemoryChunkStore;
import io.memsync.region.sync.Syncer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TrackerTest {
    private static final int CHUNK = 16 * 1024;

    private static void assumeAvailable(TrackerKind kind) {
        if (kind == TrackerKind.WP) {
            assumeTrue(KernelFeatures.get().writeProtectTrackingAvailable(),
                    "wp tracker unavailable here: " + KernelFeatures.get().writeProtectTrackingProblem());
        }
    }

    private static void write(DirtyTracker tracker, MemorySegment memory, long offset, long value) {
        memory.set(JAVA_LONG, offset, value);
        if (tracker.kind() == TrackerKind.EXPLICIT) {
            tracker.mark(offset, 8);
        }
    }

    private static String indexes(ChunkSet set) {
        return set.toString();
    }

    /**
     * Hole 6: PAGEMAP_SCAN reports written pages whose PTE was dropped only on kernels with the 2026 fixes. Here it
     * does, so the wp tracker leaves the range alone; with the probe's result masked off, it locks the range, so the
     * PTE of a written page cannot be dropped (MADV_DONTNEED and MADV_PAGEOUT fail with EINVAL), and unlocks it when
     * closed. AUTO still picks wp then (the lock is allowed here).
     */
    @Test
    void whereDroppedWritesCouldBeMissedTheWpTrackerLocksItsRange() {
        assumeAvailable(TrackerKind.WP);
        try (Region region = Region.builder("wp-lock").size(16 * CHUNK).chunkSize(CHUNK).create()) {
            long base = region.segment().address();
            ChunkSet dirty = new ChunkSet(16);
            WriteProtectTracker plain = (WriteProtectTracker) Trackers.start(region, TrackerKind.WP);
            assertTrue(KernelFeatures.get().pagemapScanSeesDroppedWrites(), KernelFeatures.get().describe());
            assertTrue(!plain.locksMemory(), "this kernel reports dropped writes: nothing to lock");
            region.segment().set(JAVA_LONG, 3L * CHUNK, 1);
            LibC.madvise(base + 3L * CHUNK, CHUNK, LibC.MADV_DONTNEED);
            plain.collect(dirty);
            assertEquals("ChunkSet[3]", indexes(dirty), "the dropped write is reported by this kernel");
            plain.close();

            System.setProperty(KernelFeatures.MASK_PROPERTY, KernelFeatures.MASK_DROPPED_WRITES);
            try {
                DirtyTracker auto = Trackers.start(region, TrackerKind.AUTO);
                assertEquals(TrackerKind.AUTO, auto.kind());
                AdaptiveTracker locked = (AdaptiveTracker) auto;
                assertTrue(locked.locksMemory(), "auto starts with wp, which locks here");
                region.segment().set(JAVA_LONG, 5L * CHUNK + 8, 2);
                for (int advice : new int[] {LibC.MADV_DONTNEED, LibC.MADV_PAGEOUT}) {
                    LinuxException e = assertThrows(LinuxException.class,
                            () -> LibC.madvise(base + 5L * CHUNK, CHUNK, advice));
                    assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
                }
                dirty.clear();
                locked.collect(dirty);
                assertEquals("ChunkSet[5]", indexes(dirty));
                locked.close();
                LibC.madvise(base + 5L * CHUNK, CHUNK, LibC.MADV_DONTNEED);
            } finally {
                System.clearProperty(KernelFeatures.MASK_PROPERTY);
            }
            assertEquals(2L, region.segment().get(JAVA_LONG, 5L * CHUNK + 8), "the shmem kept the data");
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"WP", "HASH", "EXPLICIT"})
    void reportsExactlyTheWrittenChunksOnce(TrackerKind kind) {
        assumeAvailable(kind);
        try (Region region = Region.builder("exact-" + kind.configName()).size(64 * CHUNK).chunkSize(CHUNK).create()) {
            DirtyTracker tracker = Trackers.start(region, kind);
            assertEquals(kind, tracker.kind());
            ChunkSet dirty = new ChunkSet(64);
            tracker.collect(dirty);
            assertTrue(dirty.isEmpty(), "a fresh tracker reports nothing: " + indexes(dirty));

            write(tracker, region.segment(), 3L * CHUNK + 100 * 8, 1);
            write(tracker, region.segment(), 7L * CHUNK, 2);
            write(tracker, region.segment(), 63L * CHUNK + CHUNK - 8, 3);
            // Straddles the boundary between chunks 10 and 11.
            region.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 11L * CHUNK - 4, -1L);
            if (kind == TrackerKind.EXPLICIT) {
                tracker.mark(11L * CHUNK - 4, 8);
            }
            tracker.collect(dirty);
            assertEquals("ChunkSet[3,7,10,11,63]", indexes(dirty));
            assertEquals(2, tracker.scans());

            dirty.clear();
            tracker.collect(dirty);
            assertTrue(dirty.isEmpty(), "re-armed: nothing new to report, got " + indexes(dirty));

            write(tracker, region.segment(), 7L * CHUNK + 8, 4);
            tracker.collect(dirty);
            assertEquals("ChunkSet[7]", indexes(dirty));
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"WP", "HASH", "EXPLICIT"})
    void marksForceChunksOutAndAreBoundsChecked(TrackerKind kind) {
        assumeAvailable(kind);
        try (Region region = Region.builder("marks-" + kind.configName()).size(8 * CHUNK).chunkSize(CHUNK).create()) {
            DirtyTracker tracker = Trackers.start(region, kind);
            tracker.mark(CHUNK - 1, 2);
            ChunkSet dirty = new ChunkSet(8);
            tracker.collect(dirty);
            assertEquals("ChunkSet[0,1]", indexes(dirty));
            assertThrows(IndexOutOfBoundsException.class, () -> tracker.mark(8L * CHUNK - 4, 8));
            assertThrows(IllegalArgumentException.class, () -> tracker.collect(new ChunkSet(9)));
        }
    }

    /**
     * Several threads write at random while a syncer scans and pushes every millisecond; afterwards the sink must
     * equal the region byte for byte. Any write a scan missed would leave the sink behind.
     */
    @ParameterizedTest
    @EnumSource(names = {"WP", "HASH", "EXPLICIT"})
    void concurrentWritesDuringScansAreNeverMissed(TrackerKind kind) throws Exception {
        assumeAvailable(kind);
        int chunks = 512;
        try (Region region = Region.builder("race-" + kind.configName()).size((long) chunks * CHUNK)
                .chunkSize(CHUNK).create();
             MemoryChunkStore replica = new MemoryChunkStore(region.layout())) {
            DirtyTracker tracker = Trackers.start(region, kind);
            Syncer syncer = new Syncer("race", tracker, replica, Duration.ofMillis(1)).start();
            AtomicLong writes = new AtomicLong();
            long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            Thread[] writers = new Thread[3];
            for (int t = 0; t < writers.length; t++) {
                long seed = t;
                writers[t] = Thread.ofPlatform().name("writer-" + t).start(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    long n = 0;
                    // Bounded by count and by time.
                    while (n < 50_000_000 && ((n & 1023) != 0 || System.nanoTime() < deadline)) {
                        long offset = random.nextLong(region.size() / 8) * 8;
                        write(tracker, region.segment(), offset, (seed << 56) | ++n);
                    }
                    writes.addAndGet(n);
                });
            }
            int flushes = 0;
            while (System.nanoTime() < deadline) {
                syncer.flush();
                flushes++;
                Thread.sleep(20);
            }
            for (Thread w : writers) {
                w.join(30_000);
                assertTrue(!w.isAlive(), "writer did not stop");
            }
            syncer.close();
            assertTrue(writes.get() > 10_000, "writers made too few writes to test anything: " + writes.get());
            assertTrue(syncer.cycles() > flushes, "background cycles ran: " + syncer.cycles());
            long mismatch = region.segment().mismatch(replica.memory());
            assertEquals(-1, mismatch, () -> "replica differs at byte " + mismatch + " (chunk "
                    + mismatch / CHUNK + ") after " + writes.get() + " writes, " + syncer.cycles() + " cycles");
        }
    }

    @Test
    void hashTrackerComparesAgainstWhatWasSentNotWhatItScanned() throws IOException {
        try (Region region = Region.builder("aba").size(4 * CHUNK).chunkSize(CHUNK).create();
             MemoryChunkStore replica = new MemoryChunkStore(region.layout())) {
            DirtyTracker tracker = Trackers.start(region, TrackerKind.HASH);
            ChunkSet dirty = new ChunkSet(4);
            region.segment().set(JAVA_LONG, CHUNK, 0xBBL);
            tracker.collect(dirty);
            assertEquals("ChunkSet[1]", indexes(dirty));
            long offset = tracker.preparePayload(1);
            // The application restores the old value while the copy is on its way: the sink gets 0xBB.
            region.segment().set(JAVA_LONG, CHUNK, 0L);
            replica.write(1, tracker.payload(), offset);
            assertEquals(0xBBL, replica.memory().get(JAVA_LONG, CHUNK));
            dirty.clear();
            tracker.collect(dirty);
            assertEquals("ChunkSet[1]", indexes(dirty), "the revert must be sent, or the replica keeps 0xBB");
        }
    }

    @Test
    void hashTrackerLeavesHolesUnallocatedAndStillSeesWritesIntoThem() {
        try (Region region = Region.builder("sparse").size(1024L * CHUNK).chunkSize(CHUNK).create()) {
            int fd = region.fileDescriptor();
            DirtyTracker tracker = Trackers.start(region, TrackerKind.HASH);
            region.segment().set(JAVA_LONG, 700L * CHUNK + 8, 1L);
            ChunkSet dirty = new ChunkSet(1024);
            tracker.collect(dirty);
            assertEquals("ChunkSet[700]", indexes(dirty));
            assertEquals(700L * CHUNK, io.memsync.region.linux.LibC.lseek(fd, 0, io.memsync.region.linux.LibC.SEEK_DATA),
                    "the scans read no hole: the first data is the page written");
            // Hashing the written chunk may allocate the rest of that chunk, and no more.
            long hole = io.memsync.region.linux.LibC.lseek(fd, 700L * CHUNK, io.memsync.region.linux.LibC.SEEK_HOLE);
            assertTrue(hole > 700L * CHUNK && hole <= 701L * CHUNK, "data ends at " + hole);
            // Writes into what were holes, including the very last page, are found.
            region.segment().set(JAVA_LONG, 0, 5L);
            region.segment().set(JAVA_LONG, 1024L * CHUNK - 8, 6L);
            dirty.clear();
            tracker.collect(dirty);
            assertEquals("ChunkSet[0,1023]", indexes(dirty));
            // Punching a hole where data was is a change too: the chunk now reads as zeros.
            region.punchHole(700, 701);
            dirty.clear();
            tracker.collect(dirty);
            assertEquals("ChunkSet[700]", indexes(dirty));
        }
    }

    @Test
    void hashTrackerWorksWithoutADescriptor() {
        try (Region region = Region.builder("no-fd").size(16L * CHUNK).chunkSize(CHUNK).create();
             DirtyTracker tracker = Trackers.open(TrackerKind.HASH, region.segment(), region.layout())) {
            region.segment().set(JAVA_LONG, 9L * CHUNK, 1L);
            ChunkSet dirty = new ChunkSet(16);
            tracker.collect(dirty);
            assertEquals("ChunkSet[9]", indexes(dirty));
        }
    }

    @Test
    void wpTracksWritesToAMappedRegularFile(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        assumeAvailable(TrackerKind.WP);
        Path file = dir.resolve("mapped.bin");
        long size = 32L * CHUNK;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE); Arena arena = Arena.ofShared()) {
            ch.truncate(size);
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1}), size - 1);
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            assertNotEquals("tmpfs", Files.getFileStore(dir).type(), "this test wants a disk file system");
            ChunkLayout layout = new ChunkLayout(size, CHUNK);
            try (DirtyTracker tracker = Trackers.open(TrackerKind.WP, mapped, layout)) {
                ChunkSet dirty = new ChunkSet(32);
                tracker.collect(dirty);
                assertTrue(dirty.isEmpty(), indexes(dirty));
                mapped.set(JAVA_BYTE, 5L * CHUNK + 17, (byte) 9);
                mapped.set(JAVA_LONG, 20L * CHUNK, 9L);
                tracker.collect(dirty);
                assertEquals("ChunkSet[5,20]", indexes(dirty));
                dirty.clear();
                tracker.collect(dirty);
                assertTrue(dirty.isEmpty(), indexes(dirty));
            }
        }
    }

    @Test
    void autoPicksWpWhereTheKernelOffersIt() {
        TrackerKind resolved = Trackers.resolve(TrackerKind.AUTO);
        assertEquals(KernelFeatures.get().writeProtectTrackingAvailable() ? TrackerKind.WP : TrackerKind.HASH,
                resolved);
        assertEquals(TrackerKind.HASH, TrackerKind.parse(" Hash "));
        String m = assertThrows(IllegalArgumentException.class, () -> TrackerKind.parse("wpp")).getMessage();
        assertTrue(m.contains("choose auto, wp, hash or explicit"), m);
    }

    @Test
    void systemPropertyOverridesAuto() {
        String before = System.getProperty(Trackers.PROPERTY);
        try {
            System.setProperty(Trackers.PROPERTY, "explicit");
            assertEquals(TrackerKind.EXPLICIT, Trackers.resolve(TrackerKind.AUTO));
            assertEquals(TrackerKind.HASH, Trackers.resolve(TrackerKind.HASH), "a named kind is not overridden");
            System.setProperty(Trackers.PROPERTY, "bogus");
            String m = assertThrows(IllegalArgumentException.class, () -> Trackers.resolve(TrackerKind.AUTO))
                    .getMessage();
            assertTrue(m.contains("-Dmemsync.tracker=bogus"), m);
        } finally {
            if (before == null) {
                System.clearProperty(Trackers.PROPERTY);
            } else {
                System.setProperty(Trackers.PROPERTY, before);
            }
        }
    }

    @Test
    void closedTrackerAndClosedRegionAreReportedNotScanned() {
        Region region = Region.builder("closing").size(4 * CHUNK).chunkSize(CHUNK).create();
        DirtyTracker tracker = Trackers.start(region, TrackerKind.AUTO);
        region.close();
        String m = assertThrows(IllegalStateException.class, () -> tracker.collect(new ChunkSet(4))).getMessage();
        assertTrue(m.contains("closed"), m);
    }
}
