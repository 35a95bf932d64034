package io.memsync.cluster;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A region as the directory knows it: geometry, owner, fencing token, replicas and the last epoch each replica
 * acknowledged. Immutable; changes are new records written by entry processors on the directory map.
 *
 * @param owner    the owner's Hazelcast member uuid
 * @param token    the fencing token: raised by every change of owner; data frames carry it
 * @param replicas member uuids of the replicas
 * @param acked    for each replica, the last epoch it acknowledged (present once it serves the region)
 * @param replicaCount how many replicas the region should have; the owner re-places them as members come and go
 * @param migratingTo  the member the owner is migrating the region to, or null; that member prepares a copy and
 *                     acknowledges (epoch 0) when it is ready to receive the stream
 */
public record RegionRecord(String name, int id, long size, int chunkSize, String owner, long token,
                           List<String> replicas, Map<String, Long> acked, int replicaCount, String migratingTo)
        implements Serializable {

    public RegionRecord {
        replicas = List.copyOf(replicas);
        acked = Map.copyOf(acked);
    }

    /** This record with {@code member}'s acknowledged epoch raised to {@code epoch}. */
    RegionRecord withAck(String member, long epoch) {
        Map<String, Long> next = new TreeMap<>(acked);
        next.merge(member, epoch, Math::max);
        return new RegionRecord(name, id, size, chunkSize, owner, token, replicas, next, replicaCount, migratingTo);
    }

    /** This record with {@code newReplicas}; acknowledgements of replicas that are dropped are forgotten. */
    RegionRecord withReplicas(List<String> newReplicas) {
        Map<String, Long> next = new TreeMap<>(acked);
        next.keySet().retainAll(newReplicas);
        if (migratingTo != null && acked.containsKey(migratingTo)) {
            next.put(migratingTo, acked.get(migratingTo));
        }
        return new RegionRecord(name, id, size, chunkSize, owner, token, newReplicas, next, replicaCount,
                migratingTo);
    }

    /**
     * This record owned by {@code newOwner} with the next token and {@code newReplicas}. Acknowledged epochs are
     * forgotten: they count the old owner's epochs, and the new owner's start again.
     */
    RegionRecord withOwner(String newOwner, List<String> newReplicas) {
        return new RegionRecord(name, id, size, chunkSize, newOwner, token + 1, newReplicas, Map.of(), replicaCount,
                null);
    }

    /** This record with a migration to {@code destination} started (or ended, with null). */
    RegionRecord withMigration(String destination) {
        Map<String, Long> next = new TreeMap<>(acked);
        if (migratingTo != null) {
            next.remove(migratingTo);
            next.keySet().retainAll(replicas);
        }
        return new RegionRecord(name, id, size, chunkSize, owner, token, replicas, next, replicaCount, destination);
    }
}
