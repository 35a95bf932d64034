package io.memsync.agent;

import javax.management.JMException;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;

/**
 * Gives the C heap's free memory back to the kernel once memsync has started in an application's JVM. Starting a
 * Hazelcast member and compiling its code takes the JIT compiler's arenas to some 30-50 MiB at their peak; glibc
 * keeps what they freed in its arenas, resident, for good (measured: 22 MiB of the agent's cost). The JVM's own
 * {@code System.trim_native_heap} command (glibc's {@code malloc_trim}) returns it; on other C libraries the
 * command says it is not supported and nothing happens.
 */
final class NativeHeap {
    private static final System.Logger LOG = System.getLogger(NativeHeap.class.getName());
    /** When to trim, in seconds after the node is ready: once the start-up's compilations are done, and later. */
    static final long[] TRIM_AFTER_READY_SECONDS = {5, 60};

    private NativeHeap() {
    }

    /** Trims the C heap; the JVM's one-line report, or why not. */
    static String trim() {
        String result;
        try {
            Object out = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "systemTrimNativeHeap",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            result = String.valueOf(out).strip();
        } catch (JMException | RuntimeException e) {
            result = "not trimmed: " + e;
        }
        LOG.log(System.Logger.Level.DEBUG, "memsync: native heap: " + result);
        return result;
    }
}
