package io.memsync.cluster;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Makes replicas byte-identical to their owner again when something else wrote them (a process on the replica's
 * host writing its file): on the owner, compares the CRC32C of each chunk with each replica's, a window of the
 * region at a time, and sends again the chunks that differ. A chunk that differs only because the application
 * wrote it and the write is not pushed yet is not a divergence: when chunks differ the owner flushes, and a chunk
 * counts only if it still differs after (a check that finds nothing pushes nothing).
 * <p>
 * Threads: none of its own. The conductor's maintenance pass calls {@link #tick}, which, when a check is due, has a
 * worker check the next window of every region owned here ({@code bytesPerPass} of each region per interval:
 * bounded CPU and bandwidth) and, soon after a replica was filled, the whole region; {@link #repair} runs on the
 * caller's thread.
 */
final class AntiEntropy implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AntiEntropy.class.getName());

    private final NodeConfig config;
    private final Membership membership;
    private final RegionDirectory directory;
    private final Copies copies;
    private final MemberRequests requests;
    private final List<DivergenceListener> listeners = new CopyOnWriteArrayList<>();
    /** Where the background check of each region goes on, by name. */
    private final Map<String, Integer> cursors = new ConcurrentHashMap<>();
    /** Regions to check whole soon (a replica was filled). */
    private final Map<String, Boolean> soon = new ConcurrentHashMap<>();
    private final AtomicLong divergedChunks = new AtomicLong();
    private final AtomicLong repairs = new AtomicLong();
    private final Workers workers;
    private volatile Duration interval = Duration.ofSeconds(60);
    private volatile long bytesPerPass = 64L << 20;
    private volatile boolean running = true;
    private volatile long lastPass = System.nanoTime();

    AntiEntropy(NodeConfig config, Membership membership, RegionDirectory directory, Copies copies,
                MemberRequests requests, Workers workers) {
        this.config = config;
        this.membership = membership;
        this.directory = directory;
        this.copies = copies;
        this.requests = requests;
        this.workers = workers;
    }

    /** How often the background check runs ({@link Duration#ZERO}: never) and how much of a region each pass. */
    void configure(Duration every, long bytes) {
        if (every.isNegative() || bytes < 1) {
            throw new IllegalArgumentException("anti-entropy interval " + every + " and bytes per pass " + bytes
                    + ": the interval must not be negative (0: off) and a pass must check at least a chunk");
        }
        this.interval = every;
        this.bytesPerPass = bytes;
    }

    void addListener(DivergenceListener l) {
        listeners.add(l);
    }

    void removeListener(DivergenceListener l) {
        listeners.remove(l);
    }

    /** Chunks found diverged on replicas and sent again, since the start. */
    long divergedChunks() {
        return divergedChunks.get();
    }

    /** Checks that found a divergence and repaired it, since the start. */
    long repairs() {
        return repairs.get();
    }

    /** Checks region {@code name} whole soon (a replica of it was just filled, or came back), unless checks are off. */
    void checkSoon(String name) {
        if (interval.isZero()) {
            return;
        }
        soon.put(name, true);
    }

    /**
     * Compares chunks {@code [from, from + count)} of region {@code name}, owned here, with every replica's, and
     * sends again those that differ; returns what it found. Whole: {@code from} 0 and {@code count} the region's
     * chunk count.
     */
    RepairReport repair(String name, int from, int count) throws IOException {
        return repair(name, from, count, true);
    }

    /**
     * {@link #repair(String, int, int)}; without {@code flushFirst} (the background checks), a flush happens only if
     * chunks differ, to tell writes not pushed yet from a divergence: with nothing to find, a check pushes nothing.
     */
    private RepairReport repair(String name, int from, int count, boolean flushFirst) throws IOException {
        long start = System.nanoTime();
        ClusterRegion copy = copies.get(name);
        RegionRecord r = directory.get(name);
        if (copy == null || r == null || !copy.isOwner()) {
            throw new IllegalStateException(r == null ? "no region " + name + " in the cluster"
                    : "region " + name + " is " + (copy == null ? "not held" : "a " + copy.role().name().toLowerCase()
                    + " copy") + " here: repair it on its owner, " + membership.memberName(r.owner()));
        }
        int to = Math.min(copy.chunkCount(), from + count);
        if (flushFirst) {
            copy.flush();
        }
        Map<String, Integer> fixed = new TreeMap<>();
        int replicas = 0;
        for (String replica : r.replicas()) {
            io.memsync.cluster.wire.ReplicaSink.Replica link = copy.sink().replica(replica);
            if (link == null || copy.sink().completeEpoch(link) < 0) {
                // Not connected, or still being filled: it differs because it is not done, not because it diverged.
                continue;
            }
            List<Integer> differ = new ArrayList<>();
            boolean compared = false;
            for (int window = from; window < to; window += MemberRequests.MAX_DIGESTS) {
                int n = Math.min(MemberRequests.MAX_DIGESTS, to - window);
                long[] theirs = requests.digestsAt(replica, name, window, n);
                if (theirs == null) {
                    break;
                }
                compared = true;
                differ.addAll(differences(copy.chunkDigests(window, n), theirs, window));
            }
            replicas += compared ? 1 : 0;
            if (differ.isEmpty()) {
                continue;
            }
            // The application may have written some of them since the flush: flush again and look once more.
            copy.flush();
            List<Integer> confirmed = new ArrayList<>();
            for (int c : differ) {
                long[] theirs = requests.digestsAt(replica, name, c, 1);
                if (theirs != null && theirs[0] != -1 && theirs[0] != copy.chunkDigests(c, 1)[0]) {
                    confirmed.add(c);
                }
            }
            if (confirmed.isEmpty()) {
                continue;
            }
            for (int c : confirmed) {
                copy.syncer().resend(c);
            }
            fixed.put(membership.memberName(replica), confirmed.size());
        }
        if (!fixed.isEmpty()) {
            copy.flush();
            repairs.incrementAndGet();
            fixed.forEach((replica, chunks) -> {
                divergedChunks.addAndGet(chunks);
                LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": " + chunks + " chunk"
                        + (chunks == 1 ? "" : "s") + " of region " + name + " on " + replica + " differed from "
                        + "the owner's (written there by something other than memsync): sent again");
                for (DivergenceListener l : listeners) {
                    try {
                        l.diverged(name, replica, chunks);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "a divergence listener failed: " + e);
                    }
                }
            });
        }
        return new RepairReport(name, from, to - from, replicas, fixed, (System.nanoTime() - start) / 1_000_000);
    }

    private static List<Integer> differences(long[] mine, long[] theirs, int first) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < Math.min(mine.length, theirs.length); i++) {
            if (theirs[i] != -1 && mine[i] != -1 && mine[i] != theirs[i]) {
                out.add(first + i);
            }
        }
        return out;
    }

    /** On the conductor, each maintenance pass: has a worker run the checks that are due (never two at once). */
    void tick() {
        Duration every = interval;
        boolean due = !every.isZero() && System.nanoTime() - lastPass >= every.toNanos();
        if (running && (due || !soon.isEmpty())) {
            workers.submit("anti-entropy", () -> pass(due));
        }
    }

    private void pass(boolean due) {
        for (String name : List.copyOf(soon.keySet())) {
            soon.remove(name);
            check(name, true);
        }
        if (due) {
            for (ClusterRegion copy : copies.all()) {
                if (running && copy.isOwner()) {
                    check(copy.name(), false);
                }
            }
            lastPass = System.nanoTime();
        }
    }

    /** One window of region {@code name} (or all of it), from where the last check of it stopped. */
    private void check(String name, boolean whole) {
        ClusterRegion copy = copies.get(name);
        if (copy == null || !copy.isOwner() || copy.syncer() == null) {
            cursors.remove(name);
            return;
        }
        RegionRecord r = directory.get(name);
        if (r == null || r.migratingTo() != null) {
            // A migration moves it now: the destination's copy is checked once it owns the region.
            return;
        }
        int chunks = copy.chunkCount();
        int window = whole ? chunks : (int) Math.max(1, Math.min(chunks, bytesPerPass / copy.chunkSize()));
        int from = whole ? 0 : cursors.getOrDefault(name, 0) % chunks;
        try {
            repair(name, from, window, false);
            cursors.put(name, (from + window) % chunks);
        } catch (IOException | RuntimeException e) {
            // Replicas being placed or filled, a member leaving: the next pass tries again.
            LOG.log(System.Logger.Level.DEBUG, "node " + config.name() + ": anti-entropy check of region " + name
                    + " skipped: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        running = false;
    }
}
