package io.memsync.cluster;

/** A migration under way or finished, as the source sees it; safe to read from any thread. */
public final class MigrationProgress {
    /** Where a migration is. */
    public enum Phase { PREPARING, PRECOPY, HANDOVER, DONE, FAILED, CANCELLED }

    private final String region;
    private final String destination;
    private volatile Phase phase = Phase.PREPARING;
    private volatile int rounds;
    private volatile long chunksSent;
    private volatile long lastRoundChunks;
    private volatile double destinationAvailability;
    private volatile String failure;
    private volatile boolean cancelRequested;

    MigrationProgress(String region, String destination) {
        this.region = region;
        this.destination = destination;
    }

    public String region() {
        return region;
    }

    public String destination() {
        return destination;
    }

    public Phase phase() {
        return phase;
    }

    public int rounds() {
        return rounds;
    }

    public long chunksSent() {
        return chunksSent;
    }

    public long lastRoundChunks() {
        return lastRoundChunks;
    }

    /** The share of the region the destination reported paged in (last seen during the pre-copy). */
    public double destinationAvailability() {
        return destinationAvailability;
    }

    void destinationAvailability(double share) {
        destinationAvailability = share;
    }

    /** Why it failed, or null. */
    public String failure() {
        return failure;
    }

    /** Asks the migration to stop before the handover; the source stays owner. */
    public void cancel() {
        cancelRequested = true;
    }

    boolean cancelRequested() {
        return cancelRequested;
    }

    void phase(Phase p) {
        phase = p;
    }

    void round(long chunks) {
        rounds++;
        lastRoundChunks = chunks;
        chunksSent += chunks;
    }

    void failed(Phase p, String why) {
        failure = why;
        phase = p;
    }

    @Override
    public String toString() {
        return "migration of " + region + " to " + destination + ": " + phase + ", " + rounds + " rounds, "
                + chunksSent + " chunks sent, destination " + String.format("%.1f", destinationAvailability * 100)
                + " % paged in" + (failure != null ? ", " + failure : "");
    }
}
