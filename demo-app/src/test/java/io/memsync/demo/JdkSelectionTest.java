package io.memsync.demo;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The front door's JDK selection (.mvn/select-jdk.sh, sourced by ./mvnw and ./demo). */
class JdkSelectionTest {
    private static final Path SCRIPT = Path.of("..", ".mvn", "select-jdk.sh").toAbsolutePath().normalize();

    private static String[] run(String javaHome, String root, Path tools) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", ". " + SCRIPT + " && echo \"selected $JAVA_HOME\"");
        pb.environment().remove("MEMSYNC_JAVA_HOME");
        pb.environment().put("JAVA_HOME", javaHome);
        pb.environment().put("MEMSYNC_JDK_ROOT", root);
        // The tools the script uses, and no `java`: the PATH fallback must not find the machine's own.
        pb.environment().put("PATH", tools.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "select-jdk.sh hung");
        return new String[] {Integer.toString(p.exitValue()),
                new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)};
    }

    @Test
    void picksAJdk25AndSaysWhatToInstallWhenThereIsNone(@org.junit.jupiter.api.io.TempDir Path fake)
            throws Exception {
        assertTrue(Files.exists(SCRIPT), SCRIPT.toString());
        String current = System.getProperty("java.home");
        Path old = Files.createDirectories(fake.resolve("jdk-17/bin"));
        for (String tool : new String[] {"java", "javac"}) {
            Path t = Files.writeString(old.resolve(tool), "#!/bin/sh\n");
            t.toFile().setExecutable(true);
        }
        Files.writeString(fake.resolve("jdk-17/release"), "JAVA_VERSION=\"17.0.15\"\n");

        Path tools = Files.createDirectories(fake.resolve("tools"));
        for (String tool : new String[] {"sed", "cat", "dirname", "readlink"}) {
            for (String dir : new String[] {"/usr/bin", "/bin"}) {
                if (Files.isExecutable(Path.of(dir, tool)) && !Files.exists(tools.resolve(tool))) {
                    Path wrapper = Files.writeString(tools.resolve(tool),
                            "#!/bin/sh\nexec " + Path.of(dir, tool) + " \"$@\"\n");
                    wrapper.toFile().setExecutable(true);
                }
            }
        }
        String[] none = run(fake.resolve("jdk-17").toString(), fake.toString(), tools);
        assertEquals("1", none[0], none[1]);
        assertTrue(none[1].contains("no JDK 25 found"), none[1]);
        assertTrue(none[1].contains("jdk-17 (17)"), "lists what it looked at: " + none[1]);
        assertTrue(none[1].contains("temurin-25-jdk"), "names what to install: " + none[1]);

        String[] found = run(fake.resolve("jdk-17").toString(), Path.of(current).getParent().toString(), tools);
        assertEquals("0", found[0], found[1]);
        assertTrue(found[1].contains("selected " + Path.of(current).getParent()), found[1]);
    }
}
