package io.memsync.cluster;

/**
 * What the last flush of a region owned by a node that left did ({@link Node#leave}).
 *
 * @param region  the region's name
 * @param replicas replicas the region had placed when the node left
 * @param millis  how long the flush took
 * @param failure null if the replica quorum acknowledged every write made before; else why not (the writes since the
 *                region's last acknowledged flush may be missing on its replicas)
 */
public record LastFlush(String region, int replicas, long millis, String failure) {
    public boolean succeeded() {
        return failure == null;
    }

    @Override
    public String toString() {
        return "region " + region + ": " + (failure == null ? "flushed to " + replicas + " replica"
                + (replicas == 1 ? "" : "s") + " in " + millis + " ms" : "last flush failed after " + millis + " ms: "
                + failure);
    }
}
