package io.memsync.region.track;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSet;

import java.lang.foreign.MemorySegment;

/**
 * The {@code auto} tracker: {@code wp} while write-protect faults cost the writers less than hashing the region
 * would cost the collector, {@code hash} while they cost more ({@link AdaptivePolicy}, from what each scan measured
 * and what a fault costs here, {@link FaultCost}). Uniform writes over a large region take a fault per write under
 * {@code wp}; a hypervisor that shadows page tables makes every fault tens of microseconds: there {@code hash} wins.
 * Sparse writes to a large region cost {@code hash} a pass over all of it for a few chunks: there {@code wp} wins.
 * <p>
 * No write is missed across a switch. To {@code hash}: the hashes of the current bytes are taken first, then a last
 * {@code wp} scan reports everything written until then (during the hashing included), then the protection is lifted;
 * a write after a chunk was hashed changes its hash. To {@code wp}: every page is protected first, then a last hash
 * scan reports what was written before. The userfaultfd stays registered throughout; {@code hash}'s payload is its
 * private copy, {@code wp}'s the mapping.
 */
public final class AdaptiveTracker extends AbstractTracker {
    private static final System.Logger LOG = System.getLogger(AdaptiveTracker.class.getName());

    private final WriteProtectTracker wp;
    private final int fd;
    private final AdaptivePolicy policy;
    private final String name;
    /** The hash tracker while hashing, else null (set under the tracker's lock; read by displays without it). */
    private volatile HashTracker hash;
    private volatile long switches;
    /** The last hash scan's time (the switch's baseline counts), 0 before any. */
    private long lastHashNanos;
    /** When the last {@code wp} scan started (System.nanoTime), 0 before the first since {@code wp} began. */
    private long lastCollect;
    /** Runs between the steps of a switch (tests: a write in each gap must not be missed). */
    Runnable betweenSteps = () -> { };

    /** Tracks {@code mapping} of the file {@code fd} (-1 if unknown); starts with {@code wp}. */
    public AdaptiveTracker(MemorySegment mapping, ChunkLayout layout, int fd, String name) {
        this(mapping, layout, fd, name, FaultCost.wpFaultNanos());
    }

    AdaptiveTracker(MemorySegment mapping, ChunkLayout layout, int fd, String name, long faultNanos) {
        super(mapping, layout);
        this.wp = new WriteProtectTracker(mapping, layout);
        this.fd = fd;
        this.name = name;
        this.policy = new AdaptivePolicy(faultNanos);
    }

    @Override
    public TrackerKind kind() {
        return TrackerKind.AUTO;
    }

    /** {@code "auto (wp)"} or {@code "auto (hash)"}: the method in use now. */
    @Override
    public String describe() {
        return "auto (" + (hashing() ? "hash" : "wp") + ")";
    }

    /** Whether it hashes now (else it write-protects). */
    public boolean hashing() {
        return hash != null;
    }

    /** Whether its {@code wp} side locked the range ({@link WriteProtectTracker#locksMemory()}). */
    public boolean locksMemory() {
        return wp.locksMemory();
    }

    /** Switches between the two so far. */
    public long switches() {
        return switches;
    }

    @Override
    protected void collectWrites(ChunkSet dirty) {
        if (hash == null) {
            long start = System.nanoTime();
            int before = dirty.cardinality();
            wp.collect(dirty);
            policy.chunksWritten(dirty.cardinality() - before);
            long pages = wp.lastScanPages();
            long cycle = lastCollect == 0 ? 0 : start - lastCollect;
            lastCollect = start;
            if (cycle > 0 && policy.afterWpScan(pages, cycle, wp.lastScanNanos(), hashNanosEstimate())) {
                toHash(dirty, pages);
            }
        } else {
            int before = dirty.cardinality();
            hash.collect(dirty);
            if (policy.afterHashScan(dirty.cardinality() - before, hash.lastScanNanos())) {
                toWp(dirty);
            }
        }
    }

    /** A hash scan's cost: the last one's, or before any, the region at CRC32C's speed here. */
    private long hashNanosEstimate() {
        return lastHashNanos > 0 ? lastHashNanos
                : (long) (layout.regionSize() / FaultCost.crcBytesPerNano());
    }

    /** Switches to hashing (on the collector, under the tracker's lock). */
    void toHash(ChunkSet dirty, long pages) {
        long start = System.nanoTime();
        HashTracker h = new HashTracker(mapping, layout, fd);
        lastHashNanos = System.nanoTime() - start;
        betweenSteps.run();
        wp.collect(dirty);
        betweenSteps.run();
        wp.protectAll(false);
        betweenSteps.run();
        hash = h;
        switches++;
        LOG.log(System.Logger.Level.INFO, "tracker of " + name + ": hashing instead of write-protecting (" + pages
                + " pages written since the scan before, at ~" + policy.faultNanos() / 1000 + " us a fault, cost the "
                + "writers more CPU than a " + lastHashNanos / 1_000_000 + " ms hash scan each time would)");
    }

    /** Switches to write-protection (on the collector, under the tracker's lock). */
    void toWp(ChunkSet dirty) {
        betweenSteps.run();
        wp.protectAll(true);
        betweenSteps.run();
        hash.collect(dirty);
        betweenSteps.run();
        lastHashNanos = hash.lastScanNanos();
        hash.close();
        hash = null;
        lastCollect = 0;
        switches++;
        LOG.log(System.Logger.Level.INFO, "tracker of " + name + ": write-protecting again (few chunks change: "
                + "their faults would cost under a quarter of a " + lastHashNanos / 1_000_000 + " ms hash scan)");
    }

    /** Switches to the other method now, whatever the policy says (tests: switches under a running writer). */
    synchronized void switchNow(ChunkSet dirty) {
        checkOpen();
        if (hash == null) {
            toHash(dirty, 0);
        } else {
            toWp(dirty);
        }
    }

    @Override
    public synchronized MemorySegment payload() {
        return hash != null ? hash.payload() : mapping;
    }

    @Override
    public synchronized long preparePayload(int index) {
        checkOpen();
        return hash != null ? hash.preparePayload(index) : super.preparePayload(index);
    }

    @Override
    protected void release() {
        try {
            if (hash != null) {
                hash.close();
            }
        } finally {
            wp.close();
        }
    }
}
