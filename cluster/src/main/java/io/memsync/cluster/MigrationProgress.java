package io.memsync.cluster;

/**
 * A migration under way or finished, as the source sees it; safe to read from any thread. Every phase change is
 * told to the node's {@link MigrationListener}s, and the end is recorded as a JFR {@link MigrationEvent}.
 */
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
    private volatile long pauseNanos = -1;
    private final long chunkSize;
    private final MigrationListener listener;
    /** Begun with the migration, committed at its end: its duration is the migration's. */
    private final MigrationEvent event = new MigrationEvent();

    MigrationProgress(String region, String destination) {
        this(region, destination, 0, p -> { });
    }

    /** A migration of {@code region} (chunks of {@code chunkSize} bytes) whose phase changes go to {@code listener}. */
    MigrationProgress(String region, String destination, long chunkSize, MigrationListener listener) {
        this.region = region;
        this.destination = destination;
        this.chunkSize = chunkSize;
        this.listener = listener;
        event.begin();
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

    /** How long the writers were paused for the handover, in nanoseconds; -1 until the handover completed. */
    public long pauseNanos() {
        return pauseNanos;
    }

    void pauseNanos(long nanos) {
        pauseNanos = nanos;
    }

    /** Whether the migration ended (done, failed or cancelled). */
    public boolean ended() {
        return phase.compareTo(Phase.DONE) >= 0;
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

    /** Enters {@code p} (announcing it even if it is the phase already: {@code PREPARING} is announced so). */
    void phase(Phase p) {
        phase = p;
        changed();
    }

    void round(long chunks) {
        rounds++;
        lastRoundChunks = chunks;
        chunksSent += chunks;
    }

    void failed(Phase p, String why) {
        failure = why;
        phase = p;
        changed();
    }

    private void changed() {
        if (ended() && event.shouldCommit()) {
            event.region = region;
            event.destination = destination;
            event.phase = phase.name();
            event.rounds = rounds;
            event.chunksSent = chunksSent;
            event.bytesSent = chunksSent * chunkSize;
            event.pause = Math.max(0, pauseNanos);
            event.failure = failure == null ? "" : failure;
            event.commit();
        }
        listener.phaseChanged(this);
    }

    @Override
    public String toString() {
        return "migration of " + region + " to " + destination + ": " + phase + ", " + rounds + " rounds, "
                + chunksSent + " chunks sent, destination " + String.format("%.1f", destinationAvailability * 100)
                + " % paged in" + (failure != null ? ", " + failure : "");
    }
}
