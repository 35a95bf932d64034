package io.memsync.cluster;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;

import java.util.List;
import java.util.Map;

/**
 * The cluster's region directory: a Hazelcast map from region name to {@link RegionRecord}. Every change is an
 * entry processor, so it is an atomic read-modify-write on the partition owning the key: two nodes claiming a
 * region at once cannot both win, and a claim made with an outdated token fails. (Open-source Hazelcast has no CP
 * subsystem since 5.5; entry processors are free and linearizable per key while the cluster is not split.)
 */
public final class RegionDirectory {
    private final IMap<String, RegionRecord> map;

    RegionDirectory(IMap<String, RegionRecord> map) {
        this.map = map;
    }

    public RegionRecord get(String name) {
        return map.get(name);
    }

    /** Every region in the cluster, sorted by name. */
    public List<RegionRecord> records() {
        return map.values().stream().sorted(java.util.Comparator.comparing(RegionRecord::name)).toList();
    }

    IMap<String, RegionRecord> map() {
        return map;
    }

    /** Creates {@code record} unless the name is taken; returns false if it was. */
    boolean create(RegionRecord record) {
        return map.putIfAbsent(record.name(), record) == null;
    }

    /** Records that {@code member} applied {@code epoch} of region {@code name}. */
    void ack(String name, String member, long epoch) {
        map.executeOnKey(name, new Ack(member, epoch));
    }

    /**
     * Makes {@code newOwner} the owner of {@code name} with the next token, if the token in force is still
     * {@code expectedToken}. Returns the new record, or null if someone else changed the region first.
     */
    RegionRecord claim(String name, long expectedToken, String newOwner, List<String> newReplicas) {
        return map.executeOnKey(name, new CompareAndSet(expectedToken, newOwner, newReplicas));
    }

    /** Replaces the replica set of {@code name} if the token in force is still {@code token}; null otherwise. */
    RegionRecord setReplicas(String name, long token, List<String> replicas) {
        return map.executeOnKey(name, new CompareAndSet(token, null, replicas));
    }

    /**
     * Starts a migration of {@code name} to {@code destination} if the token in force is {@code token} and no
     * migration is under way; returns the new record or null.
     */
    RegionRecord startMigration(String name, long token, String destination) {
        return map.executeOnKey(name, new Migration(token, null, destination));
    }

    /** Ends the migration to {@code destination} without a handover (cancelled or failed); null if none was on. */
    RegionRecord endMigration(String name, long token, String destination) {
        return map.executeOnKey(name, new Migration(token, destination, null));
    }

    /**
     * Hands {@code name} over to the destination of the migration under way: it owns the region with the next
     * token and {@code replicas}. Null if the token moved on or that migration is no longer under way.
     */
    RegionRecord handover(String name, long token, String destination, List<String> replicas) {
        return map.executeOnKey(name, new Handover(token, destination, replicas));
    }

    /** Compare-and-set of the migration target under the token in force. */
    record Migration(long expectedToken, String expectedTarget, String target)
            implements EntryProcessor<String, RegionRecord, RegionRecord> {
        @Override
        public RegionRecord process(Map.Entry<String, RegionRecord> entry) {
            RegionRecord r = entry.getValue();
            if (r == null || r.token() != expectedToken || !java.util.Objects.equals(r.migratingTo(), expectedTarget)) {
                return null;
            }
            RegionRecord next = r.withMigration(target);
            entry.setValue(next);
            return next;
        }
    }

    /** The owner change that ends a migration. */
    record Handover(long expectedToken, String destination, List<String> replicas)
            implements EntryProcessor<String, RegionRecord, RegionRecord> {
        @Override
        public RegionRecord process(Map.Entry<String, RegionRecord> entry) {
            RegionRecord r = entry.getValue();
            if (r == null || r.token() != expectedToken || !destination.equals(r.migratingTo())) {
                return null;
            }
            RegionRecord next = r.withOwner(destination, replicas);
            entry.setValue(next);
            return next;
        }
    }

    /** Raises one replica's (or a migration destination's) acknowledged epoch. */
    record Ack(String member, long epoch) implements EntryProcessor<String, RegionRecord, Void> {
        @Override
        public Void process(Map.Entry<String, RegionRecord> entry) {
            RegionRecord r = entry.getValue();
            if (r != null && (r.replicas().contains(member) || member.equals(r.migratingTo()))) {
                entry.setValue(r.withAck(member, epoch));
            }
            return null;
        }
    }

    /**
     * Compare-and-set on the token: a new owner (with the next token) when {@code newOwner} is given, else only a
     * new replica set under the same token. Returns the new record, or null when the token moved on.
     */
    record CompareAndSet(long expectedToken, String newOwner, List<String> replicas)
            implements EntryProcessor<String, RegionRecord, RegionRecord> {
        @Override
        public RegionRecord process(Map.Entry<String, RegionRecord> entry) {
            RegionRecord r = entry.getValue();
            if (r == null || r.token() != expectedToken) {
                return null;
            }
            RegionRecord next = newOwner != null ? r.withOwner(newOwner, replicas) : r.withReplicas(replicas);
            entry.setValue(next);
            return next;
        }
    }
}
