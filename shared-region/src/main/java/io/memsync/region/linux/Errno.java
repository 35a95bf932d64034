package io.memsync.region.linux;

/** errno values (x86_64 / generic Linux) with their names, descriptions and memsync's advice for each call. */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOTTY = 25;
    public static final int EFBIG = 27;
    public static final int ENOSPC = 28;
    public static final int ESPIPE = 29;
    public static final int EROFS = 30;
    public static final int ERANGE = 34;
    public static final int ENOSYS = 38;
    public static final int ENAMETOOLONG = 36;
    public static final int EOPNOTSUPP = 95;
    public static final int ESRCH = 3;
    public static final int ENXIO = 6;

    private Errno() {
    }

    /** The symbolic name of {@code errno}, or {@code "errno N"} for one this table does not know. */
    public static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case ESRCH -> "ESRCH";
            case ENXIO -> "ENXIO";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EFAULT -> "EFAULT";
            case EBUSY -> "EBUSY";
            case EEXIST -> "EEXIST";
            case ENODEV -> "ENODEV";
            case EINVAL -> "EINVAL";
            case ENFILE -> "ENFILE";
            case EMFILE -> "EMFILE";
            case ENOTTY -> "ENOTTY";
            case EFBIG -> "EFBIG";
            case ENOSPC -> "ENOSPC";
            case ESPIPE -> "ESPIPE";
            case EROFS -> "EROFS";
            case ERANGE -> "ERANGE";
            case ENAMETOOLONG -> "ENAMETOOLONG";
            case ENOSYS -> "ENOSYS";
            case EOPNOTSUPP -> "EOPNOTSUPP";
            default -> "errno " + errno;
        };
    }

    /** A short description of {@code errno}, as strerror(3) would give. */
    public static String description(int errno) {
        return switch (errno) {
            case EPERM -> "operation not permitted";
            case ENOENT -> "no such file or directory";
            case ESRCH -> "no such process";
            case ENXIO -> "no such device or address";
            case EINTR -> "interrupted system call";
            case EIO -> "input/output error";
            case EBADF -> "bad file descriptor";
            case EAGAIN -> "resource temporarily unavailable";
            case ENOMEM -> "cannot allocate memory";
            case EACCES -> "permission denied";
            case EFAULT -> "bad address";
            case EBUSY -> "device or resource busy";
            case EEXIST -> "file exists";
            case ENODEV -> "no such device";
            case EINVAL -> "invalid argument";
            case ENFILE -> "too many open files in system";
            case EMFILE -> "too many open files";
            case ENOTTY -> "inappropriate ioctl for device";
            case EFBIG -> "file too large";
            case ENOSPC -> "no space left on device";
            case ESPIPE -> "illegal seek";
            case EROFS -> "read-only file system";
            case ERANGE -> "numerical result out of range";
            case ENAMETOOLONG -> "file name too long";
            case ENOSYS -> "function not implemented";
            case EOPNOTSUPP -> "operation not supported";
            default -> "unknown error";
        };
    }

    /** What to do about {@code errno} from {@code call}, or null when there is nothing better than the name. */
    static String hint(String call, int errno) {
        if (call.startsWith("userfaultfd") && (errno == EPERM || errno == EACCES)) {
            return "This process may not create a userfaultfd: run as root, or grant CAP_SYS_PTRACE, or give the user "
                    + "read-write access to /dev/userfaultfd (for example `setfacl -m u:$USER:rw /dev/userfaultfd`), "
                    + "or allow it system-wide with `sysctl vm.unprivileged_userfaultfd=1`. Without userfaultfd, "
                    + "choose the 'hash' or 'explicit' tracker (memsync.tracker=hash)";
        }
        if (call.startsWith("userfaultfd") && errno == ENOSYS) {
            return "The kernel was built without CONFIG_USERFAULTFD: choose the 'hash' or 'explicit' tracker";
        }
        if (call.startsWith("ioctl(PAGEMAP_SCAN)") && (errno == ENOTTY || errno == EINVAL)) {
            return "PAGEMAP_SCAN needs Linux 6.7 or newer: choose the 'hash' or 'explicit' tracker";
        }
        if (call.startsWith("ioctl(UFFDIO_API)") && errno == EINVAL) {
            return "The kernel lacks a requested userfaultfd feature (WP_ASYNC needs Linux 6.7, MINOR_SHMEM 5.14)";
        }
        if (call.startsWith("ioctl(UFFDIO_REGISTER)") && errno == EINVAL) {
            return "The range must be page-aligned and mapped; MISSING and MINOR modes need shmem (memfd or /dev/shm), "
                    + "only write-protect tracking works on regular files";
        }
        if (call.startsWith("ioctl(UFFDIO_REGISTER)") && errno == EBUSY) {
            return "The range is already registered with another userfaultfd: one region, one tracker";
        }
        if (call.equals("mlock2") && (errno == ENOMEM || errno == EPERM || errno == EAGAIN)) {
            return "The locked-memory limit is too small for this range: raise it (ulimit -l, or LimitMEMLOCK= for a "
                    + "systemd service), or grant CAP_IPC_LOCK";
        }
        if (errno == EMFILE || errno == ENFILE) {
            return "Out of file descriptors: close regions you no longer use, or raise the limit (ulimit -n)";
        }
        if (errno == ENOMEM && (call.startsWith("mmap") || call.startsWith("ftruncate"))) {
            return "Not enough memory or address space for the region: make it smaller, or check vm.max_map_count "
                    + "and the size of /dev/shm";
        }
        if (errno == ENOSPC) {
            return "The file system is full: free space, or for shmem regions grow /dev/shm (mount -o remount,size=...)";
        }
        return null;
    }
}
