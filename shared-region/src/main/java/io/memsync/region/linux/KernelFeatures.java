package io.memsync.region.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What this kernel offers memsync, probed once by trying each facility for real: userfaultfd (and its feature
 * bits), PAGEMAP_SCAN, and the page size. {@link #describe()} is the human-readable report.
 */
public record KernelFeatures(
        String kernelRelease,
        long pageSize,
        boolean userfaultfdAvailable,
        String userfaultfdProblem,
        long userfaultfdFeatures,
        boolean pagemapScanAvailable,
        String pagemapScanProblem) {

    private static volatile KernelFeatures probed;

    /** The probe's result for this process (probed on first use, then cached). */
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
        return k;
    }

    /** Probes the kernel afresh. */
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
        return new KernelFeatures(release, pageSize, uffd, uffdProblem, features, scan, scanProblem);
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

    /** True when shmem regions can be paged in lazily (MISSING faults on shmem). */
    public boolean lazyShmemAvailable() {
        return hasUserfaultfdFeatures(Userfaultfd.FEATURE_MISSING_SHMEM);
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
        if (userfaultfdAvailable) {
            sb.append("userfaultfd: yes, features 0x").append(Long.toHexString(userfaultfdFeatures))
                    .append(" (").append(Userfaultfd.featureNames(userfaultfdFeatures)).append(")\n");
        } else {
            sb.append("userfaultfd: no: ").append(userfaultfdProblem).append('\n');
        }
        sb.append("PAGEMAP_SCAN: ").append(pagemapScanAvailable ? "yes" : "no: " + pagemapScanProblem).append('\n');
        sb.append("write-protect tracking (wp): ").append(writeProtectTrackingAvailable() ? "yes"
                : "no: " + writeProtectTrackingProblem()).append('\n');
        sb.append("lazy shmem (MISSING): ").append(lazyShmemAvailable() ? "yes" : "no").append('\n');
        sb.append("MINOR shmem (UFFDIO_CONTINUE): ")
                .append(hasUserfaultfdFeatures(Userfaultfd.FEATURE_MINOR_SHMEM) ? "yes" : "no");
        return sb.toString();
    }
}
