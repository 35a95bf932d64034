package io.memsync.cluster.testkit;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every module's tests share: the one cluster secret and the one bounded wait. Ports come from
 * {@link FreePorts}, nodes in the test's JVM from {@link TestNodes}, nodes in JVMs of their own from
 * {@link NodeMain} (driven through {@link LineProcess}).
 */
public final class Fixtures {
    /**
     * The cluster secret of every test: as a string for configuration files, agent arguments and the
     * {@code MEMSYNC_SECRET} environment variable, as bytes ({@link #secret()}) for {@code NodeConfig} and the data
     * plane. A test that needs a wrong or a malformed secret writes its own.
     */
    public static final String SECRET = "memsync-test-secret-0123456789";

    private Fixtures() {
    }

    /** A test main's {@code --key=value} arguments; fails naming one that is not of that form. */
    public static Map<String, String> options(String[] args) {
        Map<String, String> a = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 3) {
                throw new IllegalArgumentException("argument '" + arg + "' is not --key=value");
            }
            a.put(arg.substring(2, eq), arg.substring(eq + 1));
        }
        return a;
    }

    /** {@link #SECRET} as UTF-8 bytes, a fresh copy each time. */
    public static byte[] secret() {
        return SECRET.getBytes(StandardCharsets.UTF_8);
    }

    /** A condition to wait for; it may throw (for example when it reads over JMX or from a process). */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    /** Waits until {@code condition} holds, failing with {@code what} after {@code seconds}. */
    public static void await(Condition condition, int seconds, String what) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!condition.holds()) {
            assertTrue(System.nanoTime() < deadline, what + " (waited " + seconds + " s)");
            Thread.sleep(20);
        }
    }
}
