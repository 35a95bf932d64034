package io.memsync.region.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * userfaultfd(2) and its ioctls (linux/userfaultfd.h), with the struct layouts beside them. Constants the 6.1
 * headers lack (WP_UNPOPULATED, WP_ASYNC, MOVE) are defined from the kernel's uapi. Ioctl arguments go through
 * a per-thread scratch segment, so every call after a thread's first is allocation-free.
 */
public final class Userfaultfd {
    /** __NR_userfaultfd on x86_64. */
    public static final long SYS_USERFAULTFD = 323;
    public static final long UFFD_API = 0xAA;
    /** userfaultfd(2) flag: only faults from user mode are handled (what unprivileged users may ask for). */
    public static final int UFFD_USER_MODE_ONLY = 1;

    // Features (uffdio_api.features).
    public static final long FEATURE_PAGEFAULT_FLAG_WP = 1L << 0;
    public static final long FEATURE_EVENT_FORK = 1L << 1;
    public static final long FEATURE_EVENT_REMAP = 1L << 2;
    public static final long FEATURE_EVENT_REMOVE = 1L << 3;
    public static final long FEATURE_MISSING_HUGETLBFS = 1L << 4;
    public static final long FEATURE_MISSING_SHMEM = 1L << 5;
    public static final long FEATURE_EVENT_UNMAP = 1L << 6;
    public static final long FEATURE_SIGBUS = 1L << 7;
    public static final long FEATURE_THREAD_ID = 1L << 8;
    public static final long FEATURE_MINOR_HUGETLBFS = 1L << 9;
    public static final long FEATURE_MINOR_SHMEM = 1L << 10;
    public static final long FEATURE_EXACT_ADDRESS = 1L << 11;
    public static final long FEATURE_WP_HUGETLBFS_SHMEM = 1L << 12;
    public static final long FEATURE_WP_UNPOPULATED = 1L << 13;
    public static final long FEATURE_POISON = 1L << 14;
    public static final long FEATURE_WP_ASYNC = 1L << 15;
    public static final long FEATURE_MOVE = 1L << 16;

    // Registration modes (uffdio_register.mode).
    public static final long REGISTER_MODE_MISSING = 1;
    public static final long REGISTER_MODE_WP = 2;
    public static final long REGISTER_MODE_MINOR = 4;

    // Per-ioctl modes.
    public static final long COPY_MODE_DONTWAKE = 1;
    public static final long COPY_MODE_WP = 2;
    public static final long ZEROPAGE_MODE_DONTWAKE = 1;
    public static final long WRITEPROTECT_MODE_WP = 1;
    public static final long WRITEPROTECT_MODE_DONTWAKE = 2;
    public static final long CONTINUE_MODE_DONTWAKE = 1;
    public static final long POISON_MODE_DONTWAKE = 1;

    /** struct uffdio_range { __u64 start; __u64 len; } */
    public static final StructLayout UFFDIO_RANGE = MemoryLayout.structLayout(
            JAVA_LONG.withName("start"), JAVA_LONG.withName("len"));
    /** struct uffdio_api { __u64 api; __u64 features; __u64 ioctls; } */
    public static final StructLayout UFFDIO_API_LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("api"), JAVA_LONG.withName("features"), JAVA_LONG.withName("ioctls"));
    /** struct uffdio_register { struct uffdio_range range; __u64 mode; __u64 ioctls; } */
    public static final StructLayout UFFDIO_REGISTER_LAYOUT = MemoryLayout.structLayout(
            UFFDIO_RANGE.withName("range"), JAVA_LONG.withName("mode"), JAVA_LONG.withName("ioctls"));
    /** struct uffdio_copy { __u64 dst; __u64 src; __u64 len; __u64 mode; __s64 copy; } */
    public static final StructLayout UFFDIO_COPY_LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("dst"), JAVA_LONG.withName("src"), JAVA_LONG.withName("len"),
            JAVA_LONG.withName("mode"), JAVA_LONG.withName("copy"));
    /** struct uffdio_zeropage { struct uffdio_range range; __u64 mode; __s64 zeropage; } */
    public static final StructLayout UFFDIO_ZEROPAGE_LAYOUT = MemoryLayout.structLayout(
            UFFDIO_RANGE.withName("range"), JAVA_LONG.withName("mode"), JAVA_LONG.withName("zeropage"));
    /** struct uffdio_writeprotect { struct uffdio_range range; __u64 mode; } */
    public static final StructLayout UFFDIO_WRITEPROTECT_LAYOUT = MemoryLayout.structLayout(
            UFFDIO_RANGE.withName("range"), JAVA_LONG.withName("mode"));
    /** struct uffdio_continue { struct uffdio_range range; __u64 mode; __s64 mapped; } */
    public static final StructLayout UFFDIO_CONTINUE_LAYOUT = MemoryLayout.structLayout(
            UFFDIO_RANGE.withName("range"), JAVA_LONG.withName("mode"), JAVA_LONG.withName("mapped"));
    /**
     * struct uffd_msg, 32 bytes; for a page fault: {@code event} (u8) at 0, {@code flags} (u64) at 8,
     * {@code address} (u64) at 16, {@code ptid} (u32) at 24.
     */
    public static final StructLayout UFFD_MSG = MemoryLayout.structLayout(
            JAVA_BYTE.withName("event"), MemoryLayout.paddingLayout(7),
            JAVA_LONG.withName("flags"), JAVA_LONG.withName("address"), JAVA_LONG.withName("ptid"));
    /** {@code uffd_msg.event} of element {@code index} of an array of messages: (segment, 0L, index) -> byte. */
    public static final VarHandle UFFD_MSG_EVENT = UFFD_MSG.arrayElementVarHandle(groupElement("event"));
    /** {@code uffd_msg.arg.pagefault.flags} of element {@code index}: (segment, 0L, index) -> long. */
    public static final VarHandle UFFD_MSG_FLAGS = UFFD_MSG.arrayElementVarHandle(groupElement("flags"));
    /** {@code uffd_msg.arg.pagefault.address} of element {@code index}: (segment, 0L, index) -> long. */
    public static final VarHandle UFFD_MSG_ADDRESS = UFFD_MSG.arrayElementVarHandle(groupElement("address"));
    public static final byte EVENT_PAGEFAULT = 0x12;
    public static final byte EVENT_FORK = 0x13;
    public static final byte EVENT_REMAP = 0x14;
    public static final byte EVENT_REMOVE = 0x15;
    public static final byte EVENT_UNMAP = 0x16;
    public static final long PAGEFAULT_FLAG_WRITE = 1;
    public static final long PAGEFAULT_FLAG_WP = 2;
    public static final long PAGEFAULT_FLAG_MINOR = 4;

    // _IOWR/_IOR(0xAA, nr, struct): dir << 30 | size << 16 | 0xAA << 8 | nr.
    public static final long UFFDIO_API = ioc(3, 0x3F, UFFDIO_API_LAYOUT.byteSize());
    public static final long UFFDIO_REGISTER = ioc(3, 0x00, UFFDIO_REGISTER_LAYOUT.byteSize());
    public static final long UFFDIO_UNREGISTER = ioc(2, 0x01, UFFDIO_RANGE.byteSize());
    public static final long UFFDIO_WAKE = ioc(2, 0x02, UFFDIO_RANGE.byteSize());
    public static final long UFFDIO_COPY = ioc(3, 0x03, UFFDIO_COPY_LAYOUT.byteSize());
    public static final long UFFDIO_ZEROPAGE = ioc(3, 0x04, UFFDIO_ZEROPAGE_LAYOUT.byteSize());
    public static final long UFFDIO_WRITEPROTECT = ioc(3, 0x06, UFFDIO_WRITEPROTECT_LAYOUT.byteSize());
    public static final long UFFDIO_CONTINUE = ioc(3, 0x07, UFFDIO_CONTINUE_LAYOUT.byteSize());
    /** struct uffdio_poison { struct uffdio_range range; __u64 mode; __s64 updated; } */
    public static final StructLayout UFFDIO_POISON_LAYOUT = MemoryLayout.structLayout(
            UFFDIO_RANGE.withName("range"), JAVA_LONG.withName("mode"), JAVA_LONG.withName("updated"));
    public static final long UFFDIO_POISON = ioc(3, 0x08, UFFDIO_POISON_LAYOUT.byteSize());
    /** /dev/userfaultfd's USERFAULTFD_IOC_NEW = _IO(0xAA, 0x00). */
    public static final long USERFAULTFD_IOC_NEW = 0xAA00;

    // Field offsets of the ioctl arguments, from the layouts above.
    private static final long API_API = UFFDIO_API_LAYOUT.byteOffset(groupElement("api"));
    private static final long API_FEATURES = UFFDIO_API_LAYOUT.byteOffset(groupElement("features"));
    private static final long RANGE_START = UFFDIO_RANGE.byteOffset(groupElement("start"));
    private static final long RANGE_LEN = UFFDIO_RANGE.byteOffset(groupElement("len"));
    private static final long REGISTER_START =
            UFFDIO_REGISTER_LAYOUT.byteOffset(groupElement("range"), groupElement("start"));
    private static final long REGISTER_LEN = UFFDIO_REGISTER_LAYOUT.byteOffset(groupElement("range"), groupElement("len"));
    private static final long REGISTER_MODE = UFFDIO_REGISTER_LAYOUT.byteOffset(groupElement("mode"));
    private static final long REGISTER_IOCTLS = UFFDIO_REGISTER_LAYOUT.byteOffset(groupElement("ioctls"));
    private static final long COPY_DST = UFFDIO_COPY_LAYOUT.byteOffset(groupElement("dst"));
    private static final long COPY_SRC = UFFDIO_COPY_LAYOUT.byteOffset(groupElement("src"));
    private static final long COPY_LEN = UFFDIO_COPY_LAYOUT.byteOffset(groupElement("len"));
    private static final long COPY_MODE = UFFDIO_COPY_LAYOUT.byteOffset(groupElement("mode"));
    private static final long COPY_COPY = UFFDIO_COPY_LAYOUT.byteOffset(groupElement("copy"));
    private static final long WRITEPROTECT_START =
            UFFDIO_WRITEPROTECT_LAYOUT.byteOffset(groupElement("range"), groupElement("start"));
    private static final long WRITEPROTECT_LEN =
            UFFDIO_WRITEPROTECT_LAYOUT.byteOffset(groupElement("range"), groupElement("len"));
    private static final long WRITEPROTECT_MODE = UFFDIO_WRITEPROTECT_LAYOUT.byteOffset(groupElement("mode"));
    /** ZEROPAGE, CONTINUE and POISON: range, mode, then the bytes done (or -errno); checked equal below. */
    private static final long RANGED_START =
            UFFDIO_CONTINUE_LAYOUT.byteOffset(groupElement("range"), groupElement("start"));
    private static final long RANGED_LEN = UFFDIO_CONTINUE_LAYOUT.byteOffset(groupElement("range"), groupElement("len"));
    private static final long RANGED_MODE = UFFDIO_CONTINUE_LAYOUT.byteOffset(groupElement("mode"));
    private static final long RANGED_RESULT = UFFDIO_CONTINUE_LAYOUT.byteOffset(groupElement("mapped"));

    static {
        if (UFFDIO_ZEROPAGE_LAYOUT.byteOffset(groupElement("zeropage")) != RANGED_RESULT
                || UFFDIO_POISON_LAYOUT.byteOffset(groupElement("updated")) != RANGED_RESULT
                || UFFDIO_ZEROPAGE_LAYOUT.byteOffset(groupElement("mode")) != RANGED_MODE
                || UFFDIO_POISON_LAYOUT.byteOffset(groupElement("mode")) != RANGED_MODE) {
            throw new AssertionError("uffdio_zeropage, uffdio_continue and uffdio_poison no longer share a shape");
        }
    }

    private static final int MAX_COPY_ATTEMPTS = 1000;

    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(UFFDIO_COPY_LAYOUT));

    private Userfaultfd() {
    }

    private static long ioc(long dir, long nr, long size) {
        return (dir << 30) | (size << 16) | (UFFD_API << 8) | nr;
    }

    private static MemorySegment scratch() {
        MemorySegment s = SCRATCH.get();
        s.fill((byte) 0);
        return s;
    }

    /**
     * userfaultfd(2) with {@code flags} (O_CLOEXEC, O_NONBLOCK, UFFD_USER_MODE_ONLY). Where the syscall is
     * refused (vm.unprivileged_userfaultfd=0) it falls back to /dev/userfaultfd, as the kernel intends.
     */
    public static int userfaultfd(int flags) {
        long fd = LibC.syscall(SYS_USERFAULTFD, flags);
        if (fd >= 0) {
            return (int) fd;
        }
        int errno = (int) -fd;
        if (errno == Errno.EPERM || errno == Errno.EACCES) {
            int dev = LibC.openIfExists("/dev/userfaultfd", LibC.O_RDWR | LibC.O_CLOEXEC);
            if (dev >= 0) {
                try {
                    int r = LibC.ioctlOrErrno(dev, USERFAULTFD_IOC_NEW, MemorySegment.ofAddress(flags));
                    if (r >= 0) {
                        return r;
                    }
                    errno = -r;
                } finally {
                    LibC.close(dev);
                }
            }
        }
        throw new LinuxException("userfaultfd", errno, "flags 0x" + Integer.toHexString(flags));
    }

    /**
     * UFFDIO_API handshake asking for {@code features}; returns the features the kernel reports (with
     * {@code features == 0}, every feature it supports). A userfaultfd accepts exactly one handshake.
     */
    public static long api(int uffd, long features) {
        MemorySegment a = scratch();
        a.set(JAVA_LONG, API_API, UFFD_API);
        a.set(JAVA_LONG, API_FEATURES, features);
        LibC.ioctl(uffd, UFFDIO_API, a, "UFFDIO_API");
        return a.get(JAVA_LONG, API_FEATURES);
    }

    /** UFFDIO_REGISTER of [start, start+len) in {@code mode}; returns the bit set of ioctls allowed on it. */
    public static long register(int uffd, long start, long len, long mode) {
        MemorySegment a = scratch();
        a.set(JAVA_LONG, REGISTER_START, start);
        a.set(JAVA_LONG, REGISTER_LEN, len);
        a.set(JAVA_LONG, REGISTER_MODE, mode);
        LibC.ioctl(uffd, UFFDIO_REGISTER, a, "UFFDIO_REGISTER");
        return a.get(JAVA_LONG, REGISTER_IOCTLS);
    }

    /** UFFDIO_UNREGISTER of [start, start+len). */
    public static void unregister(int uffd, long start, long len) {
        MemorySegment a = scratch();
        a.set(JAVA_LONG, RANGE_START, start);
        a.set(JAVA_LONG, RANGE_LEN, len);
        LibC.ioctl(uffd, UFFDIO_UNREGISTER, a, "UFFDIO_UNREGISTER");
    }

    /** UFFDIO_WAKE: wakes threads blocked on faults in [start, start+len) so they retry their access. */
    public static void wake(int uffd, long start, long len) {
        MemorySegment a = scratch();
        a.set(JAVA_LONG, RANGE_START, start);
        a.set(JAVA_LONG, RANGE_LEN, len);
        LibC.ioctl(uffd, UFFDIO_WAKE, a, "UFFDIO_WAKE");
    }

    /**
     * UFFDIO_COPY of {@code len} bytes from {@code src} to {@code dst} (both page-aligned). Returns the bytes
     * copied; {@code -EEXIST} when the destination was already present (the normal outcome for the loser of a
     * race between a fault and a background pull); {@code -EAGAIN} with a partial count is retried here.
     */
    public static long copy(int uffd, long dst, long src, long len, long mode) {
        long done = 0;
        // EAGAIN means the address space changed under the copy (mremap, fork): retry, but not forever.
        for (int attempt = 0; done < len; attempt++) {
            if (attempt == MAX_COPY_ATTEMPTS) {
                throw new LinuxException("ioctl(UFFDIO_COPY)", Errno.EAGAIN, "still busy after "
                        + MAX_COPY_ATTEMPTS + " attempts, " + done + " of " + len + " bytes copied");
            }
            MemorySegment a = scratch();
            a.set(JAVA_LONG, COPY_DST, dst + done);
            a.set(JAVA_LONG, COPY_SRC, src + done);
            a.set(JAVA_LONG, COPY_LEN, len - done);
            a.set(JAVA_LONG, COPY_MODE, mode);
            int r = LibC.ioctlOrErrno(uffd, UFFDIO_COPY, a);
            long copied = a.get(JAVA_LONG, COPY_COPY);
            if (r >= 0) {
                return done + copied;
            }
            if (-r == Errno.EAGAIN && copied > 0) {
                done += copied;
                continue;
            }
            if (-r == Errno.EAGAIN) {
                continue;
            }
            if (-r == Errno.EEXIST) {
                return -Errno.EEXIST;
            }
            throw new LinuxException("ioctl(UFFDIO_COPY)", -r,
                    (len - done) + " bytes to 0x" + Long.toHexString(dst + done));
        }
        return done;
    }

    /**
     * UFFDIO_COPY of [src, src+len) to every page of [dst, dst+len) that is still missing, skipping present pages
     * (EEXIST) one by one: after it returns, every page of the range is present, whoever installed it. Returns the
     * bytes this call installed.
     */
    public static long copyMissing(int uffd, long dst, long src, long len, long mode) {
        return fillMissing(uffd, UFFDIO_COPY, dst, src, len, mode);
    }

    /**
     * UFFDIO_CONTINUE over [dst, dst+len), page by page past those already mapped (EEXIST): afterwards every page
     * of the range is mapped from the shmem's page cache. Returns the bytes this call mapped.
     */
    public static long continueMissing(int uffd, long dst, long len, long mode) {
        return fillMissing(uffd, UFFDIO_CONTINUE, dst, 0, len, mode);
    }

    /** COPY (dst, src, len, mode, copy) or CONTINUE (start, len, mode, mapped) until the whole range is filled. */
    private static long fillMissing(int uffd, long request, long dst, long src, long len, long mode) {
        boolean copy = request == UFFDIO_COPY;
        String what = copy ? "UFFDIO_COPY" : "UFFDIO_CONTINUE";
        long page = LibC.pageSize();
        long done = 0;
        long filled = 0;
        for (int attempt = 0; done < len; attempt++) {
            if (attempt == MAX_COPY_ATTEMPTS + len / page) {
                throw new LinuxException("ioctl(" + what + ")", Errno.EAGAIN, "still busy after " + attempt
                        + " attempts, " + done + " of " + len + " bytes done");
            }
            MemorySegment a = scratch();
            if (copy) {
                a.set(JAVA_LONG, COPY_DST, dst + done);
                a.set(JAVA_LONG, COPY_SRC, src + done);
                a.set(JAVA_LONG, COPY_LEN, len - done);
                a.set(JAVA_LONG, COPY_MODE, mode);
            } else {
                a.set(JAVA_LONG, RANGED_START, dst + done);
                a.set(JAVA_LONG, RANGED_LEN, len - done);
                a.set(JAVA_LONG, RANGED_MODE, mode);
            }
            int r = LibC.ioctlOrErrno(uffd, request, a);
            long progress = a.get(JAVA_LONG, copy ? COPY_COPY : RANGED_RESULT);
            if (progress > 0) {
                done += progress;
                filled += progress;
            }
            if (r >= 0) {
                continue;
            }
            if (-r == Errno.EEXIST) {
                done += page;
            } else if (-r != Errno.EAGAIN) {
                throw new LinuxException("ioctl(" + what + ")", -r,
                        (len - done) + " bytes at 0x" + Long.toHexString(dst + done));
            }
        }
        return filled;
    }

    /** UFFDIO_ZEROPAGE: maps zero pages at [start, start+len); returns the bytes mapped or {@code -EEXIST}. */
    public static long zeropage(int uffd, long start, long len, long mode) {
        return installRange(uffd, UFFDIO_ZEROPAGE, "UFFDIO_ZEROPAGE", start, len, mode);
    }

    /** UFFDIO_WRITEPROTECT: protects ({@code MODE_WP}) or unprotects (0) [start, start+len). */
    public static void writeprotect(int uffd, long start, long len, long mode) {
        MemorySegment a = scratch();
        a.set(JAVA_LONG, WRITEPROTECT_START, start);
        a.set(JAVA_LONG, WRITEPROTECT_LEN, len);
        a.set(JAVA_LONG, WRITEPROTECT_MODE, mode);
        LibC.ioctl(uffd, UFFDIO_WRITEPROTECT, a, "UFFDIO_WRITEPROTECT");
    }

    /** UFFDIO_CONTINUE (MINOR mode): maps the page-cache pages already in the shmem at [start, start+len). */
    public static long continue_(int uffd, long start, long len, long mode) {
        return installRange(uffd, UFFDIO_CONTINUE, "UFFDIO_CONTINUE", start, len, mode);
    }

    /**
     * UFFDIO_POISON: marks [start, start+len) so that any access raises SIGBUS (which the JVM turns into an
     * {@code InternalError} in the accessing thread) and wakes the threads waiting there; returns the bytes marked
     * or {@code -EEXIST} when a page there is present.
     */
    public static long poison(int uffd, long start, long len, long mode) {
        return installRange(uffd, UFFDIO_POISON, "UFFDIO_POISON", start, len, mode);
    }

    /** ZEROPAGE, CONTINUE and POISON share a shape: range, mode, then the bytes done (or -errno). */
    private static long installRange(int uffd, long request, String what, long start, long len, long mode) {
        MemorySegment a = scratch();
        a.set(JAVA_LONG, RANGED_START, start);
        a.set(JAVA_LONG, RANGED_LEN, len);
        a.set(JAVA_LONG, RANGED_MODE, mode);
        int r = LibC.ioctlOrErrno(uffd, request, a);
        if (r < 0) {
            if (-r == Errno.EEXIST) {
                return -Errno.EEXIST;
            }
            throw new LinuxException("ioctl(" + what + ")", -r, len + " bytes at 0x" + Long.toHexString(start));
        }
        return a.get(JAVA_LONG, RANGED_RESULT);
    }

    /** The feature bits' names (UFFD_FEATURE_ without the prefix), bit 0 first. */
    private static final String[] FEATURE_NAMES = {"PAGEFAULT_FLAG_WP", "EVENT_FORK", "EVENT_REMAP", "EVENT_REMOVE",
            "MISSING_HUGETLBFS", "MISSING_SHMEM", "EVENT_UNMAP", "SIGBUS", "THREAD_ID", "MINOR_HUGETLBFS",
            "MINOR_SHMEM", "EXACT_ADDRESS", "WP_HUGETLBFS_SHMEM", "WP_UNPOPULATED", "POISON", "WP_ASYNC", "MOVE"};

    /** The feature bit called {@code name} (as {@link #featureNames} writes it), or 0 for a name it does not know. */
    public static long featureBit(String name) {
        for (int bit = 0; bit < FEATURE_NAMES.length; bit++) {
            if (FEATURE_NAMES[bit].equals(name)) {
                return 1L << bit;
            }
        }
        return 0;
    }

    /** Names of the feature bits set in {@code features}, for diagnostics. */
    public static String featureNames(long features) {
        StringBuilder sb = new StringBuilder();
        for (int bit = 0; bit < 64; bit++) {
            if ((features & (1L << bit)) != 0) {
                if (!sb.isEmpty()) {
                    sb.append(',');
                }
                sb.append(bit < FEATURE_NAMES.length ? FEATURE_NAMES[bit] : "bit" + bit);
            }
        }
        return sb.toString();
    }
}
