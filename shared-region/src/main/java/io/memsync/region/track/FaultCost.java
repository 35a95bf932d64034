package io.memsync.region.track;

import io.memsync.region.linux.KernelFeatures;
import io.memsync.region.linux.LibC;
import io.memsync.region.linux.LinuxException;
import io.memsync.region.linux.Userfaultfd;

import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32C;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What tracking costs on this machine, measured once per process (a few milliseconds): the time a writer loses to
 * one asynchronous write-protect fault (the {@code wp} tracker's price per page first written after a scan; ~1 us on
 * bare metal, tens of microseconds under a hypervisor that shadows page tables), and how fast CRC32C reads memory
 * (the {@code hash} tracker's price per byte per scan). {@link AdaptivePolicy} weighs the one against the other.
 */
final class FaultCost {
    private static final System.Logger LOG = System.getLogger(FaultCost.class.getName());
    private static final int PROBE_PAGES = 256;
    /** The probe's pages lie this far apart (a region's writes are spread over its page tables too). */
    private static final long PROBE_STRIDE = 1L << 20;

    private FaultCost() {
    }

    /** Both costs, measured once, when first asked for (the JVM initializes a class once, on first use). */
    private static final class Measured {
        static final long WP_FAULT_NANOS = measureWpFault();
        static final double CRC_BYTES_PER_NANO = measureCrc();

        static {
            LOG.log(System.Logger.Level.DEBUG, "tracking costs here: " + WP_FAULT_NANOS + " ns a write-protect fault, "
                    + "CRC32C at " + String.format("%.1f", CRC_BYTES_PER_NANO) + " GB/s");
        }
    }

    /** Nanoseconds one asynchronous write-protect fault costs a writer here (median of three rounds). */
    static long wpFaultNanos() {
        return Measured.WP_FAULT_NANOS;
    }

    /** Bytes a nanosecond (GB/s) CRC32C reads here. */
    static double crcBytesPerNano() {
        return Measured.CRC_BYTES_PER_NANO;
    }

    private static double measureCrc() {
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocateDirect(4 << 20);
        CRC32C crc = new CRC32C();
        double best = 0;
        for (int round = 0; round < 5; round++) {
            buffer.clear();
            long start = System.nanoTime();
            crc.update(buffer);
            best = Math.max(best, (4 << 20) / (double) Math.max(1, System.nanoTime() - start));
        }
        return best;
    }

    /** Times writes to freshly write-protected pages of a memfd tracked as the wp tracker tracks. */
    private static long measureWpFault() {
        if (!KernelFeatures.get().writeProtectTrackingAvailable()) {
            return Long.MAX_VALUE / 4;
        }
        long size = PROBE_PAGES * PROBE_STRIDE;
        int memfd = -1;
        int uffd = -1;
        long base = 0;
        try {
            memfd = LibC.memfd_create("memsync-fault-cost", LibC.MFD_CLOEXEC);
            LibC.ftruncate(memfd, size);
            base = LibC.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, memfd, 0);
            uffd = Userfaultfd.userfaultfd(LibC.O_CLOEXEC | LibC.O_NONBLOCK);
            Userfaultfd.api(uffd, Userfaultfd.FEATURE_WP_ASYNC | Userfaultfd.FEATURE_WP_UNPOPULATED);
            Userfaultfd.register(uffd, base, size, Userfaultfd.REGISTER_MODE_WP);
            MemorySegment m = MemorySegment.ofAddress(base).reinterpret(size);
            for (long p = 0; p < size; p += PROBE_STRIDE) {
                m.set(JAVA_LONG, p, p);
            }
            long[] rounds = new long[3];
            for (int r = 0; r < rounds.length; r++) {
                Userfaultfd.writeprotect(uffd, base, size, Userfaultfd.WRITEPROTECT_MODE_WP);
                long start = System.nanoTime();
                for (long p = 0; p < size; p += PROBE_STRIDE) {
                    m.set(JAVA_LONG, p, p + r);
                }
                rounds[r] = (System.nanoTime() - start) / PROBE_PAGES;
            }
            java.util.Arrays.sort(rounds);
            return Math.max(1, rounds[1]);
        } catch (LinuxException e) {
            LOG.log(System.Logger.Level.DEBUG, "measuring a write-protect fault failed: " + e.getMessage());
            return Long.MAX_VALUE / 4;
        } finally {
            if (uffd >= 0) {
                LibC.close(uffd);
            }
            if (base != 0) {
                LibC.munmap(base, size);
            }
            if (memfd >= 0) {
                LibC.close(memfd);
            }
        }
    }
}
