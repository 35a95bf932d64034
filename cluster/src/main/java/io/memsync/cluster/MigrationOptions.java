package io.memsync.cluster;

import java.time.Duration;

/**
 * How a migration decides to hand over. It runs dirty rounds (each ends with a flush) until the destination paged
 * in at least {@code minAvailability} of the region (or {@code maxPrecopy} passed), and a round sent at most
 * {@code maxDirtyChunks} chunks with at least {@code minRounds} run (or {@code maxRounds} ran); then it pauses the
 * writers, sends the final round and moves ownership. Waiting for the destination to page everything in keeps the
 * pause short (nothing else loads the machines then) and spares its writers faults afterwards; a lower
 * {@code minAvailability} hands over sooner and leaves the rest to post-copy.
 *
 * @param minRounds      rounds run at least (a round is one flush: the chunks written since the previous one)
 * @param maxRounds      rounds after which the handover happens whatever a round sends
 * @param maxDirtyChunks a round this small ends the pre-copy
 * @param minAvailability share of the region the destination must hold before the handover, in [0, 1]
 * @param maxPrecopy     how long to wait for that at most
 * @param readyTimeout   how long the destination may take to map the region and start its pager
 * @param handoverTimeout how long the final round may take to be acknowledged by the destination and replicas
 */
public record MigrationOptions(int minRounds, int maxRounds, int maxDirtyChunks, double minAvailability,
                               Duration maxPrecopy, Duration readyTimeout, Duration handoverTimeout) {

    public MigrationOptions {
        if (minRounds < 0 || maxRounds < Math.max(1, minRounds) || maxDirtyChunks < 0) {
            throw new IllegalArgumentException("migration options need 0 <= minRounds <= maxRounds, maxRounds >= 1"
                    + " and maxDirtyChunks >= 0; got " + minRounds + ", " + maxRounds + ", " + maxDirtyChunks);
        }
        if (!(minAvailability >= 0 && minAvailability <= 1)) {
            throw new IllegalArgumentException("minAvailability " + minAvailability + " is outside [0, 1]");
        }
    }

    /**
     * Handover once the destination holds everything (at most 60 s of pre-copy) and a round sent at most 64
     * chunks (1 to 20 rounds); 60 s to get ready, 10 s to hand over.
     */
    public static MigrationOptions defaults() {
        return new MigrationOptions(1, 20, 64, 1.0, Duration.ofSeconds(60), Duration.ofSeconds(60),
                Duration.ofSeconds(10));
    }

    public MigrationOptions withRounds(int min, int max) {
        return new MigrationOptions(min, max, maxDirtyChunks, minAvailability, maxPrecopy, readyTimeout,
                handoverTimeout);
    }

    public MigrationOptions withMaxDirtyChunks(int n) {
        return new MigrationOptions(minRounds, maxRounds, n, minAvailability, maxPrecopy, readyTimeout,
                handoverTimeout);
    }

    /** Hands over once the destination holds {@code share} of the region, waiting at most {@code max} for it. */
    public MigrationOptions withMinAvailability(double share, Duration max) {
        return new MigrationOptions(minRounds, maxRounds, maxDirtyChunks, share, max, readyTimeout, handoverTimeout);
    }
}
