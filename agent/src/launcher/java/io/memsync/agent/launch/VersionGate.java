package io.memsync.agent.launch;

import java.io.BufferedReader;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Main-Class, Premain-Class and Agent-Class of memsync.jar: checks the Java version, then calls
 * {@code io.memsync.agent.cli.MemSyncCli} or {@code io.memsync.agent.MemSyncAgent}. Compiled for Java 8 (its own
 * source root): it must load where memsync's classes cannot.
 */
public final class VersionGate {
    /** The oldest Java memsync runs on. */
    static final int REQUIRED = 25;

    private VersionGate() {
    }

    public static void main(String[] args) throws Throwable {
        String refusal = refusal();
        if (refusal != null) {
            System.err.println(refusal);
            System.exit(2);
        }
        call("io.memsync.agent.cli.MemSyncCli", "main", new Class<?>[] {String[].class}, new Object[] {args});
    }

    public static void premain(String args, Instrumentation inst) throws Throwable {
        String refusal = refusal();
        if (refusal != null) {
            // The application would not start with memsync; it must not start without it either, unnoticed.
            System.err.println(refusal);
            System.exit(2);
        }
        call("io.memsync.agent.MemSyncAgent", "premain", new Class<?>[] {String.class, Instrumentation.class},
                new Object[] {args, inst});
    }

    public static void agentmain(String args, Instrumentation inst) throws Throwable {
        String refusal = refusal();
        if (refusal != null) {
            System.err.println(refusal);
            throw new IllegalStateException(refusal);
        }
        call("io.memsync.agent.MemSyncAgent", "agentmain", new Class<?>[] {String.class, Instrumentation.class},
                new Object[] {args, inst});
    }

    /** Null on Java 25 or newer; else the one line that says what to do. */
    static String refusal() {
        int feature = feature(System.getProperty("java.specification.version", "0"));
        if (feature >= REQUIRED) {
            return null;
        }
        String home = System.getProperty("java.home", "?");
        String found = findJdk(new File("/usr/lib/jvm"));
        return "memsync needs Java " + REQUIRED + " or newer; this is Java " + feature + " at " + home
                + File.separator + "bin" + File.separator + "java; run it with a JDK " + REQUIRED + " or newer"
                + (found != null ? ", e.g. " + found + File.separator + "bin" + File.separator + "java (or set "
                + "JAVA_HOME=" + found + " and put $JAVA_HOME/bin first on PATH)" : " (set JAVA_HOME to it and put "
                + "$JAVA_HOME/bin first on PATH)");
    }

    /** The feature release of a java.specification.version: "1.8" is 8, "17" is 17. */
    static int feature(String specification) {
        try {
            String s = specification.startsWith("1.") ? specification.substring(2) : specification;
            int dot = s.indexOf('.');
            return Integer.parseInt(dot < 0 ? s : s.substring(0, dot));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** A JDK of at least {@link #REQUIRED} under {@code dir} (by its release file), the newest first; or null. */
    static String findJdk(File dir) {
        File[] homes = dir.listFiles();
        if (homes == null) {
            return null;
        }
        Arrays.sort(homes);
        String best = null;
        int bestFeature = 0;
        for (File home : homes) {
            int f = releaseFeature(new File(home, "release"));
            if (f >= REQUIRED && f > bestFeature && new File(home, "bin" + File.separator + "java").canExecute()) {
                best = home.getPath();
                bestFeature = f;
            }
        }
        return best;
    }

    private static int releaseFeature(File release) {
        if (!release.isFile()) {
            return 0;
        }
        BufferedReader r = null;
        try {
            r = new BufferedReader(new InputStreamReader(new FileInputStream(release), StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.startsWith("JAVA_VERSION=")) {
                    return feature(line.substring("JAVA_VERSION=".length()).replace("\"", "").trim());
                }
            }
            return 0;
        } catch (IOException e) {
            return 0;
        } finally {
            if (r != null) {
                try {
                    r.close();
                } catch (IOException ignored) {
                    // read already
                }
            }
        }
    }

    private static void call(String type, String name, Class<?>[] parameters, Object[] arguments) throws Throwable {
        Method m = Class.forName(type).getMethod(name, parameters);
        try {
            m.invoke(null, arguments);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
