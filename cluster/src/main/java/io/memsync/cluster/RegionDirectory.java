package io.memsync.cluster;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;

import java.security.SecureRandom;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The cluster's region directory: a Hazelcast map from region name to {@link RegionRecord}. Every change is an
 * entry processor, so it is an atomic read-modify-write on the partition owning the key: two nodes claiming a
 * region at once cannot both win, and a claim made with an outdated token fails. (Open-source Hazelcast has no CP
 * subsystem since 5.5; entry processors are free and linearizable per key while the cluster is not split.)
 */
public final class RegionDirectory {
    private static final SecureRandom IDS = new SecureRandom();

    private final IMap<String, RegionRecord> map;

    RegionDirectory(IMap<String, RegionRecord> map) {
        this.map = map;
    }

    public RegionRecord get(String name) {
        return map.get(name);
    }

    /** Every region in the cluster, sorted by name. */
    public List<RegionRecord> records() {
        return map.values().stream().sorted(Comparator.comparing(RegionRecord::name)).toList();
    }

    IMap<String, RegionRecord> map() {
        return map;
    }

    /** A fresh region id: random, 64 bits, never 0. */
    static long newId() {
        long id;
        do {
            id = IDS.nextLong();
        } while (id == 0);
        return id;
    }

    /** Creates {@code record} unless the name is taken; returns false if it was. */
    boolean create(RegionRecord record) {
        return map.putIfAbsent(record.name(), record) == null;
    }

    /** Removes {@code record} if it is still the one in force (undoing a creation that failed half way). */
    void remove(RegionRecord record) {
        map.remove(record.name(), record);
    }

    /** Records that {@code member} opened its copy of region {@code name} and serves it. */
    void serving(String name, String member) {
        map.executeOnKey(name, new Serving(member));
    }

    /**
     * Waits until each of {@code members} serves region {@code name} (named by {@code names} in the error).
     *
     * @throws IOException if they do not within {@code timeout}
     */
    void awaitServing(String name, List<String> members, java.time.Duration timeout,
                      java.util.function.Function<String, String> names) throws java.io.IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long seen = changes;
            RegionRecord r = get(name);
            if (r != null && r.serving().containsAll(members)) {
                return;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new java.io.IOException("replicas of region " + name + " did not come up within "
                        + timeout.toMillis() + " ms (serving: " + (r == null ? "none"
                        : r.serving().stream().map(names).toList()) + " of " + members.stream().map(names).toList()
                        + ")");
            }
            awaitChange(seen, Math.min(left, MAX_EVENT_WAIT_NANOS));
        }
    }

    /** Bounds a wait for a change event: the record is read again at least this often, events or not. */
    private static final long MAX_EVENT_WAIT_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(200);
    /** Counts directory events this node heard of (guarded by this object's monitor for the waits). */
    private volatile long changes;

    /** A record changed (this node's entry listener calls it): wakes whoever waits for one. */
    synchronized void changed() {
        changes++;
        notifyAll();
    }

    private synchronized void awaitChange(long seen, long nanos) {
        long deadline = System.nanoTime() + nanos;
        while (changes == seen) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Records that replica {@code member} holds {@code held} of region {@code name} (under the token in force). */
    void held(String name, String member, RegionRecord.Held held) {
        map.executeOnKey(name, new HeldUpdate(member, held));
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
     * token and {@code replicas}, which all applied the final round. Null if the token moved on or that migration is
     * no longer under way.
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
            if (r == null || r.token() != expectedToken || !Objects.equals(r.migratingTo(), expectedTarget)) {
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
            RegionRecord next = r.handedTo(destination, replicas);
            entry.setValue(next);
            return next;
        }
    }

    /** A member serves its copy (a replica, or a migration's destination). */
    record Serving(String member) implements EntryProcessor<String, RegionRecord, Void> {
        @Override
        public Void process(Map.Entry<String, RegionRecord> entry) {
            RegionRecord r = entry.getValue();
            if (r != null) {
                RegionRecord next = r.withServing(member);
                if (next != r) {
                    entry.setValue(next);
                }
            }
            return null;
        }
    }

    /** Raises what one replica is known to hold; ignored under an old token (a deposed owner's late report). */
    record HeldUpdate(String member, RegionRecord.Held held) implements EntryProcessor<String, RegionRecord, Void> {
        @Override
        public Void process(Map.Entry<String, RegionRecord> entry) {
            RegionRecord r = entry.getValue();
            if (r != null) {
                RegionRecord next = r.withHeld(member, held);
                if (next != r) {
                    entry.setValue(next);
                }
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
            RegionRecord next = newOwner != null ? r.claimedBy(newOwner, replicas) : r.withReplicas(replicas);
            entry.setValue(next);
            return next;
        }
    }
}
