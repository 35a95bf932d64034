package io.memsync.agent.launch;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * memsync.jar on a Java older than 25 (Java 17 is the default {@code java} on this kind of machine) says, in one
 * line, what it needs and where a JDK 25 is, and exits 2: as {@code java -jar} and as {@code -javaagent}.
 */
class VersionGateIT {
    private static final Path JAR = Path.of(System.getProperty("memsync.agent.jar", "target/memsync.jar"));

    @Test
    void readsJavaVersionsAndFindsAJdk25(@TempDir Path dir) throws Exception {
        assertEquals(8, VersionGate.feature("1.8"));
        assertEquals(17, VersionGate.feature("17"));
        assertEquals(25, VersionGate.feature("25.0.1"));
        assertEquals(0, VersionGate.feature("x"));
        jdk(dir.resolve("jdk-17"), "17.0.15");
        jdk(dir.resolve("jdk-25"), "25.0.1");
        jdk(dir.resolve("jdk-26"), "26");
        Files.createDirectories(dir.resolve("broken"));
        assertEquals(dir.resolve("jdk-26").toString(), VersionGate.findJdk(dir.toFile()));
        assertNull(VersionGate.findJdk(dir.resolve("jdk-17").toFile()));
        assertNull(VersionGate.refusal(), "this test runs on Java 25");
    }

    @Test
    void anOlderJavaIsToldWhatMemsyncNeeds() throws Exception {
        String old = olderJava();
        Assumptions.assumeTrue(old != null, "skipped: no Java older than 25 under /usr/lib/jvm to run the jar with");
        for (String[] command : new String[][] {{old, "-jar", JAR.toAbsolutePath().toString(), "status"},
                {old, "-javaagent:" + JAR.toAbsolutePath(), "-version"}}) {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(2, p.exitValue(), out);
            assertTrue(out.startsWith("memsync needs Java 25 or newer; this is Java "), out);
            assertTrue(out.contains(ProcessHandle.current().info().command().orElseThrow()
                    .replace(File.separator + "bin" + File.separator + "java", "")), "names no JDK 25: " + out);
            assertTrue(!out.contains("UnsupportedClassVersionError") && out.strip().lines().count() == 1, out);
        }
    }

    private static void jdk(Path home, String version) throws Exception {
        Files.createDirectories(home.resolve("bin"));
        Path java = Files.writeString(home.resolve("bin/java"), "#!/bin/sh\n");
        java.toFile().setExecutable(true);
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"x\"\nJAVA_VERSION=\"" + version + "\"\n");
    }

    /** A java under /usr/lib/jvm whose release is older than 25, or null. */
    private static String olderJava() throws Exception {
        File[] homes = new File("/usr/lib/jvm").listFiles();
        if (homes == null) {
            return null;
        }
        for (File home : homes) {
            Path release = home.toPath().resolve("release");
            File java = new File(home, "bin/java");
            if (Files.isRegularFile(release) && java.canExecute()) {
                for (String line : Files.readAllLines(release)) {
                    if (line.startsWith("JAVA_VERSION=") && VersionGate.feature(line.substring(13)
                            .replace("\"", "")) < 25) {
                        return java.getPath();
                    }
                }
            }
        }
        return null;
    }
}
