package io.memsync.jmx;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.RegionRecord;

import java.util.Map;
import java.util.TreeMap;

/**
 * How many epochs (flushes) each replica of a region owned here is behind the owner. A replica with a working link
 * is as far as its proven-complete acknowledgement; one still being filled counts every epoch; one the directory
 * names but that has no link now counts from what the directory last recorded for it.
 */
final class ReplicaLag {
    private ReplicaLag() {
    }

    /** Replica member uuid to epochs behind; empty unless {@code copy} is the owner's. */
    static Map<String, Long> of(ClusterRegion copy, RegionRecord record) {
        Map<String, Long> lag = new TreeMap<>();
        if (copy == null || !copy.isOwner()) {
            return lag;
        }
        long epoch = copy.epoch();
        copy.replicaEpochs().forEach((member, complete) -> lag.put(member, epoch - complete));
        if (record != null) {
            for (String member : record.replicas()) {
                lag.putIfAbsent(member, epoch - record.ackedEpoch(member));
            }
        }
        return lag;
    }

    /** The largest lag, 0 with no replica. */
    static long max(Map<String, Long> lag) {
        return lag.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }
}
