package io.memsync.agent;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An application that only knows FileChannel.map and force(), started with -javaagent:memsync.jar on two JVMs:
 * they share its state, and force() on the owner is a barrier after which the replica reads every write.
 */
@Timeout(180)
class MappedFileIT {
    private static final Duration T = Duration.ofSeconds(60);

    /** {@code how}: the owner maps the file as a MappedByteBuffer or as a MemorySegment. */
    @ParameterizedTest
    @ValueSource(strings = {"buffer", "segment"})
    void twoJvmsRunningAnUnmodifiedMappedFileApplicationShareItsState(String how) throws Exception {
        try (ItCluster cluster = new ItCluster(2)) {
            Path fileA = cluster.file("a", "state");
            Path fileB = cluster.file("b", "state");
            // Pushes between flushes once a minute only: what the replica holds right after force() came by force().
            Path configA = cluster.config(0, "a", "memsync.region.state.size=1m",
                    "memsync.region.state.path=" + fileA, "memsync.region.state.role=owner",
                    "memsync.region.state.push.interval.ms=60000", "memsync.antientropy.interval.ms=0");
            Path configB = cluster.config(1, "b", "memsync.region.state.size=1m",
                    "memsync.region.state.path=" + fileB, "memsync.region.state.role=replica");
            // No Hazelcast flags: the agent opens what its Hazelcast needs itself.
            try (AppProcess b = AppProcess.start("mapped-b", List.of(AppProcess.agent("config=" + configB)), null,
                    "example.app.MappedFileApp", fileB.toString(), "segment", "1048576");
                 AppProcess a = AppProcess.start("mapped-a", List.of(AppProcess.agent("config=" + configA)), null,
                         "example.app.MappedFileApp", fileA.toString(), how, "1048576")) {
                a.awaitLine("READY", T);
                b.awaitLine("READY", T);
                b.await(l -> l.contains("serving region state as a replica"), T);
                // The owner's file had content (it adopts the file): the replica gets all of it once, first.
                a.await(l -> l.contains("sent the whole of region state"), T);

                // force() is a barrier: once it returns on the owner, the replica holds every write made before.
                assertEquals("ok", a.ask("fill 0 4096 7", T));
                assertEquals("ok", a.ask("put 900000 99", T));
                assertTrue(b.ask("await 900000 99 500", T).startsWith("timeout"), "pushed before force()");
                assertTrue(a.ask("force", T).startsWith("ok forced"));
                assertEquals("ok", b.ask("check 0 4096 7", T), "the replica lacks writes made before force()");
                assertEquals("value 99", b.ask("get 900000", T));

                // On a replica force() is only the msync it always was.
                assertTrue(b.ask("force", T).startsWith("ok forced"));
            }
        }
    }
}
