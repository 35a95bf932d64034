package io.memsync.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A running JVM whose native code mapped a file gets memsync by attach: the mapping (found in /proc/self/maps) is
 * synchronized to a second JVM; then the command line verifies the copies, shows the status and migrates the region
 * to the second JVM, whose application then writes and is read on the first.
 */
@Timeout(300)
class AttachCliIT {
    private static final Duration T = Duration.ofSeconds(60);

    @Test
    void attachThenStatusVerifyAndMigrateFromTheCommandLine() throws Exception {
        try (ItCluster cluster = new ItCluster(2)) {
            Path fileC = cluster.file("c", "shared");
            Path fileB = cluster.file("b", "shared");
            Path configC = cluster.config(0, "c", "memsync.region.shared.size=2m",
                    "memsync.region.shared.path=" + fileC, "memsync.region.shared.role=owner");
            Path configB = cluster.config(1, "b", "memsync.region.shared.size=2m",
                    "memsync.region.shared.path=" + fileB, "memsync.region.shared.role=replica");
            try (AppProcess c = AppProcess.start("attached-c", List.of("-XX:+EnableDynamicAgentLoading"), null,
                    "example.app.MappedFileApp", fileC.toString(), "native", "2097152");
                 AppProcess b = AppProcess.start("agent-b", List.of(AppProcess.agent("config=" + configB)), null,
                         "example.app.MappedFileApp", fileB.toString(), "segment", "2097152")) {
                c.awaitLine("READY", T);
                b.awaitLine("READY", T);
                // Written before memsync is in the process: the attach must pick the content up.
                assertEquals("ok", c.ask("fill 0 1000 3", T));

                Cli attach = cli("attach", Long.toString(c.pid()), "config=" + configC);
                assertEquals(0, attach.status, attach.output);
                assertTrue(attach.output.contains("running in JVM " + c.pid()), attach.output);
                c.await(l -> l.contains("is mapped in this process at 0x"), T);

                assertTrue(b.ask("await 7992 1002 30000", T).startsWith("ok after"));
                assertEquals("ok", b.ask("check 0 1000 3", T));
                // Native writes without any call into Java arrive too (the hash tracker compares the memory).
                assertEquals("ok", c.ask("put 1048576 77", T));
                assertTrue(b.ask("await 1048576 77 30000", T).startsWith("ok after"));

                String pid = Long.toString(c.pid());
                Cli verify = cli("verify", "shared", "--pid", pid);
                assertEquals(0, verify.status, verify.output);
                assertTrue(verify.output.contains("2 copies, all identical"), verify.output);

                Cli status = cli("status", "--pid", pid);
                assertEquals(0, status.status, status.output);
                assertTrue(status.output.contains("shared"), status.output);

                Cli migrate = cli("migrate", "shared", "b", "--pid", pid);
                assertEquals(0, migrate.status, migrate.output);
                assertTrue(migrate.output.contains("migrated to b: writers paused"), migrate.output);

                // b owns the region now: its application's writes and force() reach c.
                assertEquals("ok", b.ask("put 2048 4242", T));
                assertTrue(b.ask("force", T).startsWith("ok forced"));
                assertTrue(c.ask("await 2048 4242 100", T).startsWith("ok after"));

                Cli missing = cli("verify", "nosuchregion", "--pid", pid);
                assertTrue(missing.status != 0, missing.output);
                Cli usage = cli("migrate", "shared");
                assertEquals(2, usage.status, usage.output);
                assertTrue(usage.output.contains("Missing required parameter: '<member>'"), usage.output);
            }
        }
    }

    record Cli(int status, String output) {
    }

    static Cli cli(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(AppProcess.JAVA, "-jar",
                AppProcess.AGENT_JAR.toAbsolutePath().toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("memsync " + String.join(" ", args) + " did not finish in 120 s");
        }
        return new Cli(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
