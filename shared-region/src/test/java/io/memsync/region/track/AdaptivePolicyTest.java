package io.memsync.region.track;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AdaptivePolicy}: to hash after {@link AdaptivePolicy#PATIENCE} scans whose faults cost the writers more
 * (weighted) than hashing would cost the collector, back to wp after {@link AdaptivePolicy#FIRST_RETURN} scans whose
 * changed chunks would cost under a quarter of one; a burst does not switch it; a changed chunk costs as many faults
 * as wp found pages per chunk; a return to wp that proves wrong at once quadruples the wait before the next, and one
 * that holds resets it.
 */
class AdaptivePolicyTest {
    private static final long FAULT = 10_000;
    private static final long HASH = 5_000_000;
    /** 10 ms between scans, each wp scan 0.5 ms: hashing would take 5 / (10 - 0.5 + 5) = 34 % of a CPU. */
    private static final long CYCLE = 10_000_000;
    private static final long WP_SCAN = 500_000;

    /** Wp scans of {@code pages} pages until it switches (at most 100); the scans taken. */
    private static int wpUntilSwitch(AdaptivePolicy p, long pages) {
        for (int i = 1; i <= 100; i++) {
            if (p.afterWpScan(pages, CYCLE, WP_SCAN, HASH)) {
                return i;
            }
        }
        return -1;
    }

    private static int hashUntilSwitch(AdaptivePolicy p, long chunks) {
        for (int i = 1; i <= 2 * AdaptivePolicy.MAX_BACKOFF; i++) {
            if (p.afterHashScan(chunks, HASH)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void costlyFaultsSwitchToHashAndFewChangesBack() {
        AdaptivePolicy p = new AdaptivePolicy(FAULT);
        // 1000 pages x 10 us in 10 ms: a whole CPU (weighed 4x), against 34 %.
        assertEquals(AdaptivePolicy.PATIENCE, wpUntilSwitch(p, 1000));
        assertTrue(p.hashing());
        // 10 chunks x 10 us x 4 = 0.4 ms < 5 ms.
        assertEquals(AdaptivePolicy.FIRST_RETURN, hashUntilSwitch(p, 10));
        assertFalse(p.hashing());
    }

    @Test
    void cheapFaultsOrABurstKeepWp() {
        AdaptivePolicy p = new AdaptivePolicy(FAULT);
        // 50 pages x 10 us in 10 ms: 5 %, weighed 20 % < 34 %: never.
        assertEquals(-1, wpUntilSwitch(p, 50));
        // Two costly scans, then a cheap one: the streak starts again.
        assertFalse(p.afterWpScan(1000, CYCLE, WP_SCAN, HASH));
        assertFalse(p.afterWpScan(1000, CYCLE, WP_SCAN, HASH));
        assertFalse(p.afterWpScan(10, CYCLE, WP_SCAN, HASH));
        assertFalse(p.afterWpScan(1000, CYCLE, WP_SCAN, HASH));
        assertFalse(p.afterWpScan(1000, CYCLE, WP_SCAN, HASH));
        assertFalse(p.hashing());
    }

    @Test
    void manyChangedChunksKeepHash() {
        AdaptivePolicy p = new AdaptivePolicy(FAULT);
        wpUntilSwitch(p, 1000);
        // 200 chunks x 10 us x 4 = 8 ms > 5 ms: stays.
        assertEquals(-1, hashUntilSwitch(p, 200));
        assertTrue(p.hashing());
    }

    @Test
    void aChangedChunkCostsTheFaultsWpFoundPerChunk() {
        AdaptivePolicy p = new AdaptivePolicy(FAULT);
        // Sequential writes: each chunk wp found written had 16 pages written.
        for (int i = 0; i < AdaptivePolicy.PATIENCE; i++) {
            p.chunksWritten(64);
            p.afterWpScan(64 * 16, CYCLE, WP_SCAN, HASH);
        }
        assertTrue(p.hashing());
        assertEquals(16, p.pagesPerChunk(), 0.01);
        // 10 chunks x 16 pages x 10 us x 4 = 6.4 ms > 5 ms: stays (at one page a chunk it would go back).
        assertEquals(-1, hashUntilSwitch(p, 10));
    }

    @Test
    void aReturnThatProvesWrongQuadruplesTheWaitAndOneThatHoldsResetsIt() {
        AdaptivePolicy p = new AdaptivePolicy(FAULT);
        wpUntilSwitch(p, 1000);
        assertEquals(AdaptivePolicy.FIRST_RETURN, p.backoff());
        assertEquals(AdaptivePolicy.FIRST_RETURN, hashUntilSwitch(p, 10));
        // Back to wp, and at once the faults cost too much again: the next return waits four times as long.
        wpUntilSwitch(p, 1000);
        assertEquals(4 * AdaptivePolicy.FIRST_RETURN, p.backoff());
        assertEquals(4 * AdaptivePolicy.FIRST_RETURN, hashUntilSwitch(p, 10));
        wpUntilSwitch(p, 1000);
        assertEquals(16 * AdaptivePolicy.FIRST_RETURN, p.backoff());
        for (int i = 0; i < 4; i++) {
            hashUntilSwitch(p, 10);
            wpUntilSwitch(p, 1000);
        }
        assertEquals(AdaptivePolicy.MAX_BACKOFF, p.backoff(), "bounded");
        assertEquals(AdaptivePolicy.MAX_BACKOFF, hashUntilSwitch(p, 10));
        // A return that holds (many cheap wp scans, then costly ones) resets the wait.
        assertEquals(-1, wpUntilSwitch(p, 10));
        wpUntilSwitch(p, 1000);
        assertEquals(AdaptivePolicy.FIRST_RETURN, p.backoff());
    }
}
