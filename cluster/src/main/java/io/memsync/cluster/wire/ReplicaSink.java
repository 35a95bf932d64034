package io.memsync.cluster.wire;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSet;
import io.memsync.region.ChunkSink;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A {@link ChunkSink} that pushes an owner's chunks to its replicas over {@link PeerLink}s, straight from the
 * memory the syncer hands it. {@link #sync()} is the flush barrier: it ends the current epoch and returns once a
 * quorum of replicas acknowledged it, having applied every chunk sent before; it fails naming who did not.
 * <p>
 * A replica added with {@link #add(String, PeerLink, boolean) fill} receives the stream from the moment it is
 * added and the whole region once through {@link #fill}; it counts towards the quorum, and its acknowledgements
 * are reported, only from the first epoch that ends after its fill was sent (a TCP link delivers in order, so
 * that epoch's acknowledgement proves the replica holds everything). Until then a flush that needs it waits.
 */
public final class ReplicaSink implements ChunkSink {
    /** Quorum meaning every replica in the set. */
    public static final int ALL = -1;

    private final ChunkLayout layout;
    private final long regionId;
    private final LongSupplier token;
    private final int quorum;
    private final Duration ackTimeout;
    private volatile List<Replica> replicas;
    private volatile int expected = -1;
    private volatile long epoch;
    private volatile ChunkSet recording;
    /** Where a flush waits for acknowledgements; every link of the sink notifies it. */
    private final Object ackSignal = new Object();
    private MemorySegment windowed;
    private ChunkWindows windows;

    /** A replica pushed to: who it is, its link, and from which epoch on its acknowledgements prove a full copy. */
    public static final class Replica {
        private final String member;
        private final PeerLink link;
        private final boolean learner;
        private volatile long completeFrom;

        private Replica(String member, PeerLink link, long completeFrom, boolean learner) {
            this.member = member;
            this.link = link;
            this.completeFrom = completeFrom;
            this.learner = learner;
        }

        /** A learner gets the stream but is no replica yet: it never counts towards the quorum. */
        public boolean learner() {
            return learner;
        }

        public String member() {
            return member;
        }

        public PeerLink link() {
            return link;
        }

        /** Whether this replica's fill (if it needed one) was sent. */
        public boolean filled() {
            return completeFrom != Long.MAX_VALUE;
        }

        @Override
        public String toString() {
            return member + "@" + link.peer() + (learner ? " (learner)" : "")
                    + (completeFrom == Long.MAX_VALUE ? " (filling)" : "");
        }
    }

    /**
     * A sink pushing to {@code links}, each named by its peer address, all holding the region already.
     *
     * @param token      the owner's fencing token, read for every frame
     * @param quorum     replicas that must acknowledge an epoch for {@link #sync()} to succeed, or {@link #ALL}
     * @param ackTimeout how long {@link #sync()} waits for them
     */
    public ReplicaSink(ChunkLayout layout, long regionId, LongSupplier token, List<PeerLink> links, int quorum,
                       Duration ackTimeout) {
        this(layout, regionId, token, quorum, ackTimeout);
        if (quorum > links.size()) {
            throw new IllegalArgumentException("quorum " + quorum + " is more than the " + links.size()
                    + " replicas");
        }
        for (PeerLink link : links) {
            add(link.peer(), link, false);
        }
    }

    /** A sink with no replica yet: {@link #add} them. */
    public ReplicaSink(ChunkLayout layout, long regionId, LongSupplier token, int quorum, Duration ackTimeout) {
        if (quorum < ALL) {
            throw new IllegalArgumentException("quorum " + quorum + " is negative (use ReplicaSink.ALL for all)");
        }
        this.layout = layout;
        this.regionId = regionId;
        this.token = token;
        this.quorum = quorum;
        this.ackTimeout = ackTimeout;
        this.replicas = List.of();
    }

    @Override
    public ChunkLayout layout() {
        return layout;
    }

    /**
     * Pushes to {@code member} over {@code link} from now on. With {@code fill}, the replica is taken to hold
     * nothing yet: call {@link #fill} before its acknowledgements count (and before it answers pulls). Without, it
     * holds the whole region already, and is told so at once ({@code FILLED}), so that it answers pulls.
     */
    public synchronized Replica add(String member, PeerLink link, boolean fill) {
        return add(member, link, fill, false);
    }

    /**
     * Streams to {@code member} from now on without counting it towards the quorum (a migration's destination,
     * which pulls the rest itself): {@link #awaitAck} tells when it applied an epoch.
     */
    public Replica addLearner(String member, PeerLink link) {
        return add(member, link, false, true);
    }

    private synchronized Replica add(String member, PeerLink link, boolean fill, boolean learner) {
        for (Replica r : replicas) {
            if (r.member.equals(member)) {
                throw new IllegalArgumentException("replica " + member + " is pushed to already");
            }
        }
        Replica r = new Replica(member, link, fill ? Long.MAX_VALUE : 0, learner);
        link.addAckListener(this::signalAck);
        if (!fill && !learner) {
            vouch(link);
        }
        List<Replica> next = new ArrayList<>(replicas);
        next.add(r);
        replicas = List.copyOf(next);
        notifyAll();
        return r;
    }

    /** Stops pushing to {@code member} and closes its link; false if it was not a replica. */
    public synchronized boolean remove(String member) {
        List<Replica> next = new ArrayList<>(replicas);
        for (Replica r : replicas) {
            if (r.member.equals(member)) {
                next.remove(r);
                replicas = List.copyOf(next);
                r.link.close();
                return true;
            }
        }
        return false;
    }

    /**
     * How many replicas the region should have (the control plane's replica set), which the quorum is counted
     * against even while some of them have no working link: a broken link must make a flush fail, not shrink the
     * quorum. Until called, the replicas added are the ones expected.
     */
    public void expect(int replicaCount) {
        if (replicaCount < 0) {
            throw new IllegalArgumentException("replica count " + replicaCount + " is negative");
        }
        synchronized (this) {
            expected = replicaCount;
            notifyAll();
        }
    }

    /**
     * Waits, at most the acknowledgement timeout, until as many replicas are connected as a flush needs; returns
     * either way (the flush then says which are missing).
     */
    public void awaitReplicas() {
        long deadline = System.nanoTime() + ackTimeout.toNanos();
        synchronized (this) {
            while (connected() < needed()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private int connected() {
        int n = 0;
        for (Replica r : replicas) {
            n += r.learner || r.link.failure() != null ? 0 : 1;
        }
        return n;
    }

    /** The replicas pushed to now. */
    public List<Replica> replicas() {
        return replicas;
    }

    /** The replica named {@code member}, or null. */
    public Replica replica(String member) {
        for (Replica r : replicas) {
            if (r.member.equals(member)) {
                return r;
            }
        }
        return null;
    }

    /** The last epoch ended by {@link #sync()}. */
    public long epoch() {
        return epoch;
    }

    /**
     * The epoch {@code replica} acknowledged, if that acknowledgement proves it holds every chunk flushed until
     * then; -1 while its fill is not yet acknowledged.
     */
    public long completeEpoch(Replica replica) {
        long acked = replica.link.ackedEpoch(regionId);
        return acked >= replica.completeFrom ? acked : -1;
    }

    /**
     * Sends {@code replica} every chunk of {@code memory} (the region's mapping), after which it is complete from
     * the next epoch on. Runs beside the syncer: chunks written meanwhile are sent again by the stream, later on
     * the same link, so the replica ends up with the newest bytes.
     */
    public void fill(Replica replica, MemorySegment memory) throws IOException {
        if (memory.byteSize() != layout.regionSize()) {
            throw new IllegalArgumentException("memory of " + memory.byteSize() + " bytes does not match " + layout);
        }
        // Views of its own: the syncer's thread uses the sink's windows meanwhile.
        ChunkWindows chunks = new ChunkWindows(memory, layout.chunkSize());
        long t = token.getAsLong();
        for (int i = 0; i < layout.chunkCount(); i++) {
            // The epoch number only labels the frame: completeness is decided by the epoch end below.
            replica.link.sendChunk(regionId, t, epoch + 1, i, chunks.chunk(i));
        }
        // Every chunk of the fill precedes, on the link, the end of any epoch after the one in progress now.
        replica.completeFrom = epoch + 1;
        signalAck();
        // And the replica may answer pulls from now on: chunks written meanwhile follow on the same link.
        vouch(replica.link);
    }

    /** Tells the peer it holds the whole region; a failure is the link's (counted where the link is checked). */
    private void vouch(PeerLink link) {
        try {
            link.sendFilled(regionId, token.getAsLong());
        } catch (IOException e) {
            // The link failed: the replica neither acknowledges nor answers pulls until it is connected again.
        }
    }

    /**
     * From now on, notes every chunk written into {@code into} (the syncer's thread adds, so read it only once a
     * later {@code Syncer.flush()} returned): a migration's destination may page a chunk in before it is added as a
     * learner, and a write pushed in between reaches nobody there; the chunks noted are sent again once it is.
     */
    public void recordWrites(ChunkSet into) {
        recording = into;
    }

    /** Stops {@link #recordWrites}. */
    public void stopRecording() {
        recording = null;
    }

    @Override
    public void write(int index, MemorySegment source, long offset) throws IOException {
        layout.checkChunk(index);
        // Read before the replicas: a write that sees no recording any more sees a learner added before it stopped.
        ChunkSet noted = recording;
        if (noted != null) {
            noted.add(index);
        }
        ByteBuffer payload = window(source, offset);
        int position = payload.position();
        long t = token.getAsLong();
        List<Replica> targets = replicas;
        int sent = 0;
        IOException last = null;
        for (Replica r : targets) {
            if (r.link.failure() != null) {
                continue;
            }
            payload.position(position);
            try {
                r.link.sendChunk(regionId, t, epoch + 1, index, payload);
                sent += r.learner ? 0 : 1;
            } catch (IOException e) {
                last = e;
            }
        }
        int needed = needed();
        if (sent < needed) {
            StringBuilder unreached = new StringBuilder();
            for (Replica r : targets) {
                if (r.link.failure() != null && !r.learner) {
                    unreached.append(unreached.isEmpty() ? "" : ", ").append(r).append(" (")
                            .append(r.link.failure().getMessage()).append(')');
                }
            }
            throw new IOException("chunk " + index + " of region " + Long.toHexString(regionId) + " reached " + sent + " of "
                    + Math.max(targets.size(), expected) + " replicas, quorum " + needed + "; unreached: "
                    + (unreached.isEmpty() ? "replicas not connected yet" : unreached), last);
        }
    }

    /** Waits until {@code replica} acknowledged {@code epoch}; false on timeout or a broken link. */
    public boolean awaitAck(Replica replica, long epoch, long deadlineNanos) {
        return replica.link.awaitAck(regionId, epoch, deadlineNanos);
    }

    private int needed() {
        int count = 0;
        if (expected >= 0) {
            count = expected;
        } else {
            for (Replica r : replicas) {
                count += r.learner ? 0 : 1;
            }
        }
        return quorum == ALL ? count : Math.min(quorum, count);
    }

    /** A buffer over {@code source[offset, offset + chunkSize)}, from views built once per source segment. */
    private ByteBuffer window(MemorySegment source, long offset) {
        if (source != windowed) {
            windows = new ChunkWindows(source, layout.chunkSize());
            windowed = source;
        }
        return windows.chunk((int) (offset / layout.chunkSize()));
    }

    /**
     * Ends epochs until a quorum of complete replicas acknowledged one, or the timeout passes. A replica still being
     * filled cannot acknowledge completely yet: while the quorum depends on it, another epoch is ended once its fill
     * was sent.
     */
    @Override
    public void sync() throws IOException {
        long deadline = System.nanoTime() + ackTimeout.toNanos();
        while (true) {
            long ending = epoch + 1;
            epoch = ending;
            long t = token.getAsLong();
            List<Replica> targets = replicas;
            int needed = needed();
            for (Replica r : targets) {
                if (r.link.failure() == null) {
                    try {
                        r.link.sendEpochEnd(regionId, t, ending);
                    } catch (IOException e) {
                        // Counted below as a replica that did not acknowledge.
                    }
                }
            }
            int acks = awaitAcks(targets, ending, needed, deadline);
            // The replica set may have shrunk meanwhile (the owner dropped a replica, closing its link): the
            // quorum is that of the set now.
            if (acks >= needed || acks >= needed()) {
                return;
            }
            boolean filling = false;
            StringBuilder missing = new StringBuilder();
            for (Replica r : targets) {
                boolean complete = r.completeFrom <= ending;
                if (r.learner || complete && r.link.ackedEpoch(regionId) >= ending) {
                    continue;
                }
                filling |= !complete && r.link.failure() == null;
                missing.append(missing.isEmpty() ? "" : ", ").append(r).append(r.link.failure() != null
                        ? " (" + r.link.failure().getMessage() + ")" : complete ? " (no answer)" : "");
            }
            if (!filling || System.nanoTime() > deadline) {
                throw new IOException("flush of region " + Long.toHexString(regionId) + ": " + acks + " of "
                        + Math.max(targets.size(), expected) + " replicas acknowledged epoch " + ending + " within "
                        + ackTimeout.toMillis() + " ms, the quorum is " + needed + "; missing: " + missing);
            }
            awaitFillProgress(targets, ending, deadline);
        }
    }

    /**
     * Waits until {@code needed} complete replicas acknowledged {@code ending}, whichever they are, or none that could
     * still answer is left, or the deadline passes; returns how many did. A stopped or slow replica costs this wait
     * nothing while the others make the quorum.
     */
    private int awaitAcks(List<Replica> targets, long ending, int needed, long deadline) {
        synchronized (ackSignal) {
            while (true) {
                int acks = 0;
                boolean waitable = false;
                for (Replica r : targets) {
                    if (r.learner || r.completeFrom > ending) {
                        continue;
                    }
                    if (r.link.ackedEpoch(regionId) >= ending) {
                        acks++;
                    } else if (r.link.failure() == null) {
                        waitable = true;
                    }
                }
                long left = deadline - System.nanoTime();
                if (acks >= needed || !waitable || left <= 0) {
                    return acks;
                }
                try {
                    // Woken by any link's acknowledgement or failure (checked under this monitor: none is missed).
                    TimeUnit.NANOSECONDS.timedWait(ackSignal, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return acks;
                }
            }
        }
    }

    private void signalAck() {
        synchronized (ackSignal) {
            ackSignal.notifyAll();
        }
    }

    /**
     * Waits until a replica that was being filled when {@code ending} ended has its fill sent, or broke: woken by
     * {@link #fill} and by every link's failure, on the same monitor as the acknowledgements.
     */
    private void awaitFillProgress(List<Replica> targets, long ending, long deadline) {
        synchronized (ackSignal) {
            while (true) {
                for (Replica r : targets) {
                    long from = r.completeFrom;
                    if (!r.learner && from > ending && (from != Long.MAX_VALUE || r.link.failure() != null)) {
                        return;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(ackSignal, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
