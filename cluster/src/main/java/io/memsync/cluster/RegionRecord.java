package io.memsync.cluster;

import java.io.Serializable;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A region as the directory knows it: geometry, owner, fencing token, replicas, which of them serve it, and what each
 * is known to hold. Immutable; changes are new records, signed and written by compare-and-set
 * ({@link RegionDirectory}).
 *
 * @param id           the region's id on the data plane: a random 64-bit number, so that two regions never share one
 *                     (not even ones created on two sides of a split brain)
 * @param owner        the owner's Hazelcast member uuid
 * @param token        the fencing token: raised by every change of owner; data frames carry it
 * @param replicas     member uuids of the replicas
 * @param serving      members that opened a copy and serve it (replicas, and a migration's destination): the owner
 *                     connects to them
 * @param held         for each member, what it is known to hold completely: every epoch flushed under
 *                     {@link Held#token()} up to {@link Held#epoch()}. Kept through changes of owner: it is what
 *                     failover reads to pick a successor that lost nothing
 * @param replicaCount how many replicas the region should have; the owner re-places them as members come and go
 * @param migratingTo  the member the owner is migrating the region to, or null
 */
public record RegionRecord(String name, long id, long size, int chunkSize, String owner, long token,
                           List<String> replicas, Set<String> serving, Map<String, Held> held, int replicaCount,
                           String migratingTo) implements Serializable {

    /**
     * What a member holds completely: every chunk of every epoch an owner with {@code token} flushed up to
     * {@code epoch}. Ordered by token, then epoch: a copy complete under a newer owner holds everything an older one
     * flushed (the newer owner was chosen, or handed the region, because it did).
     */
    public record Held(long token, long epoch) implements Serializable, Comparable<Held> {
        private static final Comparator<Held> ORDER = Comparator.comparingLong(Held::token)
                .thenComparingLong(Held::epoch);

        @Override
        public int compareTo(Held other) {
            return ORDER.compare(this, other);
        }

        static Held max(Held a, Held b) {
            return a == null ? b : b == null ? a : a.compareTo(b) >= 0 ? a : b;
        }
    }

    public RegionRecord {
        replicas = List.copyOf(replicas);
        serving = Set.copyOf(serving);
        held = Map.copyOf(held);
    }

    /**
     * A new region owned by {@code owner} with token 1, its replicas not serving yet. A {@code blank} region (all
     * zeros, like every new copy) is held whole by each replica from the start; one with content (an adopted file)
     * only by those that acknowledged a flush after their fill.
     */
    static RegionRecord created(String name, long id, long size, int chunkSize, String owner, List<String> replicas,
                                int replicaCount, boolean blank) {
        Map<String, Held> held = new TreeMap<>();
        if (blank) {
            for (String r : replicas) {
                held.put(r, new Held(1, 0));
            }
        }
        return new RegionRecord(name, id, size, chunkSize, owner, 1, replicas, Set.of(), held, replicaCount, null);
    }

    /**
     * The epoch {@code member} is known to hold under the token in force, or -1 (nothing recorded under this owner:
     * a replica being filled, or one the directory was not told about since a flush found every replica level).
     */
    public long ackedEpoch(String member) {
        Held h = held.get(member);
        return h != null && h.token() == token ? h.epoch() : -1;
    }

    /** This record with {@code member} serving the region (a replica, or the destination of the migration). */
    RegionRecord withServing(String member) {
        if (serving.contains(member) || !(replicas.contains(member) || member.equals(migratingTo))) {
            return this;
        }
        Set<String> next = new TreeSet<>(serving);
        next.add(member);
        return new RegionRecord(name, id, size, chunkSize, owner, token, replicas, next, held, replicaCount,
                migratingTo);
    }

    /** This record with what {@code member} holds raised to {@code h}; only for replicas, and under the token in force. */
    RegionRecord withHeld(String member, Held h) {
        if (h.token() != token || !replicas.contains(member)) {
            return this;
        }
        Held before = held.get(member);
        if (before != null && before.compareTo(h) >= 0) {
            return this;
        }
        Map<String, Held> next = new TreeMap<>(held);
        next.put(member, h);
        return new RegionRecord(name, id, size, chunkSize, owner, token, replicas, serving, next, replicaCount,
                migratingTo);
    }

    /** This record with {@code newReplicas}; what is known of dropped ones is forgotten. */
    RegionRecord withReplicas(List<String> newReplicas) {
        return new RegionRecord(name, id, size, chunkSize, owner, token, newReplicas,
                keep(serving, newReplicas, migratingTo), keep(held, newReplicas), replicaCount, migratingTo);
    }

    /**
     * This record owned by {@code newOwner}, a replica that claimed it after the owner died, with the next token and
     * {@code newReplicas}. What the replicas are known to hold is kept: it is about the flushes of the old owner,
     * which the new one continues, and a replica's copy counts for the new owner only once it acknowledges one of
     * its epochs (after its fill).
     */
    RegionRecord claimedBy(String newOwner, List<String> newReplicas) {
        return new RegionRecord(name, id, size, chunkSize, newOwner, token + 1, newReplicas,
                keep(serving, newReplicas, null), keep(held, newReplicas), replicaCount, null);
    }

    /**
     * This record handed to {@code destination} by a migration, with the next token and {@code newReplicas}: exactly
     * the copies that applied the final round, so each is known to hold everything, under the new token, from its
     * first epoch on.
     */
    RegionRecord handedTo(String destination, List<String> newReplicas) {
        Map<String, Held> next = new TreeMap<>();
        for (String r : newReplicas) {
            next.put(r, new Held(token + 1, 0));
        }
        return new RegionRecord(name, id, size, chunkSize, destination, token + 1, newReplicas,
                keep(serving, newReplicas, null), next, replicaCount, null);
    }

    /** This record with a migration to {@code destination} started (or ended, with null). */
    RegionRecord withMigration(String destination) {
        Set<String> next = new TreeSet<>(serving);
        if (migratingTo != null && !replicas.contains(migratingTo)) {
            next.remove(migratingTo);
        }
        return new RegionRecord(name, id, size, chunkSize, owner, token, replicas, next, held, replicaCount,
                destination);
    }

    /**
     * The live replica that may take the region over from a dead owner: one holding every epoch any replica is known
     * to hold (the greatest {@link Held}), ties broken by the greatest uuid so that replicas agree without talking.
     * Null when no live replica qualifies: none is known complete, or the copies known to hold the most are all down
     * (taking over from a lesser one would lose what was flushed to them: the region waits for one to come back).
     */
    String successor(List<String> live) {
        Held best = best();
        if (best == null) {
            return null;
        }
        String chosen = null;
        for (String r : replicas) {
            if (live.contains(r) && best.equals(held.get(r)) && (chosen == null || r.compareTo(chosen) > 0)) {
                chosen = r;
            }
        }
        return chosen;
    }

    /** The most any replica is known to hold, or null when none is known to hold anything. */
    Held best() {
        Held best = null;
        for (String r : replicas) {
            best = Held.max(best, held.get(r));
        }
        return best;
    }

    private static Set<String> keep(Set<String> members, List<String> kept, String also) {
        Set<String> next = new TreeSet<>(members);
        next.removeIf(m -> !kept.contains(m) && !m.equals(also));
        return next;
    }

    private static Map<String, Held> keep(Map<String, Held> known, List<String> kept) {
        Map<String, Held> next = new TreeMap<>(known);
        next.keySet().retainAll(kept);
        return next;
    }
}
