package io.memsync.agent;

import io.memsync.cluster.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A JVM started with a bad agent configuration stops at once, with one line that names the key and the value. */
@Timeout(120)
class BadConfigIT {
    private static final Duration T = Duration.ofSeconds(30);

    @Test
    void badArgumentsStopTheStartWithOneMessage() throws Exception {
        String secret = "secret=" + Fixtures.SECRET;
        assertStops(secret + ",region.cache.size=12x", "memsync.region.cache.size=12x",
                "a size from");
        assertStops(secret + ",clustr.name=x", "memsync.clustr.name=x", "did you mean memsync.cluster.name?");
        assertStops(secret + ",region.cache.size=1m,region.cache.tracker=fast", "memsync.region.cache.tracker=fast",
                "choose auto, wp or hash");
        assertStops("region.cache.size=1m", "memsync.secret is missing", "MEMSYNC_SECRET");
        assertStops(secret + ",config=/nonexistent/memsync.properties", "memsync.config=/nonexistent",
                "cannot read it");
        assertStops(secret + ",region.cache.size=1m,region.cache.path=/var/tmp/cache",
                "memsync.region.cache.path=/var/tmp/cache", "tmpfs");
    }

    private static void assertStops(String args, String names, String allowed) throws Exception {
        try (AppProcess app = AppProcess.start("bad-config", List.of(AppProcess.agent(args)), null,
                "example.app.MappedFileApp", "/dev/shm/never", "buffer", "4096")) {
            assertEquals(2, app.awaitExit(T), "exit status for " + args);
            List<String> out = app.output().stream().filter(l -> !l.isBlank()).toList();
            assertEquals(1, out.size(), "one line of output for " + args + ", got " + out);
            assertTrue(out.getFirst().contains(names) && out.getFirst().contains(allowed),
                    "the message names " + names + " and " + allowed + ": " + out.getFirst());
        }
    }
}
