package io.memsync.agent;

import example.app.MappedFileApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An application that makes its own file, writes its header in it and refuses a file without one (as Chronicle Map
 * does), started with -javaagent: memsync does not create the region's file before it, but adopts the file once the
 * application has created and mapped it, with the file's size; a configured size smaller than the file is an error
 * that says so.
 */
@Timeout(180)
class AdoptFileIT {
    private static final Duration T = Duration.ofSeconds(60);

    @Test
    void aFileTheApplicationCreatesIsAdoptedNotPreempted() throws Exception {
        try (ItCluster cluster = new ItCluster(2)) {
            Path fileA = cluster.file("a", "state");
            Path fileB = cluster.file("b", "state");
            // No size: the region takes the file's, rounded up to whole chunks (1000000 bytes: 16 chunks of 64 KiB).
            Path configA = cluster.config(0, "a", "memsync.region.state.path=" + fileA,
                    "memsync.region.state.role=owner", "memsync.region.state.push.interval.ms=60000");
            Path configB = cluster.config(1, "b", "memsync.region.state.path=" + fileB,
                    "memsync.region.state.role=replica");
            try (AppProcess b = AppProcess.start("adopt-b", List.of(AppProcess.agent("config=" + configB)), null,
                    "example.app.MappedFileApp", fileB.toString(), "segment", "1048576");
                 AppProcess a = AppProcess.start("adopt-a", List.of(AppProcess.agent("config=" + configA)), null,
                         "example.app.MappedFileApp", fileA.toString(), "header", "1000000")) {
                String ready = a.await(l -> l.startsWith("READY") || l.startsWith("REFUSED"), T);
                assertTrue(ready.startsWith("READY"), ready);
                a.awaitOutput(l -> l.contains("created region state (1048576 bytes, adopting " + fileA), T);
                a.awaitOutput(l -> l.contains("grows " + fileA + " from 1000000 to 1048576 bytes"), T);
                b.awaitLine("READY", T);
                b.awaitOutput(l -> l.contains("serving region state as a replica"), T);

                assertEquals("ok", a.ask("put 4096 77", T));
                assertTrue(a.ask("force", T).startsWith("ok forced"));
                assertEquals("value " + MappedFileApp.HEADER, b.ask("get 0", T), "the replica lacks the header");
                assertEquals("value 77", b.ask("get 4096", T));
                assertTrue(a.output().stream().noneMatch(l -> l.contains("waits for the application")
                        && !l.contains("region state")), String.join("\n", a.output()));
            }
        }
    }

    @Test
    void aConfiguredSizeSmallerThanTheFileIsAnErrorThatSaysSo() throws Exception {
        try (ItCluster cluster = new ItCluster(1)) {
            Path file = cluster.file("a", "state");
            Path config = cluster.config(0, "a", "memsync.region.state.path=" + file,
                    "memsync.region.state.size=64k", "memsync.region.state.replicas=0");
            try (AppProcess a = AppProcess.start("adopt-small", List.of(AppProcess.agent("config=" + config)), null,
                    "example.app.MappedFileApp", file.toString(), "header", "1048576")) {
                assertTrue(a.awaitLine("READY", T).startsWith("READY"));
                // Adopted when it appears, or at the node's start if the application made it first: either way, one
                // line that says why.
                String error = a.awaitOutput(l -> l.contains("could not adopt") || l.contains("failed to start"), T);
                assertTrue(error.contains("memsync.region.state.size=65536") && error.contains("smaller than " + file
                        + " (1048576 bytes)"), error);
            }
        }
    }
}
