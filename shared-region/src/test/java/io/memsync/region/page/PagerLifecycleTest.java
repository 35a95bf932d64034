package io.memsync.region.page;

import io.memsync.region.ChunkLayout;
import io.memsync.region.linux.KernelFeatures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Pagers belong to their application: they outlive its process group's signals but not the application. */
@Timeout(120)
class PagerLifecycleTest {

    /** Run in a child JVM: mounts a lazy region, prints the pagers' pids, then waits to be killed. */
    public static void main(String[] args) throws Exception {
        Path image = Path.of(args[0]);
        ChunkLayout layout = new ChunkLayout(Files.size(image), 64 * 1024);
        LazyRegion lazy = LazyRegion.mount("orphan", layout, PagerConfig.of("shm:" + image).withPullers(0));
        if (!lazy.awaitStandby(java.time.Duration.ofSeconds(60))) {
            throw new IllegalStateException("no standby pager started");
        }
        System.out.println("pagers " + lazy.activePagerPid() + " " + lazy.standbyPagerPid());
        System.out.flush();
        Thread.sleep(120_000);
    }

    @Test
    void pagersExitWhenTheirApplicationIsKilled() throws Exception {
        assumeTrue(KernelFeatures.get().lazyRegionsAvailable(),
                "lazy regions unavailable: " + KernelFeatures.get().lazyRegionsProblem());
        Path image = Path.of("/dev/shm", "memsync-orphan-" + ProcessHandle.current().pid());
        Files.write(image, new byte[1 << 20]);
        Process app = null;
        try {
            app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    PagerLifecycleTest.class.getName(), image.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String line;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(app.getInputStream(),
                    StandardCharsets.UTF_8))) {
                line = out.readLine();
            }
            assertNotNull(line, "the child printed nothing");
            String[] words = line.split(" ");
            long active = Long.parseLong(words[1]);
            long standby = Long.parseLong(words[2]);
            Optional<ProcessHandle> activeHandle = ProcessHandle.of(active);
            Optional<ProcessHandle> standbyHandle = ProcessHandle.of(standby);
            assertTrue(activeHandle.isPresent() && standbyHandle.isPresent(), "both pagers run");

            app.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            for (ProcessHandle pager : new ProcessHandle[] {activeHandle.get(), standbyHandle.get()}) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (pager.isAlive() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertFalse(pager.isAlive(), "pager " + pager.pid() + " outlived its application");
            }
        } finally {
            if (app != null) {
                app.destroyForcibly();
            }
            Files.deleteIfExists(image);
        }
    }
}
