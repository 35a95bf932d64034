package io.memsync.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A region that should have a replica on a node alone in its cluster: by default a flush succeeds (the writes are on
 * this node only, and the JMX answer says so); with {@code memsync.flush.require.replica=true} it fails and says
 * what to do.
 */
@Timeout(120)
class FlushPolicyIT {
    private static final Duration T = Duration.ofSeconds(60);

    @Test
    void aFlushWithNoReplicaPlacedFailsOnlyWhenConfiguredTo() throws Exception {
        try (ItCluster cluster = new ItCluster(1)) {
            String[] regions = {"memsync.region.counters.size=256k", "memsync.region.notes.size=1m",
                    "memsync.region.notes.replicas=1"};
            Path lenient = cluster.config(0, "a", regions);
            try (AppProcess a = AppProcess.start("flush-lenient", List.of(AppProcess.agent("config=" + lenient)),
                    null, "example.app.ApiApp")) {
                a.awaitLine("READY", T);
                assertEquals("ok", a.ask("flush notes", T));
                AttachCliIT.Cli status = AttachCliIT.cli("status", "--pid", Long.toString(a.pid()));
                assertTrue(status.output().contains("replicas (0 of 1 wanted)"), status.output());
            }
            String[] strict = {"memsync.region.counters.size=256k", "memsync.region.notes.size=1m",
                    "memsync.region.notes.replicas=1", "memsync.flush.require.replica=true"};
            Path config = cluster.config(0, "a", strict);
            try (AppProcess a = AppProcess.start("flush-strict", List.of(AppProcess.agent("config=" + config)),
                    null, "example.app.ApiApp")) {
                a.awaitLine("READY", T);
                String refused = a.ask("flush notes", T);
                assertTrue(refused.startsWith("error") && refused.contains("has none placed, so nothing would be "
                        + "acknowledged") && refused.contains("memsync.flush.require.replica=false"), refused);
            }
        }
    }
}
