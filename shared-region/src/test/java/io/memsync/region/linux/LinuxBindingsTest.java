package io.memsync.region.linux;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class LinuxBindingsTest {

    @Test
    void failedCallNamesTheCallTheErrnoAndTheTarget() {
        LinuxException e = assertThrows(LinuxException.class, () -> LibC.ftruncate(-1, 4096));
        assertEquals("ftruncate", e.call());
        assertEquals(Errno.EBADF, e.errno());
        assertEquals("EBADF", e.errnoName());
        assertTrue(e.getMessage().contains("ftruncate failed: EBADF (9, bad file descriptor): fd -1"), e.getMessage());

        LinuxException missing = assertThrows(LinuxException.class,
                () -> LibC.open("/nonexistent/memsync", LibC.O_RDONLY, 0));
        assertEquals("ENOENT", missing.errnoName());
        assertTrue(missing.getMessage().contains("/nonexistent/memsync"), missing.getMessage());
    }

    @Test
    void userfaultfdPermissionErrorSaysHowToGrantIt() {
        LinuxException e = new LinuxException("userfaultfd", Errno.EPERM, "flags 0x80800");
        assertTrue(e.getMessage().contains("/dev/userfaultfd"), e.getMessage());
        assertTrue(e.getMessage().contains("vm.unprivileged_userfaultfd"), e.getMessage());
        assertTrue(e.getMessage().contains("memsync.tracker=hash"), e.getMessage());
    }

    @Test
    void memfdMapsSharedAndPreadPwriteMoveBytesWithoutTheHeap() {
        int fd = LibC.memfd_create("bindings-test", LibC.MFD_CLOEXEC);
        try {
            LibC.ftruncate(fd, 2 * LibC.pageSize());
            assertEquals(2 * LibC.pageSize(), LibC.lseek(fd, 0, LibC.SEEK_END));
            long a = LibC.mmap(0, 2 * LibC.pageSize(), LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
            long b = LibC.mmap(0, 2 * LibC.pageSize(), LibC.PROT_READ, LibC.MAP_SHARED, fd, 0);
            try {
                MemorySegment first = MemorySegment.ofAddress(a).reinterpret(2 * LibC.pageSize());
                MemorySegment second = MemorySegment.ofAddress(b).reinterpret(2 * LibC.pageSize());
                first.set(JAVA_LONG, 8, 0x1234_5678_9abcL);
                assertEquals(0x1234_5678_9abcL, second.get(JAVA_LONG, 8), "MAP_SHARED: both mappings see it");

                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(LibC.pageSize());
                    assertEquals(LibC.pageSize(), LibC.preadFully(fd, buf, 0, LibC.pageSize(), 0));
                    assertEquals(0x1234_5678_9abcL, buf.get(JAVA_LONG, 8));
                    buf.set(JAVA_LONG, 0, 42L);
                    LibC.pwriteFully(fd, buf, 0, 16, LibC.pageSize());
                    assertEquals(42L, second.get(JAVA_LONG, LibC.pageSize()));
                    assertThrows(IllegalArgumentException.class,
                            () -> LibC.pwriteFully(fd, MemorySegment.ofArray(new byte[8]), 0, 8, 0));
                    assertThrows(IndexOutOfBoundsException.class,
                            () -> LibC.pwriteFully(fd, buf, 8, LibC.pageSize(), 0));
                }

                LibC.fallocate(fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, 0, LibC.pageSize());
                assertEquals(0L, second.get(JAVA_LONG, 8), "a punched hole reads as zeros");
                assertEquals(42L, second.get(JAVA_LONG, LibC.pageSize()), "the next page is untouched");
                LibC.madvise(a, LibC.pageSize(), LibC.MADV_DONTNEED);
            } finally {
                LibC.munmap(a, 2 * LibC.pageSize());
                LibC.munmap(b, 2 * LibC.pageSize());
            }
        } finally {
            LibC.close(fd);
        }
    }

    @Test
    void eventfdWakesPoll() {
        int efd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfd = arena.allocate(LibC.POLLFD);
            pollfd.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, efd);
            pollfd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 4, LibC.POLLIN);
            assertEquals(0, LibC.poll(pollfd, 1, 0), "nothing to read yet");
            MemorySegment one = arena.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1L);
            assertEquals(8, LibC.write(efd, one, 8));
            assertEquals(1, LibC.poll(pollfd, 1, 1000));
            assertTrue((pollfd.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 6) & LibC.POLLIN) != 0);
            assertEquals(8, LibC.read(efd, one, 8));
            assertEquals(-Errno.EAGAIN, LibC.read(efd, one, 8), "drained: EAGAIN, not an exception");
        } finally {
            LibC.close(efd);
        }
    }

    /** The offsets the layouts derive must be the kernel's (KERNEL.md: uffd_msg address at 16; pollfd 8 bytes). */
    @Test
    void structLayoutsGiveTheKernelsOffsets() {
        assertEquals(8, LibC.POLLFD.byteSize());
        assertEquals(32, Userfaultfd.UFFD_MSG.byteSize());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfds = arena.allocate(LibC.POLLFD, 2);
            LibC.POLLFD_FD.set(pollfds, 0L, 1L, 7);
            LibC.POLLFD_EVENTS.set(pollfds, 0L, 1L, LibC.POLLIN);
            LibC.POLLFD_REVENTS.set(pollfds, 0L, 1L, LibC.POLLHUP);
            assertEquals(7, pollfds.get(java.lang.foreign.ValueLayout.JAVA_INT, 8));
            assertEquals(LibC.POLLIN, pollfds.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 12));
            assertEquals(LibC.POLLHUP, pollfds.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 14));

            MemorySegment messages = arena.allocate(Userfaultfd.UFFD_MSG, 2);
            messages.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 32, Userfaultfd.EVENT_PAGEFAULT);
            messages.set(JAVA_LONG, 32 + 8, Userfaultfd.PAGEFAULT_FLAG_WP);
            messages.set(JAVA_LONG, 32 + 16, 0x7f00_1234_5000L);
            assertEquals(Userfaultfd.EVENT_PAGEFAULT, (byte) Userfaultfd.UFFD_MSG_EVENT.get(messages, 0L, 1L));
            assertEquals(Userfaultfd.PAGEFAULT_FLAG_WP, (long) Userfaultfd.UFFD_MSG_FLAGS.get(messages, 0L, 1L));
            assertEquals(0x7f00_1234_5000L, (long) Userfaultfd.UFFD_MSG_ADDRESS.get(messages, 0L, 1L));
        }
    }

    @Test
    void kernelProbeFindsWhatThisMachineOffers() {
        KernelFeatures k = KernelFeatures.probe();
        assertEquals(4096, k.pageSize());
        String report = k.describe();
        assertTrue(report.contains("userfaultfd"), report);
        assumeTrue(k.userfaultfdAvailable(), "userfaultfd not available to this process (needs root or "
                + "/dev/userfaultfd access): " + k.userfaultfdProblem());
        assertTrue(k.hasUserfaultfdFeatures(Userfaultfd.FEATURE_MISSING_SHMEM), report);
        assertTrue(report.contains("MISSING_SHMEM"), report);
    }

    @Test
    void userfaultfdIoctlsInstallProtectAndWakeWithoutAnyFault() {
        KernelFeatures k = KernelFeatures.get();
        assumeTrue(k.lazyShmemAvailable() && k.hasUserfaultfdFeatures(Userfaultfd.FEATURE_WP_ASYNC),
                "userfaultfd with MISSING_SHMEM and WP_ASYNC needed: " + k.describe());
        long page = LibC.pageSize();
        int memfd = LibC.memfd_create("uffd-test", LibC.MFD_CLOEXEC);
        int uffd = Userfaultfd.userfaultfd(LibC.O_CLOEXEC | LibC.O_NONBLOCK);
        long addr = 0;
        try (Arena arena = Arena.ofConfined()) {
            LibC.ftruncate(memfd, 4 * page);
            addr = LibC.mmap(0, 4 * page, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, memfd, 0);
            long features = Userfaultfd.api(uffd, Userfaultfd.FEATURE_MISSING_SHMEM);
            assertTrue((features & Userfaultfd.FEATURE_MISSING_SHMEM) != 0);
            long ioctls = Userfaultfd.register(uffd, addr, 4 * page, Userfaultfd.REGISTER_MODE_MISSING);
            assertTrue((ioctls & (1L << 0x03)) != 0, "UFFDIO_COPY allowed on the range");

            MemorySegment src = arena.allocate(page, page);
            for (int i = 0; i < page / 8; i++) {
                src.set(JAVA_LONG, i * 8L, 0x5eed_0000L + i);
            }
            // Install page 0 and zero page 1 before anyone touches them: no fault needs serving.
            assertEquals(page, Userfaultfd.copy(uffd, addr, src.address(), page, 0));
            assertEquals(-Errno.EEXIST, Userfaultfd.copy(uffd, addr, src.address(), page, 0),
                    "a second copy to a present page is EEXIST, the race loser's normal outcome");
            assertEquals(page, Userfaultfd.zeropage(uffd, addr + page, page, 0));
            Userfaultfd.wake(uffd, addr, 4 * page);

            MemorySegment mapped = MemorySegment.ofAddress(addr).reinterpret(4 * page);
            byte[] expected = src.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            assertArrayEquals(expected, mapped.asSlice(0, page).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            assertEquals(0L, mapped.get(JAVA_LONG, page + 8));
            Userfaultfd.unregister(uffd, addr, 4 * page);
            // Unregistered: an ordinary fault now, served by the kernel.
            assertEquals(0L, mapped.get(JAVA_LONG, 3 * page));

            LinuxException bad = assertThrows(LinuxException.class,
                    () -> Userfaultfd.register(uffd, 12345, page, Userfaultfd.REGISTER_MODE_MISSING));
            assertEquals("ioctl(UFFDIO_REGISTER)", bad.call());
            assertTrue(bad.getMessage().contains("page-aligned"), bad.getMessage());
        } finally {
            if (addr != 0) {
                LibC.munmap(addr, 4 * page);
            }
            LibC.close(uffd);
            LibC.close(memfd);
        }
    }

    @Test
    void pagemapScanReportsPresentPages() {
        assumeTrue(KernelFeatures.get().pagemapScanAvailable(), "PAGEMAP_SCAN needs Linux 6.7+");
        long page = LibC.pageSize();
        long addr = LibC.mmap(0, 8 * page, LibC.PROT_READ | LibC.PROT_WRITE,
                LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
        try (PageMapScan scan = new PageMapScan(2)) {
            MemorySegment m = MemorySegment.ofAddress(addr).reinterpret(8 * page);
            m.set(JAVA_LONG, page, 1);
            m.set(JAVA_LONG, 3 * page, 1);
            m.set(JAVA_LONG, 5 * page, 1);
            long[] seen = new long[8];
            // A vector of 2 forces the walk to resume from walk_end.
            long pages = scan.scan(addr, addr + 8 * page, 0, PageMapScan.PAGE_IS_PRESENT, PageMapScan.PAGE_IS_PRESENT,
                    (s, e, c) -> {
                        for (long p = s; p < e; p += page) {
                            seen[(int) ((p - addr) / page)]++;
                        }
                    });
            assertEquals(3, pages);
            assertArrayEquals(new long[] {0, 1, 0, 1, 0, 1, 0, 0}, seen);
        } finally {
            LibC.munmap(addr, 8 * page);
        }
    }
}
