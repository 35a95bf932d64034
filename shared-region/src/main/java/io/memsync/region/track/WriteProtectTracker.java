package io.memsync.region.track;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSet;
import io.memsync.region.linux.KernelFeatures;
import io.memsync.region.linux.LibC;
import io.memsync.region.linux.LinuxException;
import io.memsync.region.linux.PageMapScan;
import io.memsync.region.linux.Userfaultfd;

import java.lang.foreign.MemorySegment;

/**
 * Exact write tracking with no handler thread: the mapping is registered with a userfaultfd in write-protect
 * mode with {@code WP_ASYNC}, so the kernel itself resolves the first write to each protected page (clearing its
 * protection, ~1 us) and no fault ever reaches user space. A scan is one {@code PAGEMAP_SCAN} walk that reports
 * the pages whose protection was cleared ({@code PAGE_IS_WRITTEN}) and, with {@code PM_SCAN_WP_MATCHING},
 * protects them again in the same call: a write racing the scan is reported now or by the next scan.
 * <p>
 * Works on any mapping, shmem or regular file ({@code WP_ASYNC} with WP as the only mode is allowed on every
 * memory type). It sees writes made through this mapping only, not through another mapping of the same file.
 * <p>
 * <b>Dropped page-table entries.</b> A written page whose PTE is dropped while its data stays (reclaim,
 * MADV_DONTNEED, MADV_PAGEOUT) is reported by PAGEMAP_SCAN only on kernels with the 2026 fixes, which
 * {@link KernelFeatures#pagemapScanSeesDroppedWrites()} probes. Elsewhere the tracker locks the range with
 * {@code mlock2(MLOCK_ONFAULT)} (nothing is populated; each page is locked once touched): a locked range refuses
 * MADV_DONTNEED and MADV_PAGEOUT with EINVAL and reclaim leaves it mapped, so no written PTE is dropped. Closing the
 * tracker unlocks it.
 */
public final class WriteProtectTracker extends AbstractTracker implements PageMapScan.RangeConsumer {
    /** Page ranges per PAGEMAP_SCAN call: written pages that are adjacent come back merged as one range. */
    private static final int SCAN_VECTOR = 4096;

    private final int uffd;
    private final boolean ownsUffd;
    private final PageMapScan pagemap;
    private final long base;
    private final int chunkShift;
    /** Whether this tracker locked the range (mlock2) because the kernel could miss dropped writes. */
    private final boolean locked;
    private ChunkSet target;
    /** Pages the last scan found written (the faults writers took since the scan before): the collector's. */
    private long lastScanPages;
    private final long pageSize = LibC.pageSize();

    /** Starts tracking {@code mapping} (page-aligned, the size of {@code layout}); every page starts clean. */
    public WriteProtectTracker(MemorySegment mapping, ChunkLayout layout) {
        super(mapping, layout);
        KernelFeatures kernel = KernelFeatures.get();
        if (!kernel.writeProtectTrackingAvailable()) {
            throw new UnsupportedOperationException("the 'wp' tracker is not available here: "
                    + kernel.writeProtectTrackingProblem() + ". Use the 'hash' or 'explicit' tracker.");
        }
        this.base = mapping.address();
        if (base % LibC.pageSize() != 0) {
            throw new IllegalArgumentException("mapping at 0x" + Long.toHexString(base) + " is not page-aligned");
        }
        this.chunkShift = layout.chunkShift();
        int fd = Userfaultfd.userfaultfd(LibC.O_CLOEXEC | LibC.O_NONBLOCK);
        PageMapScan scan = null;
        boolean lock = false;
        try {
            Userfaultfd.api(fd, Userfaultfd.FEATURE_WP_ASYNC | Userfaultfd.FEATURE_WP_UNPOPULATED);
            Userfaultfd.register(fd, base, layout.regionSize(), Userfaultfd.REGISTER_MODE_WP);
            lock = lockIfNeeded(kernel, base, layout.regionSize());
            Userfaultfd.writeprotect(fd, base, layout.regionSize(), Userfaultfd.WRITEPROTECT_MODE_WP);
            scan = new PageMapScan(SCAN_VECTOR);
        } catch (RuntimeException e) {
            if (lock) {
                LibC.munlock(base, layout.regionSize());
            }
            LibC.close(fd);
            throw e;
        }
        this.uffd = fd;
        this.ownsUffd = true;
        this.pagemap = scan;
        this.locked = lock;
    }

    /** Locks [base, base+size) where PAGEMAP_SCAN could miss writes to pages whose PTE is dropped; true if it did. */
    private static boolean lockIfNeeded(KernelFeatures kernel, long base, long size) {
        if (kernel.pagemapScanSeesDroppedWrites()) {
            return false;
        }
        try {
            LibC.mlock2(base, size, LibC.MLOCK_ONFAULT);
        } catch (LinuxException e) {
            throw new LinuxException(e.call(), e.errno(), "the 'wp' tracker must lock the " + size + " bytes it "
                    + "tracks, because this kernel's PAGEMAP_SCAN can miss writes to pages whose PTE was dropped ("
                    + kernel.droppedWritesProblem() + "); or use the 'hash' tracker");
        }
        return true;
    }

    private WriteProtectTracker(MemorySegment mapping, ChunkLayout layout, int registeredUffd, boolean protect) {
        super(mapping, layout);
        this.base = mapping.address();
        this.chunkShift = layout.chunkShift();
        this.locked = lockIfNeeded(KernelFeatures.get(), base, layout.regionSize());
        try {
            if (protect) {
                Userfaultfd.writeprotect(registeredUffd, base, layout.regionSize(), Userfaultfd.WRITEPROTECT_MODE_WP);
            }
            this.pagemap = new PageMapScan(SCAN_VECTOR);
        } catch (RuntimeException e) {
            if (locked) {
                LibC.munlock(base, layout.regionSize());
            }
            throw e;
        }
        this.uffd = registeredUffd;
        this.ownsUffd = false;
    }

    /**
     * Tracks {@code mapping} through {@code uffd}, a userfaultfd of the caller's that already has the mapping
     * registered in write-protect mode (besides, say, MISSING for a pager) with {@code WP_ASYNC} and
     * {@code WP_UNPOPULATED}. With {@code protect}, write-protects every page now so every page starts clean;
     * without, the caller kept every page protected until now (pages it installs arrive protected). The descriptor
     * stays the caller's.
     */
    public static WriteProtectTracker onRegistered(MemorySegment mapping, ChunkLayout layout, int uffd,
                                                   boolean protect) {
        return new WriteProtectTracker(mapping, layout, uffd, protect);
    }

    /**
     * Whether the tracked range is locked (mlock2) because the kernel could miss writes to pages whose PTE is
     * dropped; MADV_DONTNEED on it then fails with EINVAL, so whoever must drop PTEs there (a lazy region clearing
     * poison markers) unlocks that part first, drops, and locks it again.
     */
    public boolean locksMemory() {
        return locked;
    }

    @Override
    public TrackerKind kind() {
        return TrackerKind.WP;
    }

    @Override
    protected void collectWrites(ChunkSet dirty) {
        target = dirty;
        lastScanPages = 0;
        try {
            pagemap.scan(base, base + layout.regionSize(),
                    PageMapScan.PM_SCAN_WP_MATCHING | PageMapScan.PM_SCAN_CHECK_WPASYNC,
                    PageMapScan.PAGE_IS_WRITTEN, PageMapScan.PAGE_IS_WRITTEN, this);
        } finally {
            target = null;
        }
    }

    /** One range of written pages from the scan: marks every chunk it touches. */
    @Override
    public void accept(long start, long end, long categories) {
        int first = (int) ((start - base) >>> chunkShift);
        int last = (int) ((end - 1 - base) >>> chunkShift);
        target.addRange(first, last + 1);
        lastScanPages += (end - start) / pageSize;
    }

    /** Pages the last scan found written: each cost a writer one write-protect fault since the scan before. */
    public long lastScanPages() {
        return lastScanPages;
    }

    /**
     * Write-protects every page ({@code on}: from now on the next scan reports what is written) or lifts the
     * protection ({@code off}: writes cost nothing and go unseen until it is protected again). The {@code auto}
     * tracker's switch between {@code wp} and {@code hash}.
     */
    synchronized void protectAll(boolean on) {
        checkOpen();
        Userfaultfd.writeprotect(uffd, base, layout.regionSize(), on ? Userfaultfd.WRITEPROTECT_MODE_WP : 0);
    }

    @Override
    protected void release() {
        try {
            pagemap.close();
            if (locked) {
                LibC.munlock(base, layout.regionSize());
            }
        } finally {
            if (ownsUffd) {
                // Closing the userfaultfd unregisters the range and drops the protection.
                LibC.close(uffd);
            }
        }
    }
}
