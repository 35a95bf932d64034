package io.memsync.region.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc functions memsync calls, one static method each, named after the function. Every method captures
 * errno and throws {@link LinuxException} on failure, so callers never see a -1. Calls are allocation-free
 * after a thread's first call: errno is captured into a per-thread segment.
 */
public final class LibC {
    // <sys/mman.h>
    public static final int PROT_NONE = 0;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_FIXED = 0x10;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MADV_DONTNEED = 4;
    public static final int MADV_REMOVE = 9;
    public static final int MADV_PAGEOUT = 21;
    /** mlock2(2) flag: lock pages as they are faulted in, populating nothing now. */
    public static final int MLOCK_ONFAULT = 1;
    public static final int MFD_CLOEXEC = 0x0001;
    // <fcntl.h>
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_DIRECTORY = 0200000;
    public static final int O_CLOEXEC = 02000000;
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    public static final int SEEK_END = 2;
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;
    // <sys/eventfd.h>, <poll.h>
    public static final int EFD_NONBLOCK = 04000;
    public static final int EFD_CLOEXEC = 02000000;
    public static final short POLLIN = 0x1;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    // <unistd.h>
    public static final int SC_PAGESIZE = 30;
    public static final long MAP_FAILED = -1L;

    /** struct pollfd { int fd; short events; short revents; } */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"), ValueLayout.JAVA_SHORT.withName("events"),
            ValueLayout.JAVA_SHORT.withName("revents"));
    /** {@code pollfd.fd} of element {@code index} of a pollfd array: (segment, 0L, index) -> int. */
    public static final VarHandle POLLFD_FD = POLLFD.arrayElementVarHandle(MemoryLayout.PathElement.groupElement("fd"));
    /** {@code pollfd.events} of element {@code index}: (segment, 0L, index) -> short. */
    public static final VarHandle POLLFD_EVENTS =
            POLLFD.arrayElementVarHandle(MemoryLayout.PathElement.groupElement("events"));
    /** {@code pollfd.revents} of element {@code index}: (segment, 0L, index) -> short. */
    public static final VarHandle POLLFD_REVENTS =
            POLLFD.arrayElementVarHandle(MemoryLayout.PathElement.groupElement("revents"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    private static final MethodHandle MEMFD_CREATE = fn("memfd_create", JAVA_INT, ADDRESS, JAVA_INT);
    private static final MethodHandle OPEN = variadic("open", 2, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    private static final MethodHandle CLOSE = fn("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle FTRUNCATE = fn("ftruncate", JAVA_INT, JAVA_INT, JAVA_LONG);
    private static final MethodHandle LSEEK = fn("lseek", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT);
    private static final MethodHandle FALLOCATE = fn("fallocate", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle FSYNC = fn("fsync", JAVA_INT, JAVA_INT);
    private static final MethodHandle MMAP =
            fn("mmap", ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG);
    private static final MethodHandle MUNMAP = fn("munmap", JAVA_INT, ADDRESS, JAVA_LONG);
    // Addresses of mappings go to the kernel as numbers: no segment object per call.
    private static final MethodHandle MADVISE = fn("madvise", JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT);
    private static final MethodHandle MLOCK2 = fn("mlock2", JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT);
    private static final MethodHandle MUNLOCK = fn("munlock", JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle READ = fn("read", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final MethodHandle WRITE = fn("write", JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    // pread/pwrite take the buffer address as a number so that a call needs no segment object (see preadFully).
    private static final MethodHandle PREAD = fn("pread", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle PWRITE = fn("pwrite", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle EVENTFD = fn("eventfd", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle POLL = fn("poll", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    private static final MethodHandle SYSCONF = fn("sysconf", JAVA_LONG, JAVA_INT);
    private static final MethodHandle IOCTL = variadic("ioctl", 2, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS);
    private static final MethodHandle SYSCALL1 = variadic("syscall", 1, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle SYSCALL3 =
            variadic("syscall", 1, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle SETSID = fn("setsid", JAVA_INT);
    private static final MethodHandle GETPID = fn("getpid", JAVA_INT);

    private LibC() {
    }

    private static MethodHandle fn(String name, MemoryLayout result, MemoryLayout... args) {
        return LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(result, args),
                Linker.Option.captureCallState("errno"));
    }

    private static MethodHandle variadic(String name, int firstVariadic, MemoryLayout result, MemoryLayout... args) {
        return LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(result, args),
                Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(firstVariadic));
    }

    private static MemorySegment symbol(String name) {
        return LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name + ": memsync needs glibc on Linux"));
    }

    private static MemorySegment capture() {
        return CAPTURE.get();
    }

    /** The errno the calling thread's last call through this class left. */
    private static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed unexpectedly", t);
    }

    private static MemorySegment cString(Arena arena, String s) {
        return arena.allocateFrom(s);
    }

    /** memfd_create(2): an anonymous shmem file; {@code name} shows in /proc/PID/fd and maps as "/memfd:name". */
    public static int memfd_create(String name, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = capture();
            int fd = (int) MEMFD_CREATE.invokeExact(c, cString(arena, name), flags);
            if (fd < 0) {
                throw new LinuxException("memfd_create", errno(c), "name " + name);
            }
            return fd;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** open(2). */
    public static int open(String path, int flags, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = capture();
            int fd = (int) OPEN.invokeExact(c, cString(arena, path), flags, mode);
            if (fd < 0) {
                throw new LinuxException("open", errno(c), path);
            }
            return fd;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** open(2) that returns -ENOENT instead of throwing when the file does not exist. */
    public static int openIfExists(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = capture();
            int fd = (int) OPEN.invokeExact(c, cString(arena, path), flags, 0);
            if (fd < 0) {
                int e = errno(c);
                if (e == Errno.ENOENT) {
                    return -Errno.ENOENT;
                }
                throw new LinuxException("open", e, path);
            }
            return fd;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** close(2). EINTR is not retried: on Linux the descriptor is released anyway. */
    public static void close(int fd) {
        try {
            MemorySegment c = capture();
            int r = (int) CLOSE.invokeExact(c, fd);
            if (r < 0 && errno(c) != Errno.EINTR) {
                throw new LinuxException("close", errno(c), "fd " + fd);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ftruncate(2). */
    public static void ftruncate(int fd, long length) {
        try {
            MemorySegment c = capture();
            int r = (int) FTRUNCATE.invokeExact(c, fd, length);
            if (r < 0) {
                throw new LinuxException("ftruncate", errno(c), "fd " + fd + " to " + length + " bytes");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * lseek(2); {@code lseek(fd, 0, SEEK_END)} is the file's size. With {@code SEEK_DATA} past the last data it
     * returns {@code -ENXIO} rather than throwing.
     */
    public static long lseek(int fd, long offset, int whence) {
        try {
            MemorySegment c = capture();
            long r = (long) LSEEK.invokeExact(c, fd, offset, whence);
            if (r < 0 && whence == SEEK_DATA && errno(c) == Errno.ENXIO) {
                return -Errno.ENXIO;
            }
            if (r < 0) {
                throw new LinuxException("lseek", errno(c), "fd " + fd);
            }
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** fallocate(2); with {@code FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE} it drops pages from shmem. */
    public static void fallocate(int fd, int mode, long offset, long length) {
        try {
            MemorySegment c = capture();
            int r = (int) FALLOCATE.invokeExact(c, fd, mode, offset, length);
            if (r < 0) {
                throw new LinuxException("fallocate", errno(c),
                        "fd " + fd + " mode 0x" + Integer.toHexString(mode) + " at " + offset + " length " + length);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** fsync(2). */
    public static void fsync(int fd) {
        try {
            MemorySegment c = capture();
            int r = (int) FSYNC.invokeExact(c, fd);
            if (r < 0) {
                throw new LinuxException("fsync", errno(c), "fd " + fd);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** mmap(2); returns the mapping's address. */
    public static long mmap(long address, long length, int prot, int flags, int fd, long offset) {
        try {
            MemorySegment c = capture();
            MemorySegment r = (MemorySegment) MMAP.invokeExact(c, MemorySegment.ofAddress(address), length, prot,
                    flags, fd, offset);
            if (r.address() == MAP_FAILED) {
                throw new LinuxException("mmap", errno(c), length + " bytes of fd " + fd);
            }
            return r.address();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** munmap(2). */
    public static void munmap(long address, long length) {
        try {
            MemorySegment c = capture();
            int r = (int) MUNMAP.invokeExact(c, MemorySegment.ofAddress(address), length);
            if (r < 0) {
                throw new LinuxException("munmap", errno(c), length + " bytes at 0x" + Long.toHexString(address));
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** madvise(2). Allocation-free unless it fails. */
    public static void madvise(long address, long length, int advice) {
        try {
            MemorySegment c = capture();
            int r = (int) MADVISE.invokeExact(c, address, length, advice);
            if (r < 0) {
                throw new LinuxException("madvise", errno(c),
                        "advice " + advice + " on " + length + " bytes at 0x" + Long.toHexString(address));
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * mlock2(2): keeps the pages of [address, address+length) resident; with {@link #MLOCK_ONFAULT} only once each
     * is faulted in (so a range registered for MISSING faults is not populated by the call). A locked range refuses
     * MADV_DONTNEED and MADV_PAGEOUT (EINVAL). Allocation-free unless it fails.
     */
    public static void mlock2(long address, long length, int flags) {
        try {
            MemorySegment c = capture();
            int r = (int) MLOCK2.invokeExact(c, address, length, flags);
            if (r < 0) {
                throw new LinuxException("mlock2", errno(c),
                        length + " bytes at 0x" + Long.toHexString(address) + " flags " + flags);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** munlock(2) of [address, address+length). Allocation-free unless it fails. */
    public static void munlock(long address, long length) {
        try {
            MemorySegment c = capture();
            int r = (int) MUNLOCK.invokeExact(c, address, length);
            if (r < 0) {
                throw new LinuxException("munlock", errno(c), length + " bytes at 0x" + Long.toHexString(address));
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** read(2); returns the bytes read, or -EAGAIN on a non-blocking descriptor with nothing to read. */
    public static long read(int fd, MemorySegment buffer, long count) {
        try {
            MemorySegment c = capture();
            long r = (long) READ.invokeExact(c, fd, buffer, count);
            if (r < 0) {
                int e = errno(c);
                if (e == Errno.EAGAIN || e == Errno.EINTR) {
                    return -e;
                }
                throw new LinuxException("read", e, "fd " + fd);
            }
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** write(2); returns the bytes written, or -EAGAIN on a non-blocking descriptor that is full. */
    public static long write(int fd, MemorySegment buffer, long count) {
        try {
            MemorySegment c = capture();
            long r = (long) WRITE.invokeExact(c, fd, buffer, count);
            if (r < 0) {
                int e = errno(c);
                if (e == Errno.EAGAIN || e == Errno.EINTR) {
                    return -e;
                }
                throw new LinuxException("write", e, "fd " + fd);
            }
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * pread(2) into {@code buffer[offset, offset + length)}, repeated until it is full or the file ends; returns the
     * bytes read. Allocation-free: the address goes to the kernel as a number (a stale one fails with EFAULT).
     */
    public static long preadFully(int fd, MemorySegment buffer, long offset, long length, long fileOffset) {
        if (buffer.isReadOnly()) {
            throw new IllegalArgumentException("cannot read into a read-only segment");
        }
        long address = nativeAddress(buffer, offset, length);
        try {
            MemorySegment c = capture();
            long done = 0;
            while (done < length) {
                long r = (long) PREAD.invokeExact(c, fd, address + done, length - done, fileOffset + done);
                if (r < 0) {
                    if (errno(c) == Errno.EINTR) {
                        continue;
                    }
                    throw new LinuxException("pread", errno(c), "fd " + fd + " at " + (fileOffset + done));
                }
                if (r == 0) {
                    break;
                }
                done += r;
            }
            return done;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** pwrite(2) of {@code buffer[offset, offset + length)}, repeated until all is written. Allocation-free. */
    public static void pwriteFully(int fd, MemorySegment buffer, long offset, long length, long fileOffset) {
        long address = nativeAddress(buffer, offset, length);
        try {
            MemorySegment c = capture();
            long done = 0;
            while (done < length) {
                long r = (long) PWRITE.invokeExact(c, fd, address + done, length - done, fileOffset + done);
                if (r < 0) {
                    if (errno(c) == Errno.EINTR) {
                        continue;
                    }
                    throw new LinuxException("pwrite", errno(c), "fd " + fd + " at " + (fileOffset + done));
                }
                done += r;
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static long nativeAddress(MemorySegment buffer, long offset, long length) {
        if (!buffer.isNative()) {
            throw new IllegalArgumentException("I/O needs off-heap memory, got a heap segment");
        }
        if (!buffer.scope().isAlive()) {
            throw new IllegalStateException("the memory was already released");
        }
        java.util.Objects.checkFromIndexSize(offset, length, buffer.byteSize());
        return buffer.address() + offset;
    }

    /** eventfd(2). */
    public static int eventfd(int initial, int flags) {
        try {
            MemorySegment c = capture();
            int fd = (int) EVENTFD.invokeExact(c, initial, flags);
            if (fd < 0) {
                throw new LinuxException("eventfd", errno(c), null);
            }
            return fd;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** poll(2); returns the number of ready descriptors, 0 on timeout, or -EINTR. */
    public static int poll(MemorySegment pollfds, long count, int timeoutMillis) {
        try {
            MemorySegment c = capture();
            int r = (int) POLL.invokeExact(c, pollfds, count, timeoutMillis);
            if (r < 0) {
                if (errno(c) == Errno.EINTR) {
                    return -Errno.EINTR;
                }
                throw new LinuxException("poll", errno(c), count + " descriptors");
            }
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sysconf(3). */
    public static long sysconf(int name) {
        try {
            MemorySegment c = capture();
            long r = (long) SYSCONF.invokeExact(c, name);
            if (r < 0) {
                throw new LinuxException("sysconf", errno(c), "name " + name);
            }
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl(2) with a pointer argument; returns its non-negative result, throws naming {@code what} on failure. */
    public static int ioctl(int fd, long request, MemorySegment arg, String what) {
        int r = ioctlOrErrno(fd, request, arg);
        if (r < 0) {
            throw new LinuxException("ioctl(" + what + ")", -r, "fd " + fd);
        }
        return r;
    }

    /** ioctl(2) with a pointer argument; returns its result, or the negated errno, for callers that expect some. */
    public static int ioctlOrErrno(int fd, long request, MemorySegment arg) {
        try {
            MemorySegment c = capture();
            int r = (int) IOCTL.invokeExact(c, fd, request, arg);
            return r < 0 ? -errno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** syscall(2) with one argument; returns the result or the negated errno (the caller decides what fails). */
    public static long syscall(long number, long arg) {
        try {
            MemorySegment c = capture();
            long r = (long) SYSCALL1.invokeExact(c, number, arg);
            return r < 0 ? -errno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** syscall(2) with three arguments; returns the result or the negated errno. */
    public static long syscall(long number, long arg1, long arg2, long arg3) {
        try {
            MemorySegment c = capture();
            long r = (long) SYSCALL3.invokeExact(c, number, arg1, arg2, arg3);
            return r < 0 ? -errno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** setsid(2): leaves the caller's session and process group, so the group's signals no longer reach it. */
    public static int setsid() {
        try {
            MemorySegment c = capture();
            int r = (int) SETSID.invokeExact(c);
            if (r < 0) {
                throw new LinuxException("setsid", errno(c), null);
            }
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** getpid(2). */
    public static int getpid() {
        try {
            return (int) GETPID.invokeExact(capture());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The system's page size. */
    public static long pageSize() {
        return PageSizeHolder.PAGE_SIZE;
    }

    private static final class PageSizeHolder {
        static final long PAGE_SIZE = sysconf(SC_PAGESIZE);
    }
}
