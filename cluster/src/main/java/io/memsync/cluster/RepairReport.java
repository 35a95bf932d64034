package io.memsync.cluster;

import java.util.Map;

/**
 * What an anti-entropy check of a region found and fixed ({@link Node#repair}).
 *
 * @param region   the region's name
 * @param from     first chunk compared
 * @param chunks   chunks compared with each replica
 * @param replicas replicas whose copies were compared
 * @param fixed    per replica (node name) the chunks that differed from the owner's and were sent again
 * @param millis   how long it took
 */
public record RepairReport(String region, int from, int chunks, int replicas, Map<String, Integer> fixed,
                           long millis) {
    public RepairReport {
        fixed = Map.copyOf(fixed);
    }

    /** Chunks sent again, over all replicas. */
    public int chunksFixed() {
        return fixed.values().stream().mapToInt(Integer::intValue).sum();
    }

    @Override
    public String toString() {
        return "region " + region + ": compared chunks " + from + ".." + (from + chunks - 1) + " with " + replicas
                + " replica" + (replicas == 1 ? "" : "s") + " in " + millis + " ms; " + (fixed.isEmpty()
                ? "all identical" : "sent again the chunks that differed: " + fixed);
    }
}
