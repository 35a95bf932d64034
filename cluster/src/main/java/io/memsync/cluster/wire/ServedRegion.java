package io.memsync.cluster.wire;

import io.memsync.region.ChunkLayout;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * A region as the data plane serves it: its id on the wire, its memory, its role here, its fencing state, and
 * whether this copy may answer pulls. One object per local copy for the copy's whole life: a change of role (owner,
 * replica, migration destination) changes it in place, so that what it knows of pushers and completeness survives
 * the change.
 * <p>
 * <b>Fencing.</b> A replica accepts chunks from the holder of the current token, and from a newer one only once the
 * {@linkplain #authority authority} (the control plane) confirms that token: a peer cannot fence the owner out by
 * inventing a token. Of the connections pushing under one token only the newest is heard, so chunks still buffered
 * in a connection the owner gave up on can never land after those of its replacement.
 * <p>
 * <b>Pulls.</b> Only a copy known to hold the current data of every chunk answers them: the owner; a replica once
 * the owner's connection told it, after the last chunk of a fill ({@code FILLED}), that it holds the whole region,
 * for as long as that connection stays the newest pusher and open and the token does not move on; or a replica
 * the control plane names complete under the token in force (a migration's handover). A replica being filled, cut
 * from its owner, or following a token no owner vouched for, answers {@code NOT_HELD} and the puller asks another.
 */
public final class ServedRegion {
    /** What this copy is to the data plane. */
    public enum Role {
        /** Writes here; answers pulls; refuses pushes. */
        OWNER,
        /** Takes pushes; answers pulls once complete. */
        REPLICA,
        /** A migration's destination: takes pushes, answers no pulls (it is paging the region in itself). */
        LEARNER
    }

    /** Sentinel of {@link #completeConnection}: complete because the control plane says so. */
    private static final long BY_CONTROL_PLANE = 0;
    private static final long NONE = -1;

    private final long id;
    private final String name;
    private final MemorySegment memory;
    private final ChunkLayout layout;
    private final AtomicLong token;
    private volatile Role role;
    private volatile LongSupplier authority;
    private volatile IntConsumer applied;
    /** Guarded by this object's monitor, as are the fields below. */
    private MemorySegment applyMemory;
    private MemorySegment demotedApply;
    private ChunkWindows windows;
    /** The newest connection that pushed here. */
    private long pusher;
    /** The connection whose FILLED made this copy complete, {@link #BY_CONTROL_PLANE}, or {@link #NONE}. */
    private long completeConnection = NONE;
    /** The token under which this copy is complete (written under the monitor, read without: pulls never wait). */
    private volatile long completeToken = NONE;
    /** The token the control plane vouched for this copy under: it does so once per token. */
    private long vouchedToken = NONE;
    /**
     * The token under which this copy was complete when the connection vouching for it closed, or {@link #NONE}:
     * what a claim may carry over (see {@link #carryOver}).
     */
    private long completeUntilClosed = NONE;
    private final AtomicLong appliedEpoch = new AtomicLong();
    private final AtomicLong chunksApplied = new AtomicLong();
    private final AtomicLong pullsRefused = new AtomicLong();

    /**
     * A copy of region {@code name} served under {@code id}.
     *
     * @param memory the mapping pulls are answered from, and pushes written into until {@link #applyThrough}
     * @param role   what this copy is
     * @param token  the fencing token in force; frames with an older one are refused
     */
    public ServedRegion(long id, String name, MemorySegment memory, ChunkLayout layout, Role role, long token) {
        if (memory.byteSize() != layout.regionSize()) {
            throw new IllegalArgumentException("memory of " + memory.byteSize() + " bytes does not match " + layout);
        }
        this.id = id;
        this.name = name;
        this.memory = memory;
        this.layout = layout;
        this.role = role;
        this.token = new AtomicLong(token);
        this.applyMemory = memory;
        this.windows = new ChunkWindows(memory, layout.chunkSize());
    }

    /** A replica (or, with {@code replica} false, an owner) named after its id: for tests and benchmarks. */
    public ServedRegion(long id, MemorySegment memory, ChunkLayout layout, boolean replica, long token) {
        this(id, "region-" + id, memory, layout, replica ? Role.REPLICA : Role.OWNER, token);
        if (replica) {
            completeByControlPlane(token);
        }
    }

    public long id() {
        return id;
    }

    public String name() {
        return name;
    }

    public ChunkLayout layout() {
        return layout;
    }

    /** The memory pulls are answered from. */
    public MemorySegment memory() {
        return memory;
    }

    /**
     * Copies chunk {@code index} whole into {@code dst[0, chunkSize)}, under this region's lock: an apply of a pushed
     * chunk never tears it. The caller sends it after, without the lock, so a slow peer holds up nobody else.
     */
    synchronized void copyChunk(int index, MemorySegment dst) {
        MemorySegment.copy(memory, layout.offsetOf(index), dst, 0, layout.chunkSize());
    }

    public Role role() {
        return role;
    }

    public boolean isReplica() {
        return role != Role.OWNER;
    }

    /**
     * Writes pushed chunks through {@code mapping} from now on: another mapping of the same memory, for a copy whose
     * own mapping is paged in (a push must not fault, and wins over a page-in racing it) or tracked (a push is not
     * the application's write).
     */
    public synchronized void applyThrough(MemorySegment mapping) {
        if (mapping.byteSize() != layout.regionSize()) {
            throw new IllegalArgumentException("mapping of " + mapping.byteSize() + " bytes does not match " + layout);
        }
        applyMemory = mapping;
        windows = new ChunkWindows(mapping, layout.chunkSize());
    }

    /** Called with each chunk index written by a push, after the write (a paged copy makes it visible). */
    public void onApplied(IntConsumer hook) {
        this.applied = hook;
    }

    /**
     * Where pushes go once this owner's copy steps down ({@link #stepDownFor}): another mapping of the same memory,
     * so that they are neither tracked as this node's writes nor faulted in.
     */
    public synchronized void applyWhenDemoted(MemorySegment mapping) {
        if (mapping.byteSize() != layout.regionSize()) {
            throw new IllegalArgumentException("mapping of " + mapping.byteSize() + " bytes does not match " + layout);
        }
        demotedApply = mapping;
    }

    /**
     * An owner's copy receives a push under {@code frameToken}: if the control plane confirms that a newer token is
     * in force, this copy is a replica of its new owner from now on (the node's own step down follows); false,
     * and nothing changes, otherwise.
     */
    synchronized boolean stepDownFor(long frameToken) {
        if (role != Role.OWNER || frameToken <= token.get() || authority == null) {
            return false;
        }
        advanceToken(authority.getAsLong());
        if (frameToken != token.get()) {
            return false;
        }
        role = Role.REPLICA;
        if (demotedApply != null) {
            applyThrough(demotedApply);
        }
        return true;
    }

    /** Makes this copy the owner's under {@code newToken}: it answers pulls and refuses pushes. */
    public synchronized void becomeOwner(long newToken) {
        advanceToken(newToken);
        role = Role.OWNER;
    }

    /**
     * Makes this copy a replica (or a learner) following {@code newToken}; it answers pulls only once an owner or
     * the control plane vouches for it under the token in force.
     */
    public synchronized void becomeReplica(Role newRole, long newToken) {
        if (newRole == Role.OWNER) {
            throw new IllegalArgumentException("use becomeOwner");
        }
        advanceToken(newToken);
        role = newRole;
    }

    public long token() {
        return token.get();
    }

    /** Raises the token in force (the control plane moved ownership on); never lowers it. */
    public void advanceToken(long newToken) {
        token.accumulateAndGet(newToken, Math::max);
    }

    /**
     * Lowers the token in force to the {@linkplain #authority authority}'s when that is lower: this node adopted a
     * token claimed on its side of a split brain, and the other side's record won the merge. Without this, the
     * replica would refuse the real owner's pushes forever as stale. The authority is read here, not taken from the
     * caller, so that a token adopted meanwhile is never undone; pushes under the dropped token are refused from
     * now on. Returns whether the token was lowered.
     */
    public boolean rollBackToken() {
        LongSupplier a = authority;
        if (a == null) {
            return false;
        }
        synchronized (this) {
            long current = token.get();
            long truth = a.getAsLong();
            return truth > 0 && truth < current && token.compareAndSet(current, truth);
        }
    }

    /**
     * Where a token newer than the one in force is checked before it is adopted: returns the token the control
     * plane holds for this region. Without an authority (tests, stand-alone use) a newer token is adopted as sent.
     */
    public ServedRegion authority(LongSupplier tokenInForce) {
        this.authority = tokenInForce;
        return this;
    }

    /**
     * Whether a frame with {@code frameToken} may act on this region, adopting the token if the authority confirms
     * it; false if it is older than the token in force or newer than the authority knows.
     */
    boolean admits(long frameToken) {
        long current = token.get();
        if (frameToken == current) {
            return true;
        }
        if (frameToken < current) {
            return false;
        }
        LongSupplier a = authority;
        if (a != null) {
            advanceToken(a.getAsLong());
            return frameToken == token.get();
        }
        advanceToken(frameToken);
        return true;
    }

    /**
     * Admits pushes from connection {@code sequence} unless a newer one pushed already. A new pusher ends whatever
     * completeness was vouched for before it (it may be about to fill this copy); its own {@code FILLED}, which an
     * owner sends first on a connection to a replica that needs no fill, restores it. Hold the monitor.
     */
    boolean admitsPusher(long sequence) {
        if (sequence < pusher) {
            return false;
        }
        if (sequence > pusher) {
            completeConnection = NONE;
            completeToken = NONE;
            completeUntilClosed = NONE;
        }
        pusher = sequence;
        return true;
    }

    /** The pushing connection {@code sequence} vouched that this copy holds the whole region. Hold the monitor. */
    void filled(long sequence, long frameToken) {
        if (sequence == pusher && frameToken == token.get()) {
            completeConnection = sequence;
            completeToken = frameToken;
        }
    }

    /** Connection {@code sequence} closed: if it vouched for this copy, nobody does now. */
    synchronized void connectionClosed(long sequence) {
        if (completeConnection == sequence) {
            completeUntilClosed = completeToken;
            completeConnection = NONE;
            completeToken = NONE;
        }
    }

    /**
     * A replica claimed the region after its owner died, under {@code newToken}, and the directory says this copy
     * holds everything any replica is known to hold: if it was complete under an older token up to the moment its
     * owner's connection ended (the owner's death ends it), and no newer owner has pushed here since, it stays
     * complete under the new token by the control plane's word. The new owner may be paging the region in from it
     * (a migration's destination, still in post-copy, can be the one that claims); it refills this copy later,
     * which ends that word as any new pusher does. Returns whether it carried over.
     */
    public synchronized boolean carryOver(long newToken) {
        boolean wasComplete = (completeToken >= 0 && completeToken < newToken)
                || (completeUntilClosed >= 0 && completeUntilClosed < newToken);
        if (!wasComplete || newToken != token.get() || vouchedToken == newToken) {
            return false;
        }
        vouchedToken = newToken;
        completeConnection = BY_CONTROL_PLANE;
        completeToken = newToken;
        completeUntilClosed = NONE;
        return true;
    }

    /**
     * The control plane names this copy complete under {@code completeUnder} (a migration's handover listed it among
     * the replicas that applied the final round): it answers pulls under that token until a pusher says otherwise.
     * A connection that vouched for it under that token already keeps the say, and the control plane vouches only
     * once per token: a copy cut from its owner since is not made complete again by a later look at the record.
     */
    public synchronized void completeByControlPlane(long completeUnder) {
        if (completeUnder != token.get() || vouchedToken == completeUnder) {
            return;
        }
        vouchedToken = completeUnder;
        if (completeToken != completeUnder) {
            completeConnection = BY_CONTROL_PLANE;
            completeToken = completeUnder;
        }
    }

    /** Whether this copy is known to hold the current data of every chunk, so that it may answer pulls. */
    public boolean servesPulls() {
        if (role == Role.OWNER) {
            return true;
        }
        if (role == Role.LEARNER) {
            return false;
        }
        long complete = completeToken;
        return complete >= 0 && complete == token.get();
    }

    /** The last epoch whose every chunk this replica applied. */
    public long appliedEpoch() {
        return appliedEpoch.get();
    }

    public long chunksApplied() {
        return chunksApplied.get();
    }

    /** Pulls answered {@code NOT_HELD} because this copy was not known complete. */
    public long pullsRefused() {
        return pullsRefused.get();
    }

    void applied(long epoch) {
        appliedEpoch.accumulateAndGet(epoch, Math::max);
    }

    void countChunk(int index) {
        chunksApplied.incrementAndGet();
        IntConsumer hook = applied;
        if (hook != null) {
            hook.accept(index);
        }
    }

    void countRefusedPull() {
        pullsRefused.incrementAndGet();
    }

    /** The memory pushed chunks are written into. Hold the monitor. */
    MemorySegment applyMemory() {
        return applyMemory;
    }

    /**
     * A buffer over chunk {@code index} of the apply memory, positioned for one chunk. The windows are shared: hold
     * the monitor while using it.
     */
    ByteBuffer chunkBuffer(int index) {
        return windows.chunk(index);
    }

    @Override
    public String toString() {
        return "ServedRegion[" + name + " #" + Long.toHexString(id) + ", " + role + ", token " + token.get() + "]";
    }
}
