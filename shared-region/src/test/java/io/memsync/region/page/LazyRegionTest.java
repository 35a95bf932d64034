package io.memsync.region.page;

import io.memsync.region.ChunkLayout;
import io.memsync.region.linux.KernelFeatures;
import io.memsync.region.pager.PagerStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

@Timeout(120)
class LazyRegionTest {
    private static final int CHUNK = 64 * 1024;

    private Path image;
    private Arena arena;
    private MemorySegment expected;

    @BeforeEach
    void requireUserfaultfd() {
        assumeTrue(KernelFeatures.get().lazyRegionsAvailable(),
                "lazy regions need userfaultfd MISSING on shmem and POISON: " + KernelFeatures.get().describe());
        arena = Arena.ofShared();
    }

    @AfterEach
    void removeImage() throws IOException {
        System.clearProperty("memsync.pager.install");
        System.clearProperty(KernelFeatures.MASK_PROPERTY);
        if (image != null) {
            Files.deleteIfExists(image);
        }
        arena.close();
    }

    /** Writes a random image of {@code chunks} chunks under /dev/shm and keeps a copy to compare with. */
    private String image(int chunks, long seed) throws IOException {
        image = Path.of("/dev/shm", "memsync-lazy-test-" + ProcessHandle.current().pid() + "-" + seed);
        long size = (long) chunks * CHUNK;
        expected = arena.allocate(size, 4096);
        SplittableRandom r = new SplittableRandom(seed);
        for (long o = 0; o < size; o += 8) {
            expected.set(JAVA_LONG, o, r.nextLong());
        }
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(expected.asByteBuffer());
        }
        return "shm:" + image;
    }

    private static ChunkLayout layout(int chunks) {
        return new ChunkLayout((long) chunks * CHUNK, CHUNK);
    }

    /** Hole 5: without UFFDIO_POISON a failed fetch could not fail its thread, which would hang the JVM. */
    @Test
    void mountRefusesAKernelWithoutPoisonAndSaysWhichKernelHasIt() {
        System.setProperty(KernelFeatures.MASK_PROPERTY, "POISON");
        UnsupportedOperationException e = org.junit.jupiter.api.Assertions.assertThrows(
                UnsupportedOperationException.class, () -> LazyRegion.mount("lazy-no-poison", layout(4),
                        PagerConfig.of("shm:/nonexistent").withPullers(0).withStandby(false)));
        assertTrue(e.getMessage().contains("lazy-no-poison"), e.getMessage());
        assertTrue(e.getMessage().contains("POISON (UFFDIO_POISON, Linux 6.6+)"), e.getMessage());
        assertTrue(e.getMessage().contains("safepoint"), e.getMessage());
        assertTrue(e.getMessage().contains("RegionImages.load"), e.getMessage());
        System.clearProperty(KernelFeatures.MASK_PROPERTY);
        assertTrue(KernelFeatures.get().lazyRegionsAvailable(), "without the mask this kernel has POISON");
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"0,copy", "4,copy", "0,map", "4,map", "0,write", "4,write"})
    void concurrentRandomFirstTouchesSeeTheSourceBytes(int pullers, String method) throws Exception {
        int chunks = 512;
        String source = image(chunks, 1);
        System.setProperty("memsync.pager.install", method);
        try (LazyRegion lazy = LazyRegion.mount("lazy-random-" + pullers + method, layout(chunks),
                PagerConfig.of(source).withPullers(pullers).withStandby(false))) {
            System.clearProperty("memsync.pager.install");
            MemorySegment m = lazy.segment();
            int threads = 6;
            List<Thread> readers = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int t = 0; t < threads; t++) {
                long seed = t;
                readers.add(Thread.ofPlatform().start(() -> {
                    try {
                        SplittableRandom r = new SplittableRandom(seed);
                        for (int i = 0; i < 4000; i++) {
                            long o = r.nextLong(m.byteSize() / 8) * 8;
                            long got = m.get(JAVA_LONG, o);
                            if (got != expected.get(JAVA_LONG, o)) {
                                throw new AssertionError("byte " + o + ": got " + got);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread t : readers) {
                t.join(60_000);
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(-1, m.mismatch(expected), "after reading it all, the region equals the source");
            // A chunk is readable a moment before a puller counts it present.
            assertTrue(lazy.awaitAvailability(1.0, Duration.ofSeconds(10)), "availability " + lazy.availability());
            if (pullers == 0) {
                // With pullers, a loaded machine may let them install every chunk before the readers' first touch.
                assertTrue(lazy.status().faults() > 0);
                // With pullers, faults may all find their chunk already on its way or in place.
                assertEquals(chunks, lazy.status().faultsServed() + lazy.status().racesLost());
                assertTrue(lazy.status().faultNanosPercentile(50) > 0);
            }
        }
    }

    /** Reads every chunk's first word from {@code threads} threads in interleaved order; returns the first error. */
    private Throwable touchAll(MemorySegment m, int threads) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> readers = new ArrayList<>();
        int chunks = (int) (m.byteSize() / CHUNK);
        for (int t = 0; t < threads; t++) {
            int first = t;
            readers.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int c = first; c < chunks; c += threads) {
                        long o = (long) c * CHUNK + 8 * (c % 1000);
                        long got = m.get(JAVA_LONG, o);
                        if (got != expected.get(JAVA_LONG, o)) {
                            throw new AssertionError("chunk " + c + " byte " + o + ": got " + got);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread t : readers) {
            t.join(60_000);
            assertTrue(!t.isAlive(), "a reader is still blocked");
        }
        return failure.get();
    }

    @Test
    void faultsCompleteWhileAnotherThreadForcesGarbageCollections() throws Exception {
        int chunks = 1024;
        String source = image(chunks, 2);
        try (LazyRegion lazy = LazyRegion.mount("lazy-gc", layout(chunks),
                PagerConfig.of(source).withPullers(0).withStandby(false))) {
            AtomicReference<Boolean> stop = new AtomicReference<>(false);
            long[] gcs = {0};
            Thread gc = Thread.ofPlatform().start(() -> {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!stop.get() && System.nanoTime() < deadline) {
                    System.gc();
                    gcs[0]++;
                }
            });
            Throwable failure = touchAll(lazy.segment(), 4);
            stop.set(true);
            gc.join(60_000);
            if (failure != null) {
                throw new AssertionError(failure);
            }
            assertTrue(gcs[0] > 0, "GCs ran while faults were served");
            assertEquals(chunks, lazy.status().faultsServed() + lazy.status().racesLost(),
                    "with no pullers every chunk came through a fault");
            assertEquals(-1, lazy.segment().mismatch(expected));
        }
    }

    @Test
    void backgroundPullersFillTheRegionWithoutAnyTouch() throws Exception {
        int chunks = 2048;
        String source = image(chunks, 3);
        try (LazyRegion lazy = LazyRegion.mount("lazy-pull", layout(chunks),
                PagerConfig.of(source).withPullers(2).withStandby(false))) {
            assertTrue(lazy.awaitAvailability(1.0, Duration.ofSeconds(60)), "availability stuck at "
                    + lazy.availability());
            assertEquals(0, lazy.status().faults(), "nothing touched, nothing faulted");
            assertEquals((long) chunks * CHUNK, lazy.status().bytesInstalled());
            assertEquals(-1, lazy.segment().mismatch(expected));
        }
        try (LazyRegion direct = LazyRegion.mount("lazy-direct", layout(chunks),
                PagerConfig.of(source).withPullers(0).withStandby(false))) {
            Thread.sleep(200);
            assertEquals(0.0, direct.availability(), "a direct mount pulls nothing by itself");
            direct.segment().get(JAVA_LONG, 5L * CHUNK);
            assertTrue(direct.isPresent(5));
            assertEquals(1, direct.status().presentChunks());
        }
    }

    @Test
    void invalidatedChunksArePulledAfresh() throws Exception {
        int chunks = 64;
        String source = image(chunks, 4);
        try (LazyRegion lazy = LazyRegion.mount("lazy-invalidate", layout(chunks),
                PagerConfig.of(source).withPullers(2).withStandby(false))) {
            assertTrue(lazy.awaitAvailability(1.0, Duration.ofSeconds(30)));
            // The source changes behind the region's back; only invalidated chunks see it.
            try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}), 10L * CHUNK);
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {9, 9, 9, 9, 9, 9, 9, 9}), 11L * CHUNK);
            }
            lazy.invalidate(10, 11);
            assertEquals(1, lazy.status().chunksInvalidated());
            long fresh = lazy.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 10L * CHUNK);
            assertEquals(0x0807060504030201L, fresh, "chunk 10 was pulled again");
            assertEquals(expected.get(JAVA_LONG, 11L * CHUNK), lazy.segment().get(JAVA_LONG, 11L * CHUNK),
                    "chunk 11 was not invalidated: still the old bytes");
            assertTrue(lazy.awaitAvailability(1.0, Duration.ofSeconds(30)));
        }
    }

    @Test
    void aSlowSourceIsWaitedForAndTheLatencyShows() throws Exception {
        int chunks = 16;
        String source = image(chunks, 5) + "?delayUs=20000";
        try (LazyRegion lazy = LazyRegion.mount("lazy-slow", layout(chunks),
                PagerConfig.of(source).withPullers(0).withStandby(false))) {
            assertEquals(expected.get(JAVA_LONG, 3L * CHUNK), lazy.segment().get(JAVA_LONG, 3L * CHUNK));
            assertTrue(lazy.status().maxFaultNanos() >= 20_000_000, "the 20 ms delay shows in the fault latency: "
                    + lazy.status().maxFaultNanos());
        }
    }

    @Test
    void aSourceThatRecoversWithinTheRetriesLosesNothing() throws Exception {
        int chunks = 16;
        String source = image(chunks, 6) + "?failFirst=2";
        try (LazyRegion lazy = LazyRegion.mount("lazy-flaky", layout(chunks),
                PagerConfig.of(source).withPullers(0).withStandby(false).withRetries(3, Duration.ofMillis(1)))) {
            assertEquals(expected.get(JAVA_LONG, 7L * CHUNK), lazy.segment().get(JAVA_LONG, 7L * CHUNK));
            assertEquals(2, lazy.status().fetchFailures());
            assertEquals(0, lazy.status().chunksPoisoned());
        }
    }

    /** With write tracking too: the kernel will not poison over the write-protect markers of missing pages. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aSourceThatKeepsFailingFailsTheFaultingThreadNotWithZeros(boolean writeTracking) throws Exception {
        int chunks = 16;
        String source = image(chunks, 7) + "?fail=always";
        try (LazyRegion lazy = LazyRegion.mount("lazy-broken-" + writeTracking, layout(chunks),
                PagerConfig.of(source).withPullers(0).withStandby(false).withRetries(2, Duration.ofMillis(1))
                        .withWriteTracking(writeTracking))) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            long[] value = {42};
            Thread reader = Thread.ofPlatform().start(() -> {
                try {
                    value[0] = lazy.segment().get(JAVA_LONG, 2L * CHUNK);
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            reader.join(30_000);
            assertTrue(!reader.isAlive(), "the faulting thread is still blocked");
            assertNotNull(thrown.get(), "the read returned " + value[0] + " instead of failing");
            assertInstanceOf(InternalError.class, thrown.get());
            assertEquals(1, lazy.status().chunksPoisoned());
            assertEquals(3, lazy.status().fetchFailures(), "one attempt and two retries");
        }
    }

    @Test
    void aKilledPagerIsReplacedByTheStandbyAndNoFaultIsLost() throws Exception {
        int chunks = 1024;
        String source = image(chunks, 8) + "?delayUs=500";
        try (LazyRegion lazy = LazyRegion.mount("lazy-kill", layout(chunks),
                PagerConfig.of(source).withPullers(0).withStandby(true))) {
            assertTrue(lazy.awaitStandby(Duration.ofSeconds(60)), "the standby started");
            long first = lazy.activePagerPid();
            long standby = lazy.standbyPagerPid();
            assertTrue(standby > 0);
            Thread killer = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
                ProcessHandle.of(first).ifPresent(ProcessHandle::destroyForcibly);
            });
            Throwable failure = touchAll(lazy.segment(), 4);
            killer.join();
            if (failure != null) {
                throw new AssertionError(failure);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (lazy.status().takeovers() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(1, lazy.status().takeovers());
            assertEquals(standby, lazy.status().activePagerPid());
            while (lazy.standbyPagerPid() == -1 || lazy.standbyPagerPid() == standby) {
                assertTrue(System.nanoTime() < deadline, "no new standby was started");
                Thread.sleep(20);
            }
            assertEquals(standby, lazy.activePagerPid());
            lazy.invalidate(0, 1);
            assertEquals(expected.get(JAVA_LONG, 0), lazy.segment().get(JAVA_LONG, 0), "the new active pager serves");
        }
    }

    @Test
    void closingWithFaultsPendingLeavesNoThreadBlocked() throws Exception {
        int chunks = 16;
        String source = image(chunks, 9) + "?delayUs=60000000";
        LazyRegion lazy = LazyRegion.mount("lazy-close", layout(chunks),
                PagerConfig.of(source).withPullers(0).withStandby(false).withCloseTimeout(Duration.ofMillis(300)));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                lazy.segment().get(JAVA_LONG, 4L * CHUNK);
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (lazy.status().faults() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(lazy.status().faults() > 0, "the reader faulted");
        lazy.close();
        reader.join(30_000);
        assertTrue(!reader.isAlive(), "the faulting thread is still blocked after close");
        assertNotNull(thrown.get(), "the pending read must fail, not return zeros");
    }

    @ParameterizedTest
    @ValueSource(strings = {"copy", "map", "write"})
    void pagesDroppedFromTheMappingOrTheShmemBehindThePagersBackAreServedAgain(String method) throws Exception {
        int chunks = 8;
        String source = image(chunks, 10);
        System.setProperty("memsync.pager.install", method);
        try (LazyRegion lazy = LazyRegion.mount("lazy-dropped-" + method, layout(chunks),
                PagerConfig.of(source).withPullers(1).withStandby(false))) {
            System.clearProperty("memsync.pager.install");
            assertTrue(lazy.awaitAvailability(1.0, Duration.ofSeconds(30)));
            long address = lazy.segment().address();
            // Unmapped here but still in the shmem: a MINOR fault, mapped again.
            io.memsync.region.linux.LibC.madvise(address + 2L * CHUNK, CHUNK,
                    io.memsync.region.linux.LibC.MADV_DONTNEED);
            assertEquals(expected.get(JAVA_LONG, 2L * CHUNK + 4096), lazy.segment().get(JAVA_LONG, 2L * CHUNK + 4096));
            // Gone from the shmem too (a hole punched by someone else): fetched again, not read as zeros.
            io.memsync.region.linux.LibC.fallocate(lazy.region().fileDescriptor(),
                    io.memsync.region.linux.LibC.FALLOC_FL_PUNCH_HOLE | io.memsync.region.linux.LibC.FALLOC_FL_KEEP_SIZE,
                    5L * CHUNK, CHUNK);
            assertEquals(expected.get(JAVA_LONG, 5L * CHUNK + 8), lazy.segment().get(JAVA_LONG, 5L * CHUNK + 8));
            assertEquals(-1, lazy.segment().mismatch(expected));
        }
    }

    /** The failure must also surface from JIT-compiled code, not only from the interpreter. */
    @Test
    void aFailedChunkRaisesInternalErrorInCompiledCodeToo() throws Exception {
        int chunks = 64;
        String source = image(chunks, 11) + "?failFrom=63";
        try (LazyRegion lazy = LazyRegion.mount("lazy-compiled", layout(chunks),
                PagerConfig.of(source).withPullers(0).withStandby(false).withRetries(0, Duration.ZERO))) {
            MemorySegment m = lazy.segment();
            long sum = 0;
            for (int round = 0; round < 20_000; round++) {
                sum += sumFirstWords(m, 62);
            }
            assertTrue(sum != 0);
            long total = sum;
            InternalError e = org.junit.jupiter.api.Assertions.assertThrows(InternalError.class,
                    () -> sumFirstWords(m, 64), "reading the failed chunk must fail (sum so far " + total + ")");
            assertTrue(e.getMessage().contains("unsafe memory access"), e.getMessage());
            assertEquals(1, lazy.status().chunksPoisoned());
        }
    }

    private static long sumFirstWords(MemorySegment m, int chunks) {
        long sum = 0;
        for (int c = 0; c < chunks; c++) {
            sum += m.get(JAVA_LONG, (long) c * CHUNK);
        }
        return sum;
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "dir"})
    void fileAndDirectoryStoresServeAsSources(String kind, @org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        int chunks = 32;
        image(chunks, 12);
        ChunkLayout layout = layout(chunks);
        String spec;
        try (io.memsync.region.Region original = io.memsync.region.Region.builder("src").size(layout.regionSize())
                .chunkSize(CHUNK).create()) {
            MemorySegment.copy(expected, 0, original.segment(), 0, layout.regionSize());
            if (kind.equals("file")) {
                try (var store = io.memsync.region.store.FileChunkStore.open(dir.resolve("img"), layout)) {
                    io.memsync.region.store.RegionImages.save(original, store);
                }
                spec = "file:" + dir.resolve("img");
            } else {
                try (var store = io.memsync.region.store.DirectoryChunkStore.open(dir.resolve("d"), layout)) {
                    io.memsync.region.store.RegionImages.save(original, store);
                }
                spec = "dir:" + dir.resolve("d");
            }
        }
        try (LazyRegion lazy = LazyRegion.mount("lazy-" + kind, layout, PagerConfig.of(spec).withStandby(false))) {
            assertEquals(expected.get(JAVA_LONG, 17L * CHUNK + 64), lazy.segment().get(JAVA_LONG, 17L * CHUNK + 64));
            assertTrue(lazy.awaitAvailability(1.0, Duration.ofSeconds(30)));
            assertEquals(-1, lazy.segment().mismatch(expected));
        }
    }

    @Test
    void aWriteTrackedLazyRegionReportsExactlyTheChunksTheApplicationWrote() throws Exception {
        assumeTrue(KernelFeatures.get().writeProtectTrackingAvailable(), "write tracking needs WP_ASYNC and "
                + "PAGEMAP_SCAN: " + KernelFeatures.get().describe());
        int chunks = 64;
        String source = image(chunks, 7);
        try (LazyRegion lazy = LazyRegion.mount("lazy-tracked", layout(chunks),
                PagerConfig.of(source).withPullers(0).withStandby(false).withWriteTracking(true))) {
            MemorySegment m = lazy.segment();
            for (int c = 0; c < 8; c++) {
                assertEquals(expected.get(JAVA_LONG, (long) c * CHUNK), m.get(JAVA_LONG, (long) c * CHUNK));
            }
            // Chunk 9 arrives through the untracked mapping, as a pushed chunk would: present, not written here.
            lazy.region().untrackedMapping().set(JAVA_LONG, 9L * CHUNK + 64, 99L);
            io.memsync.region.track.DirtyTracker tracker = lazy.startTracking();
            io.memsync.region.ChunkSet dirty = new io.memsync.region.ChunkSet(chunks);
            tracker.collect(dirty);
            assertEquals(0, dirty.cardinality(), "every page starts clean");

            m.set(JAVA_LONG, 3L * CHUNK + 8, 1L);      // present, paged in above
            m.set(JAVA_LONG, 9L * CHUNK + 8, 2L);      // present through the other mapping
            m.set(JAVA_LONG, 40L * CHUNK + 8, 3L);     // missing: faults, is paged in, then written
            assertEquals(expected.get(JAVA_LONG, 40L * CHUNK + 16), m.get(JAVA_LONG, 40L * CHUNK + 16),
                    "the rest of a chunk written before it was present comes from the source");
            assertEquals(99L, m.get(JAVA_LONG, 9L * CHUNK + 64), "the pushed bytes won over the source's");
            tracker.collect(dirty);
            assertTrue(dirty.contains(3) && dirty.contains(9) && dirty.contains(40), "written chunks: " + dirty);
            dirty.clear();
            m.get(JAVA_LONG, 50L * CHUNK);
            tracker.collect(dirty);
            assertTrue(!dirty.contains(3) && !dirty.contains(9), "reported once: " + dirty);
        }
    }

    // ---- hole 9: poison is not for ever ----------------------------------------------------------------------

    /** Reads {@code chunk}'s first word; null while reading it fails (the chunk is poisoned). */
    private static Long readOrNull(MemorySegment m, int chunk) {
        try {
            return m.get(JAVA_LONG, (long) chunk * CHUNK);
        } catch (InternalError poisoned) {
            return null;
        }
    }

    private static void assertPoisoned(MemorySegment m, int chunk) {
        assertEquals(null, readOrNull(m, chunk), "chunk " + chunk + " should fail while its source fails");
    }

    /** The application's next write to {@code chunk} is seen by {@code tracker}. */
    private static void assertWritesAreTracked(LazyRegion lazy, io.memsync.region.track.DirtyTracker tracker,
                                               int chunk) {
        io.memsync.region.ChunkSet dirty = new io.memsync.region.ChunkSet(lazy.layout().chunkCount());
        tracker.collect(dirty);
        dirty = new io.memsync.region.ChunkSet(lazy.layout().chunkCount());
        lazy.segment().set(JAVA_LONG, (long) chunk * CHUNK + 64, 0x5eed);
        tracker.collect(dirty);
        assertTrue(dirty.contains(chunk), "a write to chunk " + chunk + " after it came back is tracked");
    }

    /** Before: a chunk given up on during a short outage failed every read until invalidated. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aPoisonedChunkIsFetchedAgainOnceItsSourceRecovers(boolean writeTracking) throws Exception {
        int chunks = 16;
        String source = image(chunks, 21) + "?failFirst=1";
        try (LazyRegion lazy = LazyRegion.mount("lazy-recover-" + writeTracking, layout(chunks),
                PagerConfig.of(source).withPullers(0).withStandby(false).withRetries(0, Duration.ZERO)
                        .withRecovery(Duration.ofMillis(200)).withWriteTracking(writeTracking))) {
            var tracker = writeTracking ? lazy.startTracking() : null;
            MemorySegment m = lazy.segment();
            assertPoisoned(m, 2);
            assertEquals(1, lazy.status().chunksPoisoned());
            Long value = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (value == null && System.nanoTime() - deadline < 0) {
                Thread.sleep(50);
                value = readOrNull(m, 2);
            }
            assertNotNull(value, "chunk 2 still fails 20 s after its source recovered");
            assertEquals(-1, m.asSlice(2L * CHUNK, CHUNK).mismatch(expected.asSlice(2L * CHUNK, CHUNK)));
            // The pager counts the recovery just after the install, which the reader may see first.
            for (long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                 lazy.status().chunksRecovered() == 0 && System.nanoTime() - until < 0; ) {
                Thread.sleep(10);
            }
            assertEquals(1, lazy.status().chunksRecovered());
            assertEquals(PagerStatus.FATE_NONE, lazy.status().fate(2));
            assertTrue(lazy.isPresent(2));
            if (tracker != null) {
                assertWritesAreTracked(lazy, tracker, 2);
            }
        }
    }

    /** Before: the bytes a push wrote behind the poison stayed unreadable (the pager cannot install over them). */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aPoisonedChunkReadsTheBytesThatArriveFromElsewhere(boolean writeTracking) throws Exception {
        int chunks = 16;
        String source = image(chunks, 22) + "?fail=always";
        try (LazyRegion lazy = LazyRegion.mount("lazy-arrive-" + writeTracking, layout(chunks),
                PagerConfig.of(source).withPullers(0).withStandby(false).withRetries(0, Duration.ZERO)
                        .withRecovery(Duration.ZERO).withWriteTracking(writeTracking))) {
            var tracker = writeTracking ? lazy.startTracking() : null;
            MemorySegment m = lazy.segment();
            assertPoisoned(m, 3);
            lazy.region().untrackedMapping().asSlice(3L * CHUNK, CHUNK).fill((byte) 0x5a);
            assertPoisoned(m, 3);
            lazy.arrived(3);
            assertEquals(0x5a5a5a5a5a5a5a5aL, readOrNull(m, 3));
            assertEquals(-1, m.asSlice(3L * CHUNK, CHUNK).mismatch(lazy.region().untrackedMapping()
                    .asSlice(3L * CHUNK, CHUNK)));
            assertTrue(lazy.isPresent(3));
            assertEquals(PagerStatus.FATE_ARRIVED, lazy.status().fate(3));
            if (tracker != null) {
                assertWritesAreTracked(lazy, tracker, 3);
            }
        }
    }

    @Test
    void aChunkThatArrivedIsNeitherFetchedNorPoisoned() throws Exception {
        int chunks = 16;
        String source = image(chunks, 23) + "?fail=always";
        try (LazyRegion lazy = LazyRegion.mount("lazy-arrived", layout(chunks),
                PagerConfig.of(source).withPullers(0).withStandby(false).withRetries(0, Duration.ZERO))) {
            lazy.region().untrackedMapping().asSlice(5L * CHUNK, CHUNK).fill((byte) 0x11);
            lazy.arrived(5);
            assertEquals(0x1111111111111111L, lazy.segment().get(JAVA_LONG, 5L * CHUNK + 8));
            assertEquals(0, lazy.status().fetchFailures(), "the pager did not try the source");
            assertEquals(0, lazy.status().chunksPoisoned());
            assertTrue(lazy.isPresent(5));
        }
    }

    /** Before: punching the hole left the poison in place, and invalidate did not make the chunk readable. */
    @Test
    void invalidateMakesAPoisonedChunkReadableAgain() throws Exception {
        int chunks = 16;
        String source = image(chunks, 24) + "?failFirst=1";
        try (LazyRegion lazy = LazyRegion.mount("lazy-invalidate-poisoned", layout(chunks),
                PagerConfig.of(source).withPullers(0).withStandby(false).withRetries(0, Duration.ZERO)
                        .withRecovery(Duration.ZERO))) {
            MemorySegment m = lazy.segment();
            assertPoisoned(m, 4);
            lazy.invalidate(4, 5);
            assertEquals(expected.get(JAVA_LONG, 4L * CHUNK), readOrNull(m, 4));
            assertEquals(0, lazy.status().chunksRecovered());
        }
    }
}
