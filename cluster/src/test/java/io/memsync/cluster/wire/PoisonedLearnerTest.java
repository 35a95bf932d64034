package io.memsync.cluster.wire;

import io.memsync.cluster.testkit.Fixtures;
import io.memsync.region.ChunkLayout;
import io.memsync.region.Region;
import io.memsync.region.linux.KernelFeatures;
import io.memsync.region.page.LazyRegion;
import io.memsync.region.page.PagerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static io.memsync.cluster.testkit.Fixtures.secret;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Hole 9, over the wire: a learner (a migration's destination paging in) whose source failed has poisoned chunks;
 * the old owner's pushes bring their bytes, and from then on they read, as the node wires it
 * ({@code served.onApplied(lazy::arrived)}). Before, the chunk failed every read for good.
 */
@Timeout(60)
class PoisonedLearnerTest extends WireTestSupport {
    private static final long ID = 0x9015_0000_0000_0009L;

    @Test
    void aPushLiftsThePoisonOfALearnersChunk() throws Exception {
        assumeTrue(KernelFeatures.get().lazyRegionsAvailable(), KernelFeatures.get().describe());
        int chunks = 8;
        ChunkLayout layout = new ChunkLayout((long) chunks * CHUNK, CHUNK);
        Region owner = region("poisoned-owner", chunks);
        randomWrites(owner.segment(), 9, 4_000);
        Path image = Files.createTempFile(Path.of("/dev/shm"), "memsync-poisoned-learner", ".img");
        try {
            Files.write(image, new byte[(int) layout.regionSize()]);
            // A source that fails for good (the migration's source died), and no recovery by fetching again: only
            // the push can bring the chunk back.
            try (LazyRegion lazy = LazyRegion.mount("poisoned-learner", layout,
                    PagerConfig.of("shm:" + image + "?fail=always").withPullers(0).withStandby(false)
                            .withRetries(0, Duration.ZERO).withRecovery(Duration.ZERO).withWriteTracking(true))) {
                lazy.startTracking();
                assertThrows(InternalError.class, () -> lazy.segment().get(JAVA_LONG, 2L * CHUNK),
                        "chunk 2 is poisoned: its source failed");
                ServedRegion served = new ServedRegion(ID, "poisoned", lazy.region().segment(), layout,
                        ServedRegion.Role.LEARNER, 1);
                served.applyThrough(lazy.region().untrackedMapping());
                served.onApplied(lazy::arrived);
                DataServer server = keep(new DataServer(LOOPBACK, secret(), 16));
                server.serve(served);
                ReplicaSink sink = new ReplicaSink(layout, ID, () -> 1L, 1, Duration.ofSeconds(5));
                sink.add("learner", link(server), false);
                sink.write(2, owner.segment(), layout.offsetOf(2));
                Fixtures.await(() -> lazy.isPresent(2), 10, "the push of chunk 2 arrived");
                assertEquals(-1L, lazy.segment().asSlice(2L * CHUNK, CHUNK)
                                .mismatch(owner.segment().asSlice(2L * CHUNK, CHUNK)),
                        "chunk 2 reads the pushed bytes instead of failing");
                assertEquals(0, lazy.status().fetchFailures() - 1, "the pager never tried chunk 2 again");
            }
        } finally {
            Files.deleteIfExists(image);
        }
    }
}
