package io.memsync.region.track;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSet;
import io.memsync.region.Region;
import io.memsync.region.linux.KernelFeatures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link AdaptiveTracker}: no write is missed while it switches between {@code wp} and {@code hash} under a running
 * writer (a copy kept from its dirty chunks ends byte-identical), and it switches by itself: to {@code hash} when
 * writes spread over many pages, back to {@code wp} when they are few.
 */
@Timeout(120)
class AdaptiveTrackerTest {
    private static final int CHUNK = 64 * 1024;

    private static void assumeWp() {
        assumeTrue(KernelFeatures.get().writeProtectTrackingAvailable(),
                "wp tracking unavailable here: " + KernelFeatures.get().writeProtectTrackingProblem());
    }

    /** Copies every chunk in {@code dirty} from the tracker's payload into {@code copy}, as a syncer would. */
    private static void apply(AdaptiveTracker tracker, ChunkSet dirty, MemorySegment copy, ChunkLayout layout) {
        for (int c = dirty.next(0); c >= 0; c = dirty.next(c + 1)) {
            long at = tracker.preparePayload(c);
            MemorySegment.copy(tracker.payload(), at, copy, layout.offsetOf(c), layout.chunkSize());
        }
        dirty.clear();
    }

    @Test
    void noWriteIsMissedAcrossSwitchesUnderARunningWriter() throws Exception {
        assumeWp();
        int chunks = 64;
        try (Region region = Region.builder("adaptive-switch").size((long) chunks * CHUNK).chunkSize(CHUNK).create();
             Arena arena = Arena.ofShared()) {
            ChunkLayout layout = region.layout();
            MemorySegment m = region.segment();
            MemorySegment copy = arena.allocate(layout.regionSize(), 4096);
            AdaptiveTracker tracker = region.closeWith(new AdaptiveTracker(m, layout,
                    region.fileDescriptor(), "adaptive-switch"));
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writer = Thread.ofPlatform().name("writer").start(() -> {
                SplittableRandom r = new SplittableRandom(1);
                long v = 1;
                while (writing.get()) {
                    m.set(JAVA_LONG, r.nextLong(m.byteSize() / 8) * 8, v++);
                    if ((v & 1023) == 0) {
                        Thread.onSpinWait();
                    }
                }
            });
            ChunkSet dirty = new ChunkSet(chunks);
            try {
                for (int i = 0; i < 200; i++) {
                    tracker.collect(dirty);
                    apply(tracker, dirty, copy, layout);
                    if (i % 5 == 4) {
                        tracker.switchNow(dirty);
                        apply(tracker, dirty, copy, layout);
                    }
                }
            } finally {
                writing.set(false);
                writer.join(10_000);
            }
            tracker.collect(dirty);
            apply(tracker, dirty, copy, layout);
            assertTrue(tracker.switches() >= 40, "40 switches forced, and the policy's own: " + tracker.switches());
            assertEquals(-1L, copy.mismatch(m), "the copy kept from the dirty chunks is the region");
        }
    }

    /**
     * A write in every gap between the steps of each switch (before it, between its steps, after it), each to a chunk
     * of its own that nothing writes again: every one reaches the copy. (With the steps of a switch to hash in another
     * order, protection lifted before the hashes are taken, the write between is lost.)
     */
    @Test
    void aWriteBetweenAnyTwoStepsOfASwitchIsSeen() {
        assumeWp();
        int chunks = 64;
        try (Region region = Region.builder("adaptive-steps").size((long) chunks * CHUNK).chunkSize(CHUNK).create();
             Arena arena = Arena.ofShared()) {
            ChunkLayout layout = region.layout();
            MemorySegment m = region.segment();
            MemorySegment copy = arena.allocate(layout.regionSize(), 4096);
            AdaptiveTracker tracker = region.closeWith(new AdaptiveTracker(m, layout, region.fileDescriptor(),
                    "adaptive-steps", 1));
            int[] next = {0};
            tracker.betweenSteps = () -> m.set(JAVA_LONG, layout.offsetOf(next[0]++) + 64, 0x5157L + next[0]);
            ChunkSet dirty = new ChunkSet(chunks);
            for (int round = 0; round < 6; round++) {
                tracker.betweenSteps.run();
                tracker.switchNow(dirty);
                apply(tracker, dirty, copy, layout);
                tracker.collect(dirty);
                apply(tracker, dirty, copy, layout);
            }
            assertTrue(next[0] >= 6 * 4, "writes made: one before each switch, three during it (and during the "
                    + "switches the policy made itself): " + next[0]);
            assertEquals(-1L, copy.mismatch(m), "the copy kept from the dirty chunks is the region");
        }
    }

    @Test
    void manyPagesWrittenSwitchItToHashAndFewBackToWp() {
        assumeWp();
        int chunks = 256;
        try (Region region = Region.builder("adaptive-policy").size((long) chunks * CHUNK).chunkSize(CHUNK)
                .create()) {
            ChunkLayout layout = region.layout();
            MemorySegment m = region.segment();
            // A fault priced at 20 us: 2 000 pages written a scan cost 40 ms, far more than hashing 16 MiB (a few ms);
            // one changed chunk would cost 20 us, far less.
            AdaptiveTracker tracker = region.closeWith(new AdaptiveTracker(m, layout,
                    region.fileDescriptor(), "adaptive-policy", 20_000));
            ChunkSet dirty = new ChunkSet(chunks);
            assertEquals("auto (wp)", tracker.describe());
            SplittableRandom r = new SplittableRandom(2);
            int scans = 0;
            while (!tracker.hashing() && scans++ < 10) {
                for (int p = 0; p < 2000; p++) {
                    m.set(JAVA_LONG, r.nextLong(m.byteSize() / 4096) * 4096, p);
                }
                tracker.collect(dirty);
                dirty.clear();
            }
            assertTrue(tracker.hashing(), "still wp after " + scans + " scans of 2000 written pages");
            assertEquals(AdaptivePolicy.PATIENCE + 1, scans, "it waits for " + AdaptivePolicy.PATIENCE + " scans "
                    + "after the first (which has no time before it to weigh)");
            assertEquals("auto (hash)", tracker.describe());
            // Now one chunk is written between scans: back to wp.
            scans = 0;
            while (tracker.hashing() && scans++ < AdaptivePolicy.FIRST_RETURN + 10) {
                m.set(JAVA_LONG, 5L * CHUNK + 8 * scans, scans);
                tracker.collect(dirty);
                assertEquals("ChunkSet[5]", dirty.toString(), "the hash scan sees the written chunk");
                dirty.clear();
            }
            assertFalse(tracker.hashing(), "still hash after " + scans + " scans of one written chunk");
            assertEquals(2, tracker.switches());
            // And wp sees the next write.
            m.set(JAVA_LONG, 9L * CHUNK, 1);
            tracker.collect(dirty);
            assertEquals("ChunkSet[9]", dirty.toString());
        }
    }
}
