package io.memsync.region.linux;

/**
 * A failed Linux call: names the call, the errno (number and symbolic name) and, where one is known, what to do.
 */
public final class LinuxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    public LinuxException(String call, int errno, String detail) {
        super(format(call, errno, detail));
        this.call = call;
        this.errno = errno;
    }

    private static String format(String call, int errno, String detail) {
        StringBuilder sb = new StringBuilder(call).append(" failed: ")
                .append(Errno.name(errno)).append(" (").append(errno).append(", ")
                .append(Errno.description(errno)).append(')');
        if (detail != null && !detail.isEmpty()) {
            sb.append(": ").append(detail);
        }
        String hint = Errno.hint(call, errno);
        if (hint != null) {
            sb.append(". ").append(hint);
        }
        return sb.toString();
    }

    /** The C function or ioctl that failed, for example {@code "ioctl(UFFDIO_REGISTER)"}. */
    public String call() {
        return call;
    }

    /** The errno value the call left. */
    public int errno() {
        return errno;
    }

    /** The symbolic errno name, for example {@code "EPERM"}. */
    public String errnoName() {
        return Errno.name(errno);
    }
}
