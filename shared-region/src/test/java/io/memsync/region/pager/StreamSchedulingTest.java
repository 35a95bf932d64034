package io.memsync.region.pager;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static io.memsync.region.pager.FetchSchedulerTest.install;
import static io.memsync.region.pager.FetchSchedulerTest.status;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scheduler's rules for a background stream: what a want asks for and in what order, which streamed chunks are
 * taken, what pullers and faults do meanwhile, and that a fault left to the stream is fetched anyway in time.
 */
class StreamSchedulingTest {


    @Test
    void aWantAsksForTheMissingChunksFromItsStartAroundToItAndSkipsThePresent() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            PagerStatus status = status(arena, 10);
            FetchScheduler s = new FetchScheduler(10, 0, 0);
            install(s, 3, status);
            install(s, 7, status);
            int[] ranges = new int[16];
            int pairs = s.wantMissing(5, ranges, 8);
            assertArrayEquals(new int[]{5, 7, 8, 10, 0, 3, 4, 5}, java.util.Arrays.copyOf(ranges, 2 * pairs));
            assertEquals(2, s.wantMissing(5, ranges, 2), "cut at the most ranges a want carries");
        }
    }

    @Test
    void aStreamedChunkIsTakenOnceAndNotAfterAnInvalidationSinceItWasAskedFor() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            PagerStatus status = status(arena, 4);
            FetchScheduler s = new FetchScheduler(4, 0, 0);
            s.wantMissing(0, new int[8], 4);
            int gen = s.claimStreamed(1);
            assertTrue(gen >= 0);
            assertEquals(-1, s.claimStreamed(1), "claimed once");
            assertTrue(s.beginInstall(1, gen));
            s.endInstall(1, status);
            assertEquals(-1, s.claimStreamed(1), "present: dropped");
            s.beginInvalidate(2, 3, status);
            s.endInvalidate(2, 3);
            assertEquals(-1, s.claimStreamed(2), "bytes asked for before the invalidation are stale");
            s.wantMissing(0, new int[8], 4);
            assertTrue(s.claimStreamed(2) >= 0, "asked for again, it is taken");
        }
    }

    @Test
    void whileStreamingPullersTakeNoBackgroundWorkAndFaultsQueueNoReadAhead() throws Exception {
        FetchScheduler s = new FetchScheduler(8, 4, 0);
        s.streaming(true);
        assertEquals(-2, s.take(true, 0), "no background work for pullers");
        assertFalse(s.fault(6, System.nanoTime(), true));
        assertEquals(6, s.take(true, 0), "the fault itself is fetched");
        assertEquals(-2, s.take(true, 0), "and nothing read ahead of it");
        s.streaming(false);
        assertTrue(s.take(true, 0) >= 0, "without a stream, pullers pull in the background");
    }

    @Test
    void aFaultJustAheadOfTheStreamWaitsForItButIsFetchedWhenItsTimeIsUp() throws Exception {
        FetchScheduler s = new FetchScheduler(1024, 0, 0);
        s.streaming(true);
        s.wantMissing(0, new int[2048], 1024);
        s.streamed(9, 10_000);
        long now = System.nanoTime();
        assertFalse(s.fault(12, now, false));
        assertEquals(-2, s.take(false, 0), "chunk 12 is the stream's, 3 chunks after its position");
        assertFalse(s.fault(900, now, false));
        assertEquals(900, s.take(false, 0), "a fault far from the stream is fetched at once");
        long wait = s.requeueDue(now);
        assertTrue(wait > 0 && wait <= FetchScheduler.MAX_DEFER_NANOS, "due within the bound: " + wait);
        assertEquals(-2, s.take(false, 0));
        s.requeueDue(now + wait);
        assertEquals(12, s.take(false, 0), "not delivered in time: fetched like any fault");
    }

    @Test
    void aFaultLeftToTheStreamIsFetchedAtOnceWhenTheStreamEnds() throws Exception {
        FetchScheduler s = new FetchScheduler(64, 0, 0);
        s.streaming(true);
        s.wantMissing(0, new int[128], 64);
        s.streamed(0, 10_000);
        assertFalse(s.fault(2, System.nanoTime(), false));
        assertEquals(-2, s.take(false, 0));
        assertFalse(s.faultsWaiting(), "the only waiter waits for the stream");
        s.streaming(false);
        assertEquals(2, s.take(false, 0), "the stream ended: its waiting fault is fetched");
        assertTrue(s.faultsWaiting());
    }

    @Test
    void theStreamTakesAChunkAFaultQueuedAndTheFaultFetcherThenSkipsIt() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            PagerStatus status = status(arena, 4);
            FetchScheduler s = new FetchScheduler(4, 0, 0);
            s.streaming(true);
            s.wantMissing(0, new int[8], 4);
            assertFalse(s.fault(3, System.nanoTime(), false));
            int gen = s.claimStreamed(3);
            assertTrue(gen >= 0, "queued for a fault, still the stream's to deliver");
            assertEquals(-2, s.take(false, 0), "the fault fetcher finds it on its way");
            assertTrue(s.beginInstall(3, gen));
            assertTrue(s.endInstall(3, status) != 0, "the fault's waiter is woken by the streamed install");
        }
    }

    @Test
    void aWantAsksForThePullFirstChunksFirstThenTheRestInAddressOrderEachOnce() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            PagerStatus status = status(arena, 10);
            FetchScheduler s = new FetchScheduler(10, 0, 0);
            install(s, 8, status);
            s.pullFirst(new int[]{7, 8, 2, 3, 9}, false);
            int[] ranges = new int[32];
            int pairs = s.wantMissing(0, ranges, 16);
            assertArrayEquals(new int[]{7, 8, 2, 4, 9, 10, 0, 2, 4, 7}, java.util.Arrays.copyOf(ranges, 2 * pairs),
                    "7, then 2-3 (8 is present), 9, then what is left from 0 on");
            for (int c : new int[]{7, 2, 3, 9, 0, 5}) {
                assertTrue(s.claimStreamed(c) >= 0, "chunk " + c + " is taken when it comes");
            }
            pairs = s.wantMissing(0, ranges, 1);
            assertEquals(1, pairs, "a want cut short after the pull-first part");
            assertTrue(s.claimStreamed(4) >= 0, "a chunk the cut want did not reach is still taken");
        }
    }

    @Test
    void withoutAStreamPullersTakeThePullFirstChunksBeforeTheBackgroundOrder() throws Exception {
        FetchScheduler s = new FetchScheduler(10, 0, 0);
        s.pullFirst(new int[]{6, 1}, true);
        assertEquals(6, s.take(true, 0));
        assertEquals(1, s.take(true, 0));
        assertEquals(0, s.take(true, 0), "then the background order");
    }
}
