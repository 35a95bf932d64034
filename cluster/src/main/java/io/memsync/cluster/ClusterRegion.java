package io.memsync.cluster;

import io.memsync.cluster.wire.ReplicaSink;
import io.memsync.cluster.wire.ServedRegion;
import io.memsync.region.Region;
import io.memsync.region.page.LazyRegion;
import io.memsync.region.pager.PagerStatus;
import io.memsync.region.sync.Syncer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * This node's copy of a cluster region, in one of three roles: the owner's writable one, whose syncer pushes to
 * the replicas; a replica's, filled by the owner and read-only here; or a migration destination's ("learner"),
 * paged in from the source while it receives the source's stream, which becomes the owner's at the handover.
 * <p>
 * The owner's writers get {@link #segment()}, a view that is revoked when this node stops owning the region: every
 * access through it then throws {@link IllegalStateException}, so a deposed owner's writers fail instead of
 * writing where nobody will ever read.
 */
public final class ClusterRegion implements AutoCloseable {
    /** What this copy is. */
    public enum Role { OWNER, REPLICA, LEARNER }

    private final String name;
    private final Region region;
    private final LazyRegion lazy;
    private final ServedRegion served;
    private final Syncer syncer;
    private final ReplicaSink sink;
    private final Role role;
    private final Runnable afterFlush;
    private final Arena writers;
    private final MemorySegment writerView;

    private ClusterRegion(String name, Region region, LazyRegion lazy, ServedRegion served, Syncer syncer,
                          ReplicaSink sink, Role role, Runnable afterFlush) {
        this.name = name;
        this.region = region;
        this.lazy = lazy;
        this.served = served;
        this.syncer = syncer;
        this.sink = sink;
        this.role = role;
        this.afterFlush = afterFlush;
        if (role == Role.OWNER) {
            writers = Arena.ofShared();
            writerView = MemorySegment.ofAddress(region.segment().address()).reinterpret(region.size(), writers,
                    null);
        } else {
            writers = null;
            writerView = null;
        }
    }

    /** A replica's copy. */
    static ClusterRegion replica(String name, Region region, LazyRegion lazy, ServedRegion served) {
        return new ClusterRegion(name, region, lazy, served, null, null, Role.REPLICA, () -> { });
    }

    /** A migration destination's copy: paged in by {@code lazy}, fed by the source's stream through {@code served}. */
    static ClusterRegion learner(String name, LazyRegion lazy, ServedRegion served) {
        return new ClusterRegion(name, lazy.region(), lazy, served, null, null, Role.LEARNER, () -> { });
    }

    /** The owner's copy: {@code syncer} pushes into {@code sink}; {@code afterFlush} runs after each flush. */
    static ClusterRegion owner(String name, Region region, LazyRegion lazy, ServedRegion served, Syncer syncer,
                               ReplicaSink sink, Runnable afterFlush) {
        return new ClusterRegion(name, region, lazy, served, syncer, sink, Role.OWNER, afterFlush);
    }

    public String name() {
        return name;
    }

    public Role role() {
        return role;
    }

    public boolean isOwner() {
        return role == Role.OWNER;
    }

    /**
     * The memory: on the owner a writable view that fails once this node stops owning the region; elsewhere a
     * read-only view.
     */
    public MemorySegment segment() {
        return role == Role.OWNER ? writerView : region.readOnlyView();
    }

    public long size() {
        return region.size();
    }

    public int chunkCount() {
        return region.layout().chunkCount();
    }

    public int chunkSize() {
        return region.layout().chunkSize();
    }

    /** Chunks present here: all of them except on a copy still being paged in. */
    public long presentChunks() {
        return lazy == null ? chunkCount() : lazy.status().presentChunks();
    }

    /**
     * The counters this copy's pager processes share with this JVM (faults, chunks pulled, fault latencies), or null
     * when the copy is not paged (created here, or a replica filled by the owner).
     */
    public PagerStatus pagerStatus() {
        return lazy == null ? null : lazy.status();
    }

    /** Share of chunks present here: 1 except on a copy still being paged in. */
    public double availability() {
        return lazy == null ? 1.0 : lazy.availability();
    }

    /**
     * Pages in every chunk a paged copy still lacks, one touch per chunk, on the caller's thread (each touch may
     * wait for its chunk to be fetched; the pager, not this JVM, serves it). Nothing for a copy that is whole.
     * A new owner whose copy is paged does this before it refills its replicas: a replica being refilled answers
     * no pulls, and it may be the one copy that holds what this one lacks.
     */
    void pageIn() {
        if (lazy == null) {
            return;
        }
        MemorySegment memory = region.segment();
        int chunkSize = chunkSize();
        for (int c = 0; c < chunkCount(); c++) {
            if (!lazy.isPresent(c)) {
                memory.get(java.lang.foreign.ValueLayout.JAVA_BYTE, (long) c * chunkSize);
            }
        }
    }

    /** On the owner: returns once the replica quorum holds every write made before the call. */
    public void flush() throws IOException {
        if (role != Role.OWNER) {
            throw new IllegalStateException("region " + name + " is a " + role.name().toLowerCase()
                    + " here: flush on its owner");
        }
        // A replica placed but not yet connected (a region just created, a member just joined) is waited for
        // rather than failing the flush at once; the pushes between flushes do not wait.
        sink.awaitReplicas();
        syncer.flush();
        afterFlush.run();
    }

    /**
     * CRC32C of the whole region, to compare copies (pages a lazy copy lacks are paged in first). The memory is
     * copied out a MiB at a time before it is summed: a page no node could provide is poisoned, and reading it
     * must fail as an {@link InternalError} from the copy, which the JVM guards, not crash the JVM inside the
     * CRC32C intrinsic, which it does not.
     */
    public long checksum() {
        try {
            return crc32c(region.readOnlyView());
        } catch (IllegalStateException e) {
            if (!region.segment().scope().isAlive()) {
                throw new IllegalStateException("region " + name + ": this node's copy is closed (dropped once "
                        + "another node held it all, or the node closed): ask a node that holds a copy", e);
            }
            throw e;
        }
    }

    /**
     * CRC32C of each chunk in {@code [from, from + count)} of this copy, -1 for a chunk a lazy copy does not hold
     * (it is not paged in for this): what anti-entropy compares between an owner and its replicas.
     */
    public long[] chunkDigests(int from, int count) {
        int to = Math.min(chunkCount(), from + count);
        long[] out = new long[Math.max(0, to - from)];
        MemorySegment memory = region.readOnlyView();
        CRC32C crc = new CRC32C();
        for (int c = from; c < to; c++) {
            if (lazy != null && !lazy.isPresent(c)) {
                out[c - from] = -1;
                continue;
            }
            crc.reset();
            crc.update(memory.asSlice((long) c * chunkSize(), chunkSize()).asByteBuffer());
            out[c - from] = crc.getValue();
        }
        return out;
    }

    /**
     * CRC32C of {@code memory} (a region, or part of one), copied out a MiB at a time first (see {@link #checksum()}
     * for why): what {@link #checksum()} computes for a whole region.
     */
    public static long crc32c(MemorySegment memory) {
        CRC32C crc = new CRC32C();
        long step = 1 << 20;
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment buffer = scratch.allocate(step, 4096);
            for (long o = 0; o < memory.byteSize(); o += step) {
                long n = Math.min(step, memory.byteSize() - o);
                MemorySegment.copy(memory, o, buffer, 0, n);
                crc.update(buffer.asSlice(0, n).asByteBuffer());
            }
        }
        return crc.getValue();
    }

    /**
     * The epoch this copy is at: on the owner the last epoch its flushes ended, elsewhere the last epoch applied
     * here. Epochs end with flushes only.
     */
    public long epoch() {
        return sink != null ? sink.epoch() : served.appliedEpoch();
    }

    /**
     * On the owner: for each replica pushed to, the last epoch it acknowledged in a way that proves it holds every
     * chunk flushed until then (-1 while its fill is not acknowledged yet); empty elsewhere. Replicas of the
     * directory that have no working link now are missing from it.
     */
    public Map<String, Long> replicaEpochs() {
        Map<String, Long> epochs = new TreeMap<>();
        if (sink != null) {
            for (ReplicaSink.Replica r : sink.replicas()) {
                epochs.put(r.member(), sink.completeEpoch(r));
            }
        }
        return epochs;
    }

    /** The last epoch applied here (replicas). */
    public long appliedEpoch() {
        return served.appliedEpoch();
    }

    /** Chunks pushed into this copy by owners (fills included), since it was opened here. */
    public long chunksApplied() {
        return served.chunksApplied();
    }

    /**
     * Whether this copy answers pulls: the owner's always; a replica's only while it is known to hold the current
     * data of every chunk (not while it is being filled, nor once cut from its owner).
     */
    public boolean servesPulls() {
        return served.servesPulls();
    }

    /** The fencing token this copy follows. */
    public long token() {
        return served.token();
    }

    ServedRegion served() {
        return served;
    }

    Region region() {
        return region;
    }

    LazyRegion lazy() {
        return lazy;
    }

    /**
     * On the owner the syncer that pushes this copy to the replicas, for its counters and for tuning (interval,
     * pause and resume); null elsewhere. It belongs to the node: closing it is the node's job.
     */
    public Syncer syncer() {
        return syncer;
    }

    /** On the owner: the replicas and their links; null elsewhere. */
    ReplicaSink sink() {
        return sink;
    }

    /**
     * Revokes the writers' view: from now on their accesses throw. A migration's source and the conductor may both
     * demote this copy at once (the handover, and the directory event it causes): the first revokes, the second
     * finds it done.
     */
    synchronized void revokeWriters() {
        if (writers != null && writers.scope().isAlive()) {
            writers.close();
        }
    }

    /**
     * This copy is no longer the owner's: revokes the writers' view, closes the links and stops the syncer without
     * pushing anything more (replicas that follow the new owner would refuse it; one that has not heard of the new
     * owner yet must not take it).
     */
    void stopPushing() {
        revokeWriters();
        closeLinks();
        syncer.abandon(java.time.Duration.ofSeconds(5));
        if (lazy == null) {
            // A wp tracker keeps the range registered with its userfaultfd: left open, this node could never track
            // the region again (EBUSY) when it becomes owner once more. A paged copy's tracker is its LazyRegion's.
            syncer.tracker().close();
        }
    }

    /** Cuts the owner's links to its replicas: a flush waiting on them fails at once. */
    void cutLinks() {
        closeLinks();
    }

    private void closeLinks() {
        if (sink != null) {
            for (ReplicaSink.Replica r : sink.replicas()) {
                r.link().close();
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            revokeWriters();
            if (syncer != null) {
                syncer.close();
            }
        } finally {
            closeLinks();
            if (lazy != null) {
                lazy.close();
            } else {
                region.close();
            }
        }
    }
}
