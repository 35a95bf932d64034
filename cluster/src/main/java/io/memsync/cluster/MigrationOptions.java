package io.memsync.cluster;

import java.time.Duration;

/**
 * How a migration decides to hand over. It runs dirty rounds (each ends with a flush) until a round sent at most
 * {@code maxDirtyChunks} chunks and at least {@code minRounds} ran, or {@code maxRounds} ran; then it pauses the
 * writers, sends the final round and moves ownership.
 *
 * @param minRounds      rounds run at least (a round is one flush: the chunks written since the previous one)
 * @param maxRounds      rounds after which the handover happens whatever a round sends
 * @param maxDirtyChunks a round this small ends the pre-copy
 * @param readyTimeout   how long the destination may take to map the region and start its pager
 * @param handoverTimeout how long the final round may take to be acknowledged by the destination and replicas
 */
public record MigrationOptions(int minRounds, int maxRounds, int maxDirtyChunks, Duration readyTimeout,
                               Duration handoverTimeout) {

    public MigrationOptions {
        if (minRounds < 0 || maxRounds < Math.max(1, minRounds) || maxDirtyChunks < 0) {
            throw new IllegalArgumentException("migration options need 0 <= minRounds <= maxRounds, maxRounds >= 1"
                    + " and maxDirtyChunks >= 0; got " + minRounds + ", " + maxRounds + ", " + maxDirtyChunks);
        }
    }

    /** 1 to 20 rounds, handover once a round sends at most 64 chunks, 60 s to get ready, 10 s to hand over. */
    public static MigrationOptions defaults() {
        return new MigrationOptions(1, 20, 64, Duration.ofSeconds(60), Duration.ofSeconds(10));
    }

    public MigrationOptions withRounds(int min, int max) {
        return new MigrationOptions(min, max, maxDirtyChunks, readyTimeout, handoverTimeout);
    }

    public MigrationOptions withMaxDirtyChunks(int n) {
        return new MigrationOptions(minRounds, maxRounds, n, readyTimeout, handoverTimeout);
    }
}
