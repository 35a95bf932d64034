package io.memsync.region.track;

/**
 * When the {@code auto} tracker changes method, from what each scan measured, as shares of a CPU over the time
 * between scans ({@code cycle}). In {@code wp}, the writers pay one fault per page first written after a scan:
 * {@code pages x faultNanos / cycle}. In {@code hash}, the collector reads the whole region every scan:
 * {@code hashNanos / (cycle - wpScanNanos + hashNanos)} (the pause between scans stays, the scan takes longer);
 * {@code hashNanos} is the last hash scan's, or before the first an estimate from CRC32C's speed. A writer's time
 * weighs {@link #WRITER_WEIGHT} times the collector's: faults stall the application's own threads, hashing runs on
 * the collector's beside them (and a probe's fault is cheaper than one among a busy region's).
 * <p>
 * It switches to {@code hash} once faults cost more for {@link #PATIENCE} scans in a row. It goes back to {@code wp}
 * once the chunks a hash scan finds changed would cost the writers, at as many faults a chunk as {@code wp} scans
 * found written pages a chunk (sequential writes fill whole chunks, random ones touch a page), under a quarter of a
 * hash scan, for {@link #FIRST_RETURN} scans in a row. A hash scan sees changed bytes, where {@code wp} faults on
 * every write, rewrites of the same bytes included: a return that proves wrong (back to {@code hash} within
 * {@code 5 x PATIENCE} scans) waits four times as many scans before the next, up to {@link #MAX_BACKOFF}; one that
 * holds resets the wait.
 * <p>
 * One rule, one thread (the tracker's collector); allocation-free.
 */
final class AdaptivePolicy {
    /** Scans in a row faults must cost more before the tracker hashes. */
    static final int PATIENCE = 3;
    /** Scans in a row that favour {@code wp} before the first return to it (a switch is not free: see the class). */
    static final int FIRST_RETURN = 100;
    /** At most this many scans in {@code hash} before {@code wp} is tried again. */
    static final int MAX_BACKOFF = 10_000;
    /** How much more a writer's CPU time counts than the collector's. */
    static final double WRITER_WEIGHT = 4;

    private final long faultNanos;
    /** Pages and chunks {@code wp} scans found written, decayed: their ratio prices a changed chunk under wp. */
    private double pagesSeen;
    private double chunksSeen;
    private boolean hash;
    private int streak;
    private int scansInMode;
    private int backoff = FIRST_RETURN;
    /** Whether the tracker came back to {@code wp} from {@code hash} (not {@code wp} since the start). */
    private boolean returned;

    /** @param faultNanos what one write-protect fault costs the writer here */
    AdaptivePolicy(long faultNanos) {
        this.faultNanos = Math.max(1, faultNanos);
    }

    /** Whether the tracker hashes now (else it write-protects). */
    boolean hashing() {
        return hash;
    }

    /** A {@code wp} scan found {@code chunks} chunks written (called before {@link #afterWpScan}). */
    void chunksWritten(long chunks) {
        chunksSeen = chunksSeen * 0.9 + chunks;
    }

    /** Pages a changed chunk costs under {@code wp}: as {@code wp} scans found, 1 before any. */
    double pagesPerChunk() {
        return chunksSeen < 1 ? 1 : Math.max(1, pagesSeen / chunksSeen);
    }

    /** What one write-protect fault costs the writer, as given. */
    long faultNanos() {
        return faultNanos;
    }

    /** Scans in a row a return to {@code wp} waits for now. */
    int backoff() {
        return backoff;
    }

    /**
     * A {@code wp} scan that took {@code wpScanNanos}, {@code cycleNanos} after the one before, found {@code pages}
     * pages written; {@code hashNanos} is what a hash scan of the region costs. True: switch to {@code hash} now.
     */
    boolean afterWpScan(long pages, long cycleNanos, long wpScanNanos, long hashNanos) {
        scansInMode++;
        pagesSeen = pagesSeen * 0.9 + pages;
        double cycle = Math.max(1, cycleNanos);
        double faults = WRITER_WEIGHT * pages * faultNanos / cycle;
        double hashing = hashNanos / Math.max(1.0, cycle - wpScanNanos + hashNanos);
        streak = faults > hashing ? streak + 1 : 0;
        if (streak < PATIENCE) {
            return false;
        }
        backoff = returned && scansInMode <= 5 * PATIENCE ? Math.min(MAX_BACKOFF, backoff * 4) : FIRST_RETURN;
        switchMode(true);
        return true;
    }

    /**
     * A {@code hash} scan took {@code hashNanos} and found {@code changedChunks} chunks changed. True: switch to
     * {@code wp} now.
     */
    boolean afterHashScan(long changedChunks, long hashNanos) {
        scansInMode++;
        streak = changedChunks * pagesPerChunk() * faultNanos * 4 < hashNanos ? streak + 1 : 0;
        if (streak < backoff) {
            return false;
        }
        returned = true;
        switchMode(false);
        return true;
    }

    private void switchMode(boolean toHash) {
        hash = toHash;
        streak = 0;
        scansInMode = 0;
    }
}
