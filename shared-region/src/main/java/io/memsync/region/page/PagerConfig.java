package io.memsync.region.page;

import io.memsync.region.pager.InstallMethod;
import io.memsync.region.pager.PagerArguments;

import java.time.Duration;
import java.util.Objects;

/**
 * How a pager serves a lazy region: where chunks come from and how hard it pulls.
 *
 * @param source      a {@link io.memsync.region.store.ChunkSources} spec, opened by the pager itself
 * @param pullers     background pull threads (0: pure on-demand, the "direct mount"); they also take faults
 * @param faultFetchers threads that fetch only faulted chunks, so a fault never waits behind background pulls
 * @param readAhead   chunks after a faulted one queued ahead of the background order (with pullers only)
 * @param retries     source reads retried per chunk before giving up
 * @param retryBackoff first wait between retries, doubled each time
 * @param closeTimeout how long closing waits for outstanding faults before failing them
 * @param standby     whether a standby pager watches the active one and takes over if it dies
 * @param writeTracking whether the application may write the region and track its writes with
 *                      {@link LazyRegion#startTracking()} (write-protect mode on the same userfaultfd; needs the
 *                      default COPY install)
 * @param recovery    how long after a chunk was given up on (its readers failed) the pager fetches it again, doubled
 *                    after each failure up to 30 s or this, whichever is longer; zero: never (until invalidated or
 *                    its bytes {@linkplain LazyRegion#arrived arrive})
 * @param pullFirst   chunks pulled before all others, in this order: a working set recorded by an earlier mount
 *                    ({@link LazyRegion#touchOrder()}), or what the application will need first; empty: none
 */
public record PagerConfig(String source, int pullers, int faultFetchers, int readAhead, int retries,
                          Duration retryBackoff, Duration closeTimeout, boolean standby, boolean writeTracking,
                          Duration recovery, int[] pullFirst) {

    public PagerConfig {
        pullFirst = pullFirst.clone();
        Objects.requireNonNull(source, "source");
        if (pullers < 0 || pullers > 64) {
            throw new IllegalArgumentException("pullers must be in [0, 64], was " + pullers);
        }
        if (faultFetchers < 1 || faultFetchers > 64) {
            throw new IllegalArgumentException("faultFetchers must be in [1, 64], was " + faultFetchers);
        }
        if (readAhead < 0 || retries < 0) {
            throw new IllegalArgumentException("readAhead and retries must not be negative");
        }
        if (retryBackoff.isNegative() || closeTimeout.isNegative() || recovery.isNegative()) {
            throw new IllegalArgumentException("retryBackoff, closeTimeout and recovery must not be negative");
        }
    }

    /**
     * Serves from {@code source} with 4 pullers, 2 fault fetchers, read-ahead 8, 3 retries, a standby, and a chunk
     * given up on fetched again after 1 s.
     */
    public static PagerConfig of(String source) {
        return new PagerConfig(source, 4, 2, 8, 3, Duration.ofMillis(10), Duration.ofSeconds(5), true,
                false, Duration.ofSeconds(1), new int[0]);
    }

    public PagerConfig withPullers(int n) {
        return new PagerConfig(source, n, faultFetchers, readAhead, retries, retryBackoff, closeTimeout,
                standby, writeTracking, recovery, pullFirst);
    }

    public PagerConfig withReadAhead(int n) {
        return new PagerConfig(source, pullers, faultFetchers, n, retries, retryBackoff, closeTimeout,
                standby, writeTracking, recovery, pullFirst);
    }

    public PagerConfig withRetries(int n, Duration backoff) {
        return new PagerConfig(source, pullers, faultFetchers, readAhead, n, backoff, closeTimeout,
                standby, writeTracking, recovery, pullFirst);
    }

    public PagerConfig withCloseTimeout(Duration timeout) {
        return new PagerConfig(source, pullers, faultFetchers, readAhead, retries, retryBackoff, timeout,
                standby, writeTracking, recovery, pullFirst);
    }

    public PagerConfig withStandby(boolean on) {
        return new PagerConfig(source, pullers, faultFetchers, readAhead, retries, retryBackoff, closeTimeout, on,
                writeTracking, recovery, pullFirst);
    }

    public PagerConfig withRecovery(Duration after) {
        return new PagerConfig(source, pullers, faultFetchers, readAhead, retries, retryBackoff, closeTimeout, standby,
                writeTracking, after, pullFirst);
    }

    public PagerConfig withWriteTracking(boolean on) {
        return new PagerConfig(source, pullers, faultFetchers, readAhead, retries, retryBackoff, closeTimeout, standby,
                on, recovery, pullFirst);
    }

    /** Pulls {@code chunks} before all others, in this order (see {@link #pullFirst()}). */
    public PagerConfig withPullFirst(int[] chunks) {
        return new PagerConfig(source, pullers, faultFetchers, readAhead, retries, retryBackoff, closeTimeout, standby,
                writeTracking, recovery, chunks);
    }

    /** The chunks pulled first, in order (a copy). */
    @Override
    public int[] pullFirst() {
        return pullFirst.clone();
    }

    /** What a pager process gets of this configuration (all of it but the standby, which is this side's). */
    PagerArguments.Settings settings(InstallMethod install) {
        return new PagerArguments.Settings(source, install, pullers, faultFetchers, readAhead, retries, retryBackoff,
                closeTimeout, writeTracking, recovery);
    }
}
