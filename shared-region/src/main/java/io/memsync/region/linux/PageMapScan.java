package io.memsync.region.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * ioctl(PAGEMAP_SCAN) on /proc/self/pagemap (Linux 6.7+): reports ranges of pages by category and, with
 * {@link #PM_SCAN_WP_MATCHING}, write-protects what matched in the same call. One instance owns one pagemap
 * descriptor and one preallocated result vector; it is not thread-safe, and {@link #scan} allocates nothing.
 */
public final class PageMapScan implements AutoCloseable {
    /** PAGEMAP_SCAN = _IOWR('f', 16, struct pm_scan_arg). */
    public static final long PAGEMAP_SCAN = 0xC0606610L;

    public static final long PM_SCAN_WP_MATCHING = 1;
    public static final long PM_SCAN_CHECK_WPASYNC = 2;

    public static final long PAGE_IS_WPALLOWED = 1;
    public static final long PAGE_IS_WRITTEN = 2;
    public static final long PAGE_IS_FILE = 4;
    public static final long PAGE_IS_PRESENT = 8;
    public static final long PAGE_IS_SWAPPED = 16;
    public static final long PAGE_IS_PFNZERO = 32;
    public static final long PAGE_IS_HUGE = 64;

    /**
     * struct pm_scan_arg { u64 size, flags, start, end, walk_end, vec, vec_len, max_pages, category_inverted,
     * category_mask, category_anyof_mask, return_mask; }
     */
    public static final StructLayout PM_SCAN_ARG = MemoryLayout.structLayout(
            JAVA_LONG.withName("size"), JAVA_LONG.withName("flags"), JAVA_LONG.withName("start"),
            JAVA_LONG.withName("end"), JAVA_LONG.withName("walk_end"), JAVA_LONG.withName("vec"),
            JAVA_LONG.withName("vec_len"), JAVA_LONG.withName("max_pages"),
            JAVA_LONG.withName("category_inverted"), JAVA_LONG.withName("category_mask"),
            JAVA_LONG.withName("category_anyof_mask"), JAVA_LONG.withName("return_mask"));
    /** struct page_region { u64 start, end, categories; } */
    public static final StructLayout PAGE_REGION = MemoryLayout.structLayout(
            JAVA_LONG.withName("start"), JAVA_LONG.withName("end"), JAVA_LONG.withName("categories"));

    private static final long OFF_SIZE = PM_SCAN_ARG.byteOffset(groupElement("size"));
    private static final long OFF_FLAGS = PM_SCAN_ARG.byteOffset(groupElement("flags"));
    private static final long OFF_START = PM_SCAN_ARG.byteOffset(groupElement("start"));
    private static final long OFF_END = PM_SCAN_ARG.byteOffset(groupElement("end"));
    private static final long OFF_WALK_END = PM_SCAN_ARG.byteOffset(groupElement("walk_end"));
    private static final long OFF_VEC = PM_SCAN_ARG.byteOffset(groupElement("vec"));
    private static final long OFF_VEC_LEN = PM_SCAN_ARG.byteOffset(groupElement("vec_len"));
    private static final long OFF_MAX_PAGES = PM_SCAN_ARG.byteOffset(groupElement("max_pages"));
    private static final long OFF_CATEGORY_INVERTED = PM_SCAN_ARG.byteOffset(groupElement("category_inverted"));
    private static final long OFF_CATEGORY_MASK = PM_SCAN_ARG.byteOffset(groupElement("category_mask"));
    private static final long OFF_CATEGORY_ANYOF_MASK = PM_SCAN_ARG.byteOffset(groupElement("category_anyof_mask"));
    private static final long OFF_RETURN_MASK = PM_SCAN_ARG.byteOffset(groupElement("return_mask"));
    /** {@code page_region.start} of element {@code index} of the result vector: (segment, 0L, index) -> long. */
    private static final VarHandle REGION_START = PAGE_REGION.arrayElementVarHandle(groupElement("start"));
    private static final VarHandle REGION_END = PAGE_REGION.arrayElementVarHandle(groupElement("end"));
    private static final VarHandle REGION_CATEGORIES = PAGE_REGION.arrayElementVarHandle(groupElement("categories"));

    /** Receives each page range a scan reports; must not allocate if the caller wants an allocation-free scan. */
    @FunctionalInterface
    public interface RangeConsumer {
        void accept(long start, long end, long categories);
    }

    private final Arena arena = Arena.ofShared();
    private final int pagemapFd;
    private final MemorySegment arg;
    private final MemorySegment vec;
    private final int vecLength;
    private boolean closed;

    /** Opens /proc/self/pagemap with room for {@code vecLength} page ranges per ioctl. */
    public PageMapScan(int vecLength) {
        if (vecLength < 1) {
            throw new IllegalArgumentException("vecLength must be at least 1, was " + vecLength);
        }
        this.vecLength = vecLength;
        this.arg = arena.allocate(PM_SCAN_ARG);
        this.vec = arena.allocate(PAGE_REGION, vecLength);
        try {
            this.pagemapFd = LibC.open("/proc/self/pagemap", LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Walks [start, end) and hands every range whose pages match {@code categoryMask} (all of those bits set) to
     * {@code consumer}, reporting {@code returnMask} categories. With {@link #PM_SCAN_WP_MATCHING} the matched
     * pages are write-protected again atomically with the report, so a write racing the scan is either reported
     * now or left for the next scan. Returns the number of pages reported.
     */
    public long scan(long start, long end, long flags, long categoryMask, long returnMask, RangeConsumer consumer) {
        if (closed) {
            throw new IllegalStateException("PageMapScan is closed");
        }
        long pages = 0;
        long cursor = start;
        while (cursor < end) {
            arg.set(JAVA_LONG, OFF_SIZE, PM_SCAN_ARG.byteSize());
            arg.set(JAVA_LONG, OFF_FLAGS, flags);
            arg.set(JAVA_LONG, OFF_START, cursor);
            arg.set(JAVA_LONG, OFF_END, end);
            arg.set(JAVA_LONG, OFF_WALK_END, 0);
            arg.set(JAVA_LONG, OFF_VEC, vec.address());
            arg.set(JAVA_LONG, OFF_VEC_LEN, vecLength);
            arg.set(JAVA_LONG, OFF_MAX_PAGES, 0);
            arg.set(JAVA_LONG, OFF_CATEGORY_INVERTED, 0);
            arg.set(JAVA_LONG, OFF_CATEGORY_MASK, categoryMask);
            arg.set(JAVA_LONG, OFF_CATEGORY_ANYOF_MASK, 0);
            arg.set(JAVA_LONG, OFF_RETURN_MASK, returnMask);
            int regions = LibC.ioctl(pagemapFd, PAGEMAP_SCAN, arg, "PAGEMAP_SCAN");
            for (int i = 0; i < regions; i++) {
                long rs = (long) REGION_START.get(vec, 0L, (long) i);
                long re = (long) REGION_END.get(vec, 0L, (long) i);
                long cat = (long) REGION_CATEGORIES.get(vec, 0L, (long) i);
                pages += (re - rs) / LibC.pageSize();
                consumer.accept(rs, re, cat);
            }
            long walkEnd = arg.get(JAVA_LONG, OFF_WALK_END);
            if (walkEnd <= cursor) {
                // The kernel made no progress: nothing more to report in this range.
                break;
            }
            cursor = walkEnd;
        }
        return pages;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                LibC.close(pagemapFd);
            } finally {
                arena.close();
            }
        }
    }
}
