package io.memsync.cluster;

import io.memsync.cluster.wire.ReplicaSink;

import java.util.Map;
import java.util.TreeMap;

/**
 * Runs after each flush of an owned region: records in the directory the epoch each replica acknowledged, which
 * failover reads to promote a replica holding every flushed epoch. Every write is a Hazelcast round trip (and waits
 * for a member that holds the entry and does not answer), so it is skipped in the steady state where it changes
 * nothing: every replica complete, all at one epoch, and the directory told so last time, all at one epoch too.
 * Then any replica failover may pick holds everything, whatever the numbers say. Whenever a replica falls behind,
 * is being refilled, joins or leaves, every flush writes again, as before.
 */
final class AckRecorder implements Runnable {
    /** Writes one replica's acknowledged epoch into the directory. */
    interface DirectoryAcks {
        void ack(String member, long epoch);
    }

    private final ReplicaSink sink;
    private final DirectoryAcks directory;
    /** What the last write told the directory (guarded by this object). */
    private Map<String, Long> written = Map.of();

    AckRecorder(ReplicaSink sink, DirectoryAcks directory) {
        this.sink = sink;
        this.directory = directory;
    }

    @Override
    public synchronized void run() {
        Map<String, Long> complete = new TreeMap<>();
        int replicas = 0;
        for (ReplicaSink.Replica r : sink.replicas()) {
            replicas++;
            long epoch = sink.completeEpoch(r);
            if (epoch >= 0) {
                complete.put(r.member(), epoch);
            }
        }
        if (!needsRecording(complete, replicas, written)) {
            return;
        }
        for (Map.Entry<String, Long> e : complete.entrySet()) {
            directory.ack(e.getKey(), e.getValue());
        }
        written = Map.copyOf(complete);
    }

    /**
     * Whether the directory must hear of {@code complete} (member to the epoch it holds completely) given that the
     * sink pushes to {@code replicas} replicas and the directory was last told {@code written}.
     */
    static boolean needsRecording(Map<String, Long> complete, int replicas, Map<String, Long> written) {
        return complete.size() != replicas || !level(complete) || !level(written)
                || !complete.keySet().equals(written.keySet());
    }

    private static boolean level(Map<String, Long> epochs) {
        return epochs.values().stream().distinct().count() <= 1;
    }
}
