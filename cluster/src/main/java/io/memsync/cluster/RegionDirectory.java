package io.memsync.cluster;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.nio.serialization.HazelcastSerializationException;
import io.memsync.cluster.control.Envelope;
import io.memsync.cluster.control.ForgedValueException;
import io.memsync.cluster.control.Forgeries;
import io.memsync.cluster.control.Versions;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The cluster's region directory: a Hazelcast map from region name to a {@link RegionRecord} sealed in a signed
 * {@link Envelope} with a version. A node acts only on records signed with the cluster's key and never on one older
 * than the last it verified: a value a foreign member or client wrote, altered or put back is refused, logged and
 * counted ({@link Forgeries}), and the node keeps its last verified record. Nothing read from the map is a Java object
 * of memsync's: values are bytes.
 * <p>
 * Every change is a compare-and-set of the whole value on the partition owning the key ({@code IMap.replace} of the
 * exact bytes read), retried on a conflict: two nodes claiming a region at once cannot both win, and a claim made
 * with an outdated token fails. (Open-source Hazelcast has no CP subsystem since 5.5; single-key operations are
 * linearizable while the cluster is not split.)
 */
public final class RegionDirectory {
    private static final SecureRandom IDS = new SecureRandom();
    /** Attempts at one change before giving up (each lost a race with another node's change of the record). */
    private static final int MAX_ATTEMPTS = 64;

    private static final System.Logger LOG = System.getLogger(RegionDirectory.class.getName());
    private final IMap<String, byte[]> map;
    private final Envelope envelope;
    private final Forgeries forgeries;
    private final Versions<RegionRecord> verified = new Versions<>();
    /**
     * Per region, a hash of the stored value last refused: the same forgery, read again by every pass until it is
     * healed, is counted and logged once. A region is in here while the map holds a value refused.
     */
    private final Map<String, Integer> refusedStored = new java.util.concurrent.ConcurrentHashMap<>();
    /** Regions verified here that {@link #records()} found gone from the map, for {@link #healOwned}. */
    private final java.util.Set<String> missing = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The last version of each region's record this node wrote itself: a lost write of its own is no forgery. */
    private final Map<String, Long> written = new java.util.concurrent.ConcurrentHashMap<>();
    /** The last reason the whole directory could not be listed, so that it is logged once. */
    private volatile String listingRefused;

    RegionDirectory(IMap<String, byte[]> map, Envelope envelope, Forgeries forgeries) {
        this.map = map;
        this.envelope = envelope;
        this.forgeries = forgeries;
    }

    /** Region {@code name}'s record: the one in the map if it verifies, else the last verified here; or null. */
    public RegionRecord get(String name) {
        Versions.Entry<RegionRecord> e = read(name).base();
        return e == null ? null : e.value();
    }

    /** Every region in the cluster, sorted by name (the last verified record of each). */
    public List<RegionRecord> records() {
        Map<String, Object> raw = new HashMap<>();
        try {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                raw.put(String.valueOf(e.getKey()), e.getValue());
            }
        } catch (HazelcastSerializationException | ClassCastException e) {
            String why = "it is not memsync's (" + e.getMessage() + "); reading the regions one by one";
            if (!why.equals(listingRefused)) {
                listingRefused = why;
                forgeries.refused("a directory entry", why);
            }
            raw.clear();
            for (Versions.Entry<RegionRecord> known : verified.all()) {
                raw.put(known.value().name(), readRaw(known.value().name()));
            }
        }
        List<RegionRecord> out = new ArrayList<>();
        for (Map.Entry<String, Object> e : raw.entrySet()) {
            Versions.Entry<RegionRecord> v = verify(e.getKey(), e.getValue(), true).entry();
            if (v != null) {
                out.add(v.value());
            }
        }
        for (Versions.Entry<RegionRecord> known : verified.all()) {
            if (raw.get(known.value().name()) == null) {
                // Gone from the map: a creation its creator undid, or a foreign member's delete; healOwned tells.
                missing.add(known.value().name());
            }
        }
        out.sort(Comparator.comparing(RegionRecord::name));
        return out;
    }

    /**
     * Tells {@code changed} of every record that was added or changed and verifies, in the order the map's events
     * came; {@code afterEvent} runs after each event, verified or not.
     */
    void listen(Consumer<RegionRecord> changed, Runnable afterEvent) {
        map.addEntryListener(new Events(changed, afterEvent), true);
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
        // Versions start at the creation time, in milliseconds: a region created again under a name once undone is
        // newer than anything the first one was.
        long version = System.currentTimeMillis();
        byte[] bytes = seal(record.name(), version, record);
        if (map.putIfAbsent(record.name(), bytes) != null) {
            return false;
        }
        verified.offer(record.name(), version, record, bytes);
        written.put(record.name(), version);
        return true;
    }

    /** Removes {@code record} if it is still the one in force (undoing a creation that failed half way). */
    void remove(RegionRecord record) {
        Versions.Entry<RegionRecord> e = verified.get(record.name());
        if (e != null && e.value().equals(record)) {
            map.remove(record.name(), e.raw());
            verified.forget(record.name(), e);
        }
    }

    /** Records that {@code member} opened its copy of region {@code name} and serves it. */
    void serving(String name, String member) {
        update(name, r -> r.withServing(member));
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
        update(name, r -> r.withHeld(member, held));
    }

    /**
     * Makes {@code newOwner} the owner of {@code name} with the next token, if the token in force is still
     * {@code expectedToken}. Returns the new record, or null if someone else changed the region first.
     */
    RegionRecord claim(String name, long expectedToken, String newOwner, List<String> newReplicas) {
        return update(name, r -> r.token() != expectedToken ? null : r.claimedBy(newOwner, newReplicas));
    }

    /** Replaces the replica set of {@code name} if the token in force is still {@code token}; null otherwise. */
    RegionRecord setReplicas(String name, long token, List<String> replicas) {
        return update(name, r -> r.token() != token ? null : r.withReplicas(replicas));
    }

    /**
     * Starts a migration of {@code name} to {@code destination} if the token in force is {@code token} and no
     * migration is under way; returns the new record or null.
     */
    RegionRecord startMigration(String name, long token, String destination) {
        return update(name, r -> r.token() != token || r.migratingTo() != null ? null
                : r.withMigration(destination));
    }

    /** Ends the migration to {@code destination} without a handover (cancelled or failed); null if none was on. */
    RegionRecord endMigration(String name, long token, String destination) {
        return update(name, r -> r.token() != token || !Objects.equals(r.migratingTo(), destination) ? null
                : r.withMigration(null));
    }

    /**
     * Hands {@code name} over to the destination of the migration under way: it owns the region with the next
     * token and {@code replicas}, which all applied the final round. Null if the token moved on or that migration is
     * no longer under way.
     */
    RegionRecord handover(String name, long token, String destination, List<String> replicas) {
        return update(name, r -> r.token() != token || !destination.equals(r.migratingTo()) ? null
                : r.handedTo(destination, replicas));
    }

    /**
     * Changes region {@code name}'s record by {@code change} (given the current one, it returns the next, the same
     * one for no change, or null to refuse): a compare-and-set of the exact bytes read, retried while other nodes
     * change the record meanwhile. Returns the record in force after it, or null if {@code change} refused or there
     * is no such region.
     */
    private RegionRecord update(String name, UnaryOperator<RegionRecord> change) {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Read read = read(name);
            Versions.Entry<RegionRecord> base = read.base();
            if (base == null || read.raw() == null) {
                return null;
            }
            RegionRecord next = change.apply(base.value());
            if (next == null) {
                return null;
            }
            if (next.equals(base.value()) && read.current()) {
                return base.value();
            }
            long version = base.version() + 1;
            byte[] bytes = seal(name, version, next);
            boolean done;
            if (read.current()) {
                refusedStored.remove(name);
            }
            if (read.raw() instanceof byte[] current) {
                done = map.replace(name, current, bytes);
            } else {
                // A value that is not even bytes (a foreign member's object): nothing to compare with; the last
                // verified record, changed, takes its place.
                map.set(name, bytes);
                done = true;
            }
            if (done) {
                refusedStored.remove(name);
                verified.offer(name, version, next, bytes);
                written.put(name, version);
                return next;
            }
        }
        throw new IllegalStateException("region " + name + ": its directory record changed " + MAX_ATTEMPTS
                + " times while this node tried to change it; try again");
    }

    private byte[] seal(String name, long version, RegionRecord record) {
        return envelope.seal(Envelope.Kind.RECORD, name, version, RecordCodec.encode(record));
    }

    /**
     * What the map holds under a name: the raw value ({@link #UNREADABLE} if it cannot even be read as bytes), the
     * record to act on (the value if it verifies and is not older than what this node verified, else the last
     * verified one), and whether that record is the value.
     */
    private record Read(Object raw, Versions.Entry<RegionRecord> base, boolean current) {
    }

    /** Stands for a value the map holds that is not bytes, and that Hazelcast refused to deserialize. */
    private static final Object UNREADABLE = new Object();

    private Read read(String name) {
        Object raw = readRaw(name);
        if (raw == null) {
            return new Read(null, verified.get(name), false);
        }
        Verified v = verify(name, raw, true);
        return new Read(raw, v.entry(), v.verdict() == Verdict.CURRENT);
    }

    private Object readRaw(String name) {
        try {
            return map.get(name);
        } catch (HazelcastSerializationException e) {
            refuse(name, "unreadable " + e.getMessage(), "it is not memsync's: " + e.getMessage());
            return UNREADABLE;
        }
    }

    /** What verifying a value found: it is the record in force, older than the last verified, or refused. */
    private enum Verdict { CURRENT, OLDER, REFUSED }

    /** The outcome of verifying a value: the verdict, and the record to act on (null if none is known). */
    private record Verified(Verdict verdict, Versions.Entry<RegionRecord> entry) {
    }

    /**
     * Verifies {@code raw}, read under {@code name}: if it is signed and not older than the last record verified
     * here, it becomes the last. A refusal is counted; so is an older value when it is what the map holds
     * ({@code stored}: a replay), but not an older event (a late one).
     */
    private Verified verify(String name, Object raw, boolean stored) {
        if (raw == UNREADABLE) {
            return new Verified(Verdict.REFUSED, verified.get(name));
        }
        try {
            Envelope.Opened opened = envelope.open(Envelope.Kind.RECORD, name, raw);
            RegionRecord record = RecordCodec.decode(opened.payload());
            if (!record.name().equals(name)) {
                throw new ForgedValueException("signed for region " + record.name());
            }
            if (verified.offer(name, opened.version(), record, (byte[]) raw)) {
                return new Verified(Verdict.CURRENT, new Versions.Entry<>(opened.version(), record, (byte[]) raw));
            }
            Versions.Entry<RegionRecord> last = verified.get(name);
            if (stored && !restoreOwnWrite(name, (byte[]) raw, opened.version(), last)) {
                refuse(name, raw, "version " + opened.version() + " is older than version " + last.version()
                        + " verified before (a replay, or a write Hazelcast lost while members joined or merged); "
                        + "keeping that");
            }
            return new Verified(Verdict.OLDER, last);
        } catch (ForgedValueException e) {
            Versions.Entry<RegionRecord> last = verified.get(name);
            String why = e.getMessage() + (last == null ? ""
                    : "; keeping the record verified before (version " + last.version() + ")");
            if (stored) {
                refuse(name, raw, why);
            } else {
                forgeries.refused("the directory entry of region " + name, why);
            }
            return new Verified(Verdict.REFUSED, last);
        }
    }

    /**
     * The map holds an older version of a record whose newest version this node wrote itself: Hazelcast lost that
     * write (a member left or joined while it was backed up: partitions moved). Writes it back over the older one at
     * once, logged as one INFO line; true if it did. Anything else older (a record another node wrote, or one this
     * node never wrote) stays a refusal: it may be a replay.
     */
    private boolean restoreOwnWrite(String name, byte[] stale, long staleVersion, Versions.Entry<RegionRecord> last) {
        Long mine = written.get(name);
        if (mine == null || mine != last.version() || last.raw() == null) {
            return false;
        }
        if (!map.replace(name, stale, last.raw())) {
            // Another thread of this node (an event, a maintenance pass) read the same stale value and wrote back
            // first: restored all the same.
            return java.util.Arrays.equals(map.get(name), last.raw());
        }
        refusedStored.remove(name);
        LOG.log(System.Logger.Level.INFO, "region " + name + ": the directory had lost version " + last.version()
                + " of its record, which this node wrote (Hazelcast, while members changed), and held version "
                + staleVersion + ": written back");
        return true;
    }

    /** Counts and logs a value the map holds for region {@code name}, unless it is the one refused last. */
    private void refuse(String name, Object raw, String why) {
        int hash = raw instanceof byte[] b ? java.util.Arrays.hashCode(b) : String.valueOf(raw).hashCode();
        Integer before = refusedStored.put(name, hash);
        if (before == null || before != hash) {
            forgeries.refused("the directory entry of region " + name, why);
        }
    }

    /**
     * Writes the last verified record of each region {@code me} owns back over a value the map holds that was
     * refused (forged, altered, an old one put back) or that was deleted, so that members that start later read the
     * truth; forgets a region gone from the map that another node owns. The owner does it: it alone changes the
     * record in its own name. Returns the regions healed.
     */
    List<String> healOwned(String me) {
        List<String> healed = new ArrayList<>();
        for (String name : List.copyOf(missing)) {
            missing.remove(name);
            Versions.Entry<RegionRecord> last = verified.get(name);
            if (last == null || readRaw(name) != null) {
                continue;
            }
            if (!me.equals(last.value().owner())) {
                // Its owner undid its creation, or will write it back: this node forgets it meanwhile.
                verified.forget(name, last);
                continue;
            }
            // Only the creator removes a record, and it forgets it first: this one was deleted by someone else.
            long version = last.version() + 1;
            byte[] bytes = seal(name, version, last.value());
            if (map.putIfAbsent(name, bytes) == null) {
                verified.offer(name, version, last.value(), bytes);
                forgeries.refused("the deletion of region " + name + "'s directory entry", "memsync deletes only "
                        + "a creation it undoes; written back by its owner (version " + version + ")");
                healed.add(name);
            }
        }
        for (String name : List.copyOf(refusedStored.keySet())) {
            Versions.Entry<RegionRecord> last = verified.get(name);
            Read read = read(name);
            if (read.current() || read.raw() == null) {
                refusedStored.remove(name);
            } else if (last != null && me.equals(last.value().owner()) && update(name, r -> r) != null) {
                refusedStored.remove(name);
                healed.add(name);
            }
        }
        return healed;
    }

    /** The map's events, verified: a record that fails is refused (and counted) and not passed on. */
    private final class Events implements EntryAddedListener<String, byte[]>, EntryUpdatedListener<String, byte[]> {
        private final Consumer<RegionRecord> changed;
        private final Runnable afterEvent;

        Events(Consumer<RegionRecord> changed, Runnable afterEvent) {
            this.changed = changed;
            this.afterEvent = afterEvent;
        }

        @Override
        public void entryAdded(EntryEvent<String, byte[]> event) {
            handle(event);
        }

        @Override
        public void entryUpdated(EntryEvent<String, byte[]> event) {
            handle(event);
        }

        private void handle(EntryEvent<String, byte[]> event) {
            try {
                Object key = event.getKey();
                Object value = event.getValue();
                if (!(key instanceof String name)) {
                    forgeries.refused("a directory entry", "its key is a " + key.getClass().getName());
                    return;
                }
                Verified v = verify(name, value, false);
                if (v.verdict() == Verdict.CURRENT) {
                    changed.accept(v.entry().value());
                } else if (v.verdict() == Verdict.OLDER) {
                    // A late event, or a replay put into the map: reading the map tells them apart (and counts the
                    // replay).
                    read(name);
                }
            } catch (HazelcastSerializationException | ClassCastException e) {
                forgeries.refused("a directory entry", "it is not memsync's: " + e.getMessage());
            } finally {
                afterEvent.run();
            }
        }
    }
}
