package io.memsync.region.linux;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What this kernel offers memsync, probed once by trying each facility for real: userfaultfd (and its feature
 * bits), PAGEMAP_SCAN, whether PAGEMAP_SCAN still reports writes to pages whose page-table entry was dropped, and
 * the page size. {@link #describe()} is the human-readable report.
 * <p>
 * <b>Masking, for tests.</b> The system property {@value #MASK_PROPERTY} (a comma-separated list) makes
 * {@link #get()} answer as if the kernel lacked what it names: a userfaultfd feature as {@link
 * Userfaultfd#featureNames} spells it ({@code POISON}, {@code WP_ASYNC}, {@code MINOR_SHMEM}, ...),
 * {@value #MASK_PAGEMAP_SCAN}, or {@value #MASK_DROPPED_WRITES} (the probe of dropped-PTE writes failed). It is
 * read at every {@link #get()}, so a test can set it around the call it checks; it can only take features away.
 */
public record KernelFeatures(
        String kernelRelease,
        long pageSize,
        boolean userfaultfdAvailable,
        String userfaultfdProblem,
        long userfaultfdFeatures,
        boolean pagemapScanAvailable,
        String pagemapScanProblem,
        boolean pagemapScanSeesDroppedWrites,
        String droppedWritesProblem,
        List<String> masked) {

    /** System property: what {@link #get()} pretends the kernel lacks (see the class comment). */
    public static final String MASK_PROPERTY = "memsync.kernel.mask";
    /** Mask name: PAGEMAP_SCAN is unavailable. */
    public static final String MASK_PAGEMAP_SCAN = "PAGEMAP_SCAN";
    /** Mask name: PAGEMAP_SCAN misses writes to pages whose page-table entry was dropped. */
    public static final String MASK_DROPPED_WRITES = "PAGEMAP_SCAN_DROPPED_WRITES";

    /** The huge-page block the dropped-write probe writes whole, so that its page table can be freed too. */
    private static final long PMD_BLOCK = 2L << 20;

    private static volatile KernelFeatures probed;

    public KernelFeatures {
        masked = List.copyOf(masked);
    }

    /**
     * The probe's result for this process (probed on first use, then cached), less what
     * {@value #MASK_PROPERTY} masks.
     */
    public static KernelFeatures get() {
        KernelFeatures k = probed;
        if (k == null) {
            synchronized (KernelFeatures.class) {
                k = probed;
                if (k == null) {
                    k = probe();
                    probed = k;
                }
            }
        }
        String mask = System.getProperty(MASK_PROPERTY);
        return mask == null || mask.isBlank() ? k : k.mask(mask);
    }

    /** Probes the kernel afresh (no mask applied). */
    public static KernelFeatures probe() {
        String release;
        try {
            release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        } catch (IOException e) {
            release = "unknown (" + e.getMessage() + ")";
        }
        long pageSize = LibC.pageSize();

        boolean uffd = false;
        String uffdProblem = null;
        long features = 0;
        try {
            int fd = Userfaultfd.userfaultfd(LibC.O_CLOEXEC | LibC.O_NONBLOCK);
            try {
                features = Userfaultfd.api(fd, 0);
                uffd = true;
            } finally {
                LibC.close(fd);
            }
        } catch (LinuxException e) {
            uffdProblem = e.getMessage();
        }

        boolean scan = false;
        String scanProblem = null;
        long page = LibC.mmap(0, pageSize, LibC.PROT_READ | LibC.PROT_WRITE,
                LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
        try (PageMapScan pms = new PageMapScan(4)) {
            pms.scan(page, page + pageSize, 0, PageMapScan.PAGE_IS_PRESENT, PageMapScan.PAGE_IS_PRESENT,
                    (s, e, c) -> { });
            scan = true;
        } catch (LinuxException e) {
            scanProblem = e.getMessage();
        } finally {
            LibC.munmap(page, pageSize);
        }

        String droppedProblem;
        long wpAsync = Userfaultfd.FEATURE_WP_ASYNC | Userfaultfd.FEATURE_WP_UNPOPULATED;
        if (!scan) {
            droppedProblem = "PAGEMAP_SCAN is unavailable";
        } else if (!uffd || (features & wpAsync) != wpAsync) {
            droppedProblem = "userfaultfd WP_ASYNC is unavailable";
        } else {
            droppedProblem = probeDroppedWrites(pageSize);
        }
        return new KernelFeatures(release, pageSize, uffd, uffdProblem, features, scan, scanProblem,
                droppedProblem == null, droppedProblem, List.of());
    }

    /**
     * Writes pages of a memfd mapping tracked with WP_ASYNC, drops their page-table entries with MADV_DONTNEED (as
     * reclaim or MADV_PAGEOUT would), and checks that PAGEMAP_SCAN still reports them written: one page, and a whole
     * 2 MiB aligned block (whose page table can be freed). Returns null when both are reported, else what was missed.
     * Kernels without the 2026 fixes ("fix PAGEMAP_SCAN written state for unpopulated ptes / pmd holes") miss them.
     */
    private static String probeDroppedWrites(long pageSize) {
        int memfd = -1;
        int uffd = -1;
        long reserve = 0;
        long reserveSize = 3 * PMD_BLOCK;
        try {
            memfd = LibC.memfd_create("memsync-probe", LibC.MFD_CLOEXEC);
            long size = PMD_BLOCK + 2 * pageSize;
            LibC.ftruncate(memfd, size);
            // An aligned address for the block: reserve more than needed, then map the memfd over the aligned part.
            reserve = LibC.mmap(0, reserveSize, LibC.PROT_NONE,
                    LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
            long base = (reserve + PMD_BLOCK - 1) & -PMD_BLOCK;
            LibC.mmap(base, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_FIXED, memfd, 0);
            uffd = Userfaultfd.userfaultfd(LibC.O_CLOEXEC | LibC.O_NONBLOCK);
            Userfaultfd.api(uffd, Userfaultfd.FEATURE_WP_ASYNC | Userfaultfd.FEATURE_WP_UNPOPULATED);
            Userfaultfd.register(uffd, base, size, Userfaultfd.REGISTER_MODE_WP);
            Userfaultfd.writeprotect(uffd, base, size, Userfaultfd.WRITEPROTECT_MODE_WP);

            MemorySegment m = MemorySegment.ofAddress(base).reinterpret(size);
            long single = base + PMD_BLOCK + pageSize;
            for (long p = 0; p < PMD_BLOCK; p += pageSize) {
                m.set(JAVA_LONG, p, p + 1);
            }
            m.set(JAVA_LONG, single - base, 1);
            LibC.madvise(base, PMD_BLOCK, LibC.MADV_DONTNEED);
            LibC.madvise(single, pageSize, LibC.MADV_DONTNEED);

            long[] reported = new long[2];
            try (PageMapScan scan = new PageMapScan(16)) {
                scan.scan(base, base + size, PageMapScan.PM_SCAN_WP_MATCHING | PageMapScan.PM_SCAN_CHECK_WPASYNC,
                        PageMapScan.PAGE_IS_WRITTEN, PageMapScan.PAGE_IS_WRITTEN, (s, e, c) -> {
                            reported[0] += (Math.min(e, base + PMD_BLOCK) - Math.min(s, base + PMD_BLOCK)) / pageSize;
                            reported[1] += s <= single && single < e ? 1 : 0;
                        });
            }
            List<String> missed = new ArrayList<>();
            if (reported[1] == 0) {
                missed.add("a written page after MADV_DONTNEED");
            }
            if (reported[0] < PMD_BLOCK / pageSize) {
                missed.add((PMD_BLOCK / pageSize - reported[0]) + " of " + PMD_BLOCK / pageSize
                        + " written pages of a 2 MiB block after MADV_DONTNEED");
            }
            return missed.isEmpty() ? null : "PAGEMAP_SCAN missed " + String.join(" and ", missed)
                    + " (the kernel lacks the 2026 fixes of PAGEMAP_SCAN's written state for unpopulated PTEs and PMD "
                    + "holes)";
        } catch (LinuxException e) {
            return "the probe failed: " + e.getMessage();
        } finally {
            if (uffd >= 0) {
                LibC.close(uffd);
            }
            if (reserve != 0) {
                LibC.munmap(reserve, reserveSize);
            }
            if (memfd >= 0) {
                LibC.close(memfd);
            }
        }
    }

    /** These features less what the comma-separated {@code names} mask (see the class comment). */
    KernelFeatures mask(String names) {
        long features = userfaultfdFeatures;
        boolean scan = pagemapScanAvailable;
        String scanProblem = pagemapScanProblem;
        boolean dropped = pagemapScanSeesDroppedWrites;
        String droppedProblem = droppedWritesProblem;
        List<String> all = new ArrayList<>(masked);
        String why = "masked by -D" + MASK_PROPERTY;
        for (String raw : names.split(",")) {
            String name = raw.trim().toUpperCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            long bit = Userfaultfd.featureBit(name);
            if (name.equals(MASK_PAGEMAP_SCAN)) {
                scan = false;
                scanProblem = why;
                dropped = false;
                droppedProblem = why;
            } else if (name.equals(MASK_DROPPED_WRITES)) {
                dropped = false;
                droppedProblem = why;
            } else if (bit != 0) {
                features &= ~bit;
            } else {
                throw new IllegalArgumentException("-D" + MASK_PROPERTY + "=" + names + ": unknown name '" + raw.trim()
                        + "': choose " + MASK_PAGEMAP_SCAN + ", " + MASK_DROPPED_WRITES + " or a userfaultfd feature ("
                        + Userfaultfd.featureNames(-1L >>> (64 - 17)) + ")");
            }
            all.add(name);
        }
        return new KernelFeatures(kernelRelease, pageSize, userfaultfdAvailable, userfaultfdProblem, features, scan,
                scanProblem, dropped, droppedProblem, all);
    }

    /** True when the kernel supports every feature bit in {@code mask}. */
    public boolean hasUserfaultfdFeatures(long mask) {
        return userfaultfdAvailable && (userfaultfdFeatures & mask) == mask;
    }

    /** True when the exact write-protect tracker can run: async write-protect faults plus PAGEMAP_SCAN. */
    public boolean writeProtectTrackingAvailable() {
        return pagemapScanAvailable && hasUserfaultfdFeatures(Userfaultfd.FEATURE_WP_ASYNC
                | Userfaultfd.FEATURE_WP_UNPOPULATED | Userfaultfd.FEATURE_WP_HUGETLBFS_SHMEM);
    }

    /** True when shmem regions can be registered for MISSING faults (what lazy paging is built on). */
    public boolean lazyShmemAvailable() {
        return hasUserfaultfdFeatures(Userfaultfd.FEATURE_MISSING_SHMEM);
    }

    /**
     * True when lazy regions can be mounted: MISSING faults on shmem, and UFFDIO_POISON, without which a thread whose
     * chunk cannot be fetched could not be failed and would stay blocked (and with it the JVM's next safepoint).
     */
    public boolean lazyRegionsAvailable() {
        return hasUserfaultfdFeatures(Userfaultfd.FEATURE_MISSING_SHMEM | Userfaultfd.FEATURE_POISON);
    }

    /** Why lazy regions cannot be mounted, with what to do; null when they can. */
    public String lazyRegionsProblem() {
        if (lazyRegionsAvailable()) {
            return null;
        }
        if (!userfaultfdAvailable) {
            return userfaultfdProblem;
        }
        String offered = "this kernel (" + kernelRelease + ") offers " + Userfaultfd.featureNames(userfaultfdFeatures);
        if (!lazyShmemAvailable()) {
            return "lazy regions need userfaultfd MISSING faults on shmem (Linux 4.11+); " + offered;
        }
        return "lazy regions need userfaultfd POISON (UFFDIO_POISON, Linux 6.6+): without it a thread whose chunk "
                + "cannot be fetched would stay blocked in the kernel for good, and the JVM's next safepoint (any GC) "
                + "would never complete; " + offered + ". Run on Linux 6.6 or newer, or load the region eagerly "
                + "(RegionImages.load) instead of mounting it";
    }

    /** Why the write-protect tracker is unavailable, or null when it is available. */
    public String writeProtectTrackingProblem() {
        if (writeProtectTrackingAvailable()) {
            return null;
        }
        if (!userfaultfdAvailable) {
            return userfaultfdProblem;
        }
        if (!pagemapScanAvailable) {
            return pagemapScanProblem;
        }
        return "the kernel lacks userfaultfd WP_ASYNC/WP_UNPOPULATED (Linux 6.7+); it offers "
                + Userfaultfd.featureNames(userfaultfdFeatures);
    }

    /** A multi-line report of what is available and, for what is not, why. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("kernel ").append(kernelRelease).append(", page size ").append(pageSize).append(" bytes\n");
        if (!masked.isEmpty()) {
            sb.append("masked (-D").append(MASK_PROPERTY).append("): ").append(String.join(",", masked)).append('\n');
        }
        if (userfaultfdAvailable) {
            sb.append("userfaultfd: yes, features 0x").append(Long.toHexString(userfaultfdFeatures))
                    .append(" (").append(Userfaultfd.featureNames(userfaultfdFeatures)).append(")\n");
        } else {
            sb.append("userfaultfd: no: ").append(userfaultfdProblem).append('\n');
        }
        sb.append("PAGEMAP_SCAN: ").append(pagemapScanAvailable ? "yes" : "no: " + pagemapScanProblem).append('\n');
        sb.append("write-protect tracking (wp): ").append(writeProtectTrackingAvailable() ? "yes"
                : "no: " + writeProtectTrackingProblem()).append('\n');
        if (writeProtectTrackingAvailable()) {
            sb.append("PAGEMAP_SCAN sees writes to pages whose PTE was dropped: ").append(pagemapScanSeesDroppedWrites
                    ? "yes" : "no: " + droppedWritesProblem + "; so the wp tracker locks what it tracks "
                    + "(mlock2 MLOCK_ONFAULT: MADV_DONTNEED/PAGEOUT then fail with EINVAL and reclaim leaves it "
                    + "mapped), which needs RLIMIT_MEMLOCK or CAP_IPC_LOCK; AUTO picks hash where the lock is refused")
                    .append('\n');
        }
        sb.append("lazy regions (MISSING shmem + POISON): ").append(lazyRegionsAvailable() ? "yes"
                : "no: " + lazyRegionsProblem()).append('\n');
        sb.append("MINOR shmem (UFFDIO_CONTINUE): ")
                .append(hasUserfaultfdFeatures(Userfaultfd.FEATURE_MINOR_SHMEM) ? "yes" : "no");
        return sb.toString();
    }
}
