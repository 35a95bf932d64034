package io.memsync.cluster;

import io.memsync.cluster.wire.ReplicaSink;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps a region owned here at its replica count with working links, on a {@link Workers} thread (a fill takes as
 * long as the region takes to send): drops replicas that left, adds live members that hold no copy, reconnects
 * replicas whose link broke; a replica that is new or may have missed chunks gets the whole region once, beside
 * the stream, on a worker of its own, then a flush makes its acknowledgements count.
 */
final class Placement {
    private static final System.Logger LOG = System.getLogger(Placement.class.getName());
    private static final java.time.Duration SERVING_WAIT = java.time.Duration.ofSeconds(5);

    /** Told of each region whose replica was just filled (anti-entropy checks it soon). */
    private volatile java.util.function.Consumer<String> filled = name -> { };

    private final NodeConfig config;
    private final Membership membership;
    private final Links links;
    private final RegionDirectory directory;
    private final Copies copies;
    private final Workers workers;

    Placement(NodeConfig config, Membership membership, Links links, RegionDirectory directory, Copies copies,
              Workers workers) {
        this.config = config;
        this.membership = membership;
        this.links = links;
        this.directory = directory;
        this.copies = copies;
        this.workers = workers;
    }

    /** Keeps {@code name} whole soon, on a worker; nothing if that is under way already. */
    void schedule(String name) {
        workers.submit("placing " + name, () -> place(name));
    }

    private void place(String name) throws IOException {
        ClusterRegion copy = copies.get(name);
        RegionRecord r = directory.get(name);
        String me = membership.memberId();
        if (copy == null || !copy.isOwner() || r == null || !r.owner().equals(me) || r.token() != copy.token()
                || r.migratingTo() != null) {
            return;
        }
        List<String> live = membership.members();
        ReplicaSink sink = copy.sink();
        List<String> keep = r.replicas().stream().filter(live::contains).toList();
        List<String> candidates = live.stream().filter(u -> !u.equals(me) && !keep.contains(u)).toList();
        List<String> next = new ArrayList<>(keep);
        for (int i = 0; next.size() < r.replicaCount() && i < candidates.size(); i++) {
            next.add(candidates.get(i));
        }
        if (next.size() > r.replicaCount() && copy.availability() >= 1.0) {
            // A migration's source stays a replica beyond the count while this copy still pages chunks in from it;
            // once everything is here, it goes (it was added last).
            next = new ArrayList<>(next.subList(0, r.replicaCount()));
        }
        // The sink first, then the directory: a replica that goes drops its copy once the directory says so, and a
        // flush begun after that must neither count nor wait for it. The count first, then the links: a flush that
        // a closed link wakes must find the quorum of the smaller set already.
        sink.expect(next.size());
        for (ReplicaSink.Replica replica : sink.replicas()) {
            if (!next.contains(replica.member()) || replica.link().failure() != null) {
                sink.remove(replica.member());
            }
        }
        if (!next.equals(r.replicas())) {
            if (directory.setReplicas(name, r.token(), next) == null) {
                return;
            }
            LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": region " + name + " is replicated to "
                    + names(next) + " now (was " + names(r.replicas()) + ")");
        }
        for (String member : next) {
            if (sink.replica(member) == null && awaitServing(name, member)) {
                sink.add(member, links.open(member, r.chunkSize()), true);
            }
        }
        List<ReplicaSink.Replica> unfilled = sink.replicas().stream().filter(x -> !x.filled()).toList();
        if (unfilled.isEmpty() || copies.get(name) != copy) {
            return;
        }
        if (copy.availability() < 1.0) {
            // A paged owner takes what it lacks from its replicas first: one being refilled answers no pulls, and it
            // may be the only one holding those chunks.
            long start = System.nanoTime();
            copy.pageIn();
            LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": paged the rest of region " + name
                    + " in before refilling its replicas, in " + (System.nanoTime() - start) / 1_000_000 + " ms");
        }
        // Each replica is filled on its own worker: one behind a slow link must not keep a fast one, and with it
        // the flushes a quorum of one would complete, waiting for seconds.
        for (ReplicaSink.Replica replica : unfilled) {
            workers.submit("filling " + name + " to " + replica.member(), () -> fill(name, copy, replica));
        }
    }

    /** Sends {@code replica} the whole region, then flushes so that its acknowledgements count. */
    private void fill(String name, ClusterRegion copy, ReplicaSink.Replica replica) throws IOException {
        ReplicaSink sink = copy.sink();
        if (copies.get(name) != copy || !copy.isOwner() || replica.filled()
                || sink.replica(replica.member()) != replica) {
            return;
        }
        long start = System.nanoTime();
        sink.fill(replica, copy.region().segment());
        long sent = (System.nanoTime() - start) / 1_000_000;
        if (copies.get(name) == copy) {
            // Ends an epoch after the fill: the replica's acknowledgement of it proves it holds everything. Logged
            // once this flush returned, so that the line means the replica holds the region.
            try {
                copy.flush();
            } finally {
                LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": sent the whole of region " + name
                        + " to " + membership.memberName(replica.member()) + " in " + sent + " ms");
                filled.accept(name);
            }
        }
    }

    /** Waits a little for {@code member} to serve region {@code name}; false if it does not yet (tried again later). */
    private boolean awaitServing(String name, String member) {
        try {
            directory.awaitServing(name, List.of(member), SERVING_WAIT, membership::memberName);
            return true;
        } catch (IOException notYet) {
            LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": " + membership.memberName(member)
                    + " does not serve region " + name + " yet; connecting it later");
            return false;
        }
    }

    private List<String> names(List<String> members) {
        return members.stream().map(membership::memberName).toList();
    }

    /** Calls {@code then} with a region's name each time one of its replicas was filled. */
    void onFilled(java.util.function.Consumer<String> then) {
        this.filled = then;
    }
}
