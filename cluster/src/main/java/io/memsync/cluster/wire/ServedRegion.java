package io.memsync.cluster.wire;

import io.memsync.region.ChunkLayout;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A region as the data plane serves it: its id on the wire, its memory, and its fencing state. A replica accepts
 * chunks from the holder of the current token, and from a newer one only once the {@linkplain #authority
 * authority} (the control plane) confirms that token: a peer cannot fence the owner out by inventing a token. Of
 * the connections pushing under one token only the newest is heard, so chunks still buffered in a connection the
 * owner gave up on can never land after those of its replacement. Every node answers pulls.
 */
public final class ServedRegion {
    private final int id;
    private final MemorySegment memory;
    private final MemorySegment applyMemory;
    private final ChunkLayout layout;
    private final boolean replica;
    private final AtomicLong token;
    private volatile LongSupplier authority;
    /** The newest connection that pushed here (guarded by this object's monitor). */
    private long pusher;
    private final AtomicLong appliedEpoch = new AtomicLong();
    private final AtomicLong chunksApplied = new AtomicLong();
    private final ChunkWindows windows;

    /**
     * @param memory  the region's writable mapping (a replica writes received chunks into it)
     * @param replica whether peers may push chunks into it
     * @param token   the fencing token in force; frames with an older one are refused
     */
    public ServedRegion(int id, MemorySegment memory, ChunkLayout layout, boolean replica, long token) {
        this(id, memory, memory, layout, replica, token);
    }

    /**
     * A region whose pulls are answered from {@code memory} and whose pushed chunks are written through
     * {@code applyMemory}, another mapping of the same memory: for a copy being paged in, pulls must fault missing
     * pages in, while pushed chunks must be written without faulting (and win over a page-in racing them).
     */
    public ServedRegion(int id, MemorySegment memory, MemorySegment applyMemory, ChunkLayout layout, boolean replica,
                        long token) {
        if (memory.byteSize() != layout.regionSize() || applyMemory.byteSize() != layout.regionSize()) {
            throw new IllegalArgumentException("memory of " + memory.byteSize() + " bytes does not match " + layout);
        }
        this.id = id;
        this.memory = memory;
        this.applyMemory = applyMemory;
        this.layout = layout;
        this.replica = replica;
        this.token = new AtomicLong(token);
        this.windows = new ChunkWindows(applyMemory, layout.chunkSize());
    }

    public int id() {
        return id;
    }

    public ChunkLayout layout() {
        return layout;
    }

    /** The memory pulls are answered from. */
    public MemorySegment memory() {
        return memory;
    }

    /** The memory pushed chunks are written into (the same memory, maybe through another mapping). */
    MemorySegment applyMemory() {
        return applyMemory;
    }

    public boolean isReplica() {
        return replica;
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

    /** Admits pushes from connection {@code sequence} unless a newer one pushed already. Hold the monitor. */
    boolean admitsPusher(long sequence) {
        if (sequence < pusher) {
            return false;
        }
        pusher = sequence;
        return true;
    }

    /** The last epoch whose every chunk this replica applied. */
    public long appliedEpoch() {
        return appliedEpoch.get();
    }

    public long chunksApplied() {
        return chunksApplied.get();
    }

    void applied(long epoch) {
        appliedEpoch.accumulateAndGet(epoch, Math::max);
    }

    void countChunk() {
        chunksApplied.incrementAndGet();
    }

    /**
     * A buffer over chunk {@code index} of the memory, positioned for one chunk. Not thread-safe: the windows are
     * shared, so a caller holds {@code this} while using it.
     */
    ByteBuffer chunkBuffer(int index) {
        return windows.chunk(index);
    }
}
