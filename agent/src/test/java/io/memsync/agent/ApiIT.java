package io.memsync.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An application written against the API: a region injected into a @SharedRegion field, one from MemSync.region. */
@Timeout(180)
class ApiIT {
    private static final Duration T = Duration.ofSeconds(60);

    @Test
    void injectedAndLookedUpRegionsAreSharedBetweenTwoJvms() throws Exception {
        try (ItCluster cluster = new ItCluster(2)) {
            String[] regions = {"memsync.region.counters.size=256k", "memsync.region.notes.size=1m",
                    "memsync.region.notes.chunk.size=4k"};
            Path configA = cluster.config(0, "a", regions);
            Path configB = cluster.config(1, "b", regions);
            try (AppProcess a = AppProcess.start("api-a", List.of(AppProcess.agent("config=" + configA)), null,
                    "example.app.ApiApp")) {
                // The first node creates both regions (role auto); the second is given copies.
                assertTrue(a.awaitLine("READY", T).endsWith("injected 262144"));
                try (AppProcess b = AppProcess.start("api-b", List.of(AppProcess.agent("config=" + configB)), null,
                        "example.app.ApiApp")) {
                    assertTrue(b.awaitLine("READY", T).endsWith("injected 262144"));
                    assertEquals("role owner", a.ask("role counters", T));
                    assertEquals("role replica", b.ask("role counters", T));
                    assertEquals("ok", a.ask("put counters 4096 5", T));
                    assertEquals("ok", a.ask("put notes 65536 9", T));
                    assertEquals("ok", a.ask("flush counters", T));
                    assertEquals("ok", a.ask("flush notes", T));
                    assertEquals("ok", b.ask("await counters 4096 5 100", T));
                    assertEquals("ok", b.ask("await notes 65536 9 100", T));
                    // The replica's view refuses writes instead of diverging.
                    assertTrue(b.ask("put counters 0 1", T).startsWith("error"));
                    assertTrue(b.ask("flush counters", T).contains("flush on its owner"));
                }
            }
        }
    }
}
