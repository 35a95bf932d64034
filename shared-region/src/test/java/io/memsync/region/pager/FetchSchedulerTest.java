package io.memsync.region.pager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The scheduler's rules for faults on chunks already present: stale events against pages that are gone. */
class FetchSchedulerTest {

    static PagerStatus status(Arena arena, int chunks) {
        MemorySegment memory = arena.allocate(PagerStatus.bytesFor(chunks), 4096);
        return PagerStatus.format(memory, chunks);
    }

    /** Fetches and installs {@code chunk} the way a fault fetcher does. */
    static void install(FetchScheduler s, int chunk, PagerStatus status) throws InterruptedException {
        assertFalse(s.fault(chunk, System.nanoTime(), false), "a missing chunk is queued");
        assertEquals(chunk, s.take(false, 0));
        assertTrue(s.beginInstall(chunk, s.generation(chunk)));
        s.endInstall(chunk, status);
    }

    @Test
    void eachThreadHeldUpByAnInstallMayLeaveAStaleEventWithoutTheChunkBeingFetchedAgain() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            PagerStatus status = status(arena, 4);
            FetchScheduler s = new FetchScheduler(4, 0, FetchScheduler.STALE_FAULTS_BEFORE_REFETCH);
            install(s, 2, status);
            // Six threads faulted on different pages of chunk 2 before it was installed; their events are read
            // after it. None of them means the chunk is gone (the old limit of 3 fetched it again on the 4th).
            for (int thread = 0; thread < 6; thread++) {
                assertTrue(s.fault(2, System.nanoTime(), false), "stale event " + thread + " only wakes");
            }
            assertEquals(-2, s.take(false, 0), "nothing to fetch");
            assertTrue(status.isPresent(2));
        }
    }

    /**
     * A fault that will wait is told to the listener (the pager's touch log) inside {@code fault}, before a fetcher can
     * take the chunk, install it and wake the thread: the touch is counted by the time the thread's read returns.
     * (Recorded after {@code fault} returned, it raced the install: a reader of the count once saw 31 of 32.) A stale
     * event on a present chunk is not a wait.
     */
    @Test
    void aWaitIsToldBeforeItsChunkCanBeFetched() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            PagerStatus status = status(arena, 4);
            FetchScheduler s = new FetchScheduler(4, 0, FetchScheduler.STALE_FAULTS_BEFORE_REFETCH);
            java.util.List<String> told = new java.util.ArrayList<>();
            s.onWait(chunk -> {
                try {
                    // A fetcher asking now finds nothing to take: the chunk is not queued yet.
                    told.add(chunk + (s.take(false, 0) == -2 ? " before any fetch" : " after a fetch"));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            assertFalse(s.fault(3, System.nanoTime(), false));
            assertEquals(java.util.List.of("3 before any fetch"), told);
            assertEquals(3, s.take(false, 0), "then fetched");
            assertTrue(s.beginInstall(3, s.generation(3)));
            s.endInstall(3, status);
            assertTrue(s.fault(3, System.nanoTime(), false), "a stale event");
            assertEquals(1, told.size(), "a stale event is no wait");
        }
    }

    @Test
    void aPresentChunkThatKeepsFaultingInMissingModeIsFetchedAgain() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            PagerStatus status = status(arena, 4);
            FetchScheduler s = new FetchScheduler(4, 0, FetchScheduler.STALE_FAULTS_BEFORE_REFETCH);
            install(s, 1, status);
            for (int i = 0; i < FetchScheduler.STALE_FAULTS_BEFORE_REFETCH; i++) {
                assertTrue(s.fault(1, System.nanoTime(), false));
            }
            // A thread that faults again and again on a present chunk: its page is gone from under us.
            assertFalse(s.fault(1, System.nanoTime(), false), "taken as lost");
            assertEquals(1, s.take(false, 0), "fetched again");
        }
    }

    @Test
    void inMinorModeTheCallerDecidesAndStaleEventsNeverRefetch() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            PagerStatus status = status(arena, 4);
            FetchScheduler s = new FetchScheduler(4, 0, 0);
            install(s, 3, status);
            for (int i = 0; i < 2 * FetchScheduler.STALE_FAULTS_BEFORE_REFETCH; i++) {
                assertTrue(s.fault(3, System.nanoTime(), false));
            }
            assertEquals(-2, s.take(false, 0));
            // The caller found the page gone from the page cache.
            s.lost(3, status);
            assertFalse(status.isPresent(3));
            assertFalse(s.fault(3, System.nanoTime(), false));
            assertEquals(3, s.take(false, 0));
        }
    }
}
