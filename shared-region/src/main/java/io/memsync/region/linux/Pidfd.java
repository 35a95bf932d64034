package io.memsync.region.linux;

/**
 * pidfd_open(2) and pidfd_getfd(2): a descriptor for a process (readable when it exits, so poll can watch it), and
 * a copy of one of its descriptors. How a pager takes an application's userfaultfd and memfd without a socket.
 */
public final class Pidfd {
    public static final long SYS_PIDFD_OPEN = 434;
    public static final long SYS_PIDFD_GETFD = 438;

    private Pidfd() {
    }

    /** A pidfd for process {@code pid} (close-on-exec); poll reports POLLIN once the process has exited. */
    public static int pidfd_open(int pid) {
        long r = LibC.syscall(SYS_PIDFD_OPEN, pid, 0, 0);
        if (r < 0) {
            throw new LinuxException("pidfd_open", (int) -r, "pid " + pid
                    + (r == -Errno.ESRCH ? " (the process is gone)" : ""));
        }
        return (int) r;
    }

    /**
     * A copy, in this process, of descriptor {@code targetFd} of the process behind {@code pidfd}. Needs ptrace
     * access to it: the same user with kernel.yama.ptrace_scope at most 1 and this process its descendant or
     * allowed, or root / CAP_SYS_PTRACE.
     */
    public static int pidfd_getfd(int pidfd, int targetFd) {
        long r = LibC.syscall(SYS_PIDFD_GETFD, pidfd, targetFd, 0);
        if (r < 0) {
            int errno = (int) -r;
            String detail = "fd " + targetFd + " of pidfd " + pidfd;
            if (errno == Errno.EPERM) {
                detail += ": this process may not ptrace the target; run the pager as the same user with "
                        + "kernel.yama.ptrace_scope <= 1, or as root / with CAP_SYS_PTRACE";
            }
            throw new LinuxException("pidfd_getfd", errno, detail);
        }
        return (int) r;
    }
}
