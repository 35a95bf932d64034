package io.memsync.cluster;

/**
 * What a completed migration did, measured on the source.
 *
 * @param rounds           dirty rounds before the handover
 * @param finalChunks      chunks sent while the writers were paused
 * @param chunksSent       chunks the source pushed during the migration (the destination pulled the rest)
 * @param pauseStartNanos  when the writers were paused ({@link System#nanoTime()}: on Linux the same clock in every
 *                         process of the host, so the destination's first write can be compared with it)
 * @param pauseNanos       from pausing the writers to the directory naming the destination owner
 * @param totalNanos       from the start to the handover
 */
public record MigrationResult(String region, String destination, long token, int rounds, long finalChunks,
                              long chunksSent, long pauseStartNanos, long pauseNanos, long totalNanos) {
}
