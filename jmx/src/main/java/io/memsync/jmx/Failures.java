package io.memsync.jmx;

/**
 * Turns a failure inside memsync into one a remote JMX client can read: a JDK exception type whose message holds
 * the whole chain of causes. The causes themselves stay behind, for a client without memsync's classes could not
 * unmarshal them and would see an unmarshalling error instead of the reason.
 */
final class Failures {
    private Failures() {
    }

    /** {@code what} failed because of {@code e}: IllegalArgumentException for bad input, else IllegalStateException. */
    static RuntimeException of(String what, Throwable e) {
        StringBuilder message = new StringBuilder(what).append(": ");
        int depth = 0;
        for (Throwable t = e; t != null && depth < 5; t = t.getCause(), depth++) {
            String m = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
            // memsync's messages often quote their cause's already.
            if (depth > 0 && message.indexOf(m) < 0) {
                message.append("; caused by ").append(m);
            } else if (depth == 0) {
                message.append(m);
            }
        }
        RuntimeException out = e instanceof IllegalArgumentException ? new IllegalArgumentException(message.toString())
                : new IllegalStateException(message.toString());
        out.setStackTrace(e.getStackTrace());
        return out;
    }
}
