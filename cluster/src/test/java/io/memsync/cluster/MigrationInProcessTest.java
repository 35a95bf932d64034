package io.memsync.cluster;

import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.TestNodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The migration API's contract, two nodes in this JVM: errors, callbacks, and the old owner's revoked view. */
@Timeout(180)
class MigrationInProcessTest {

    @Test
    void theOldOwnersWritersFailAfterTheHandoverAndTheNewOnesSeeEveryWrite() throws Exception {
        List<Node> nodes = TestNodes.start("migration-api", "a", "b");
        try (Node a = nodes.get(0);
             Node b = nodes.get(1)) {
            ClusterRegion region = a.createRegion("api", 4 << 20, 65536, 0);
            MemorySegment oldView = region.segment();
            for (long o = 0; o < oldView.byteSize(); o += 4096) {
                oldView.set(JAVA_LONG, o, o * 31 + 7);
            }

            String m = assertThrows(IllegalStateException.class,
                    () -> a.migrate("api", b.memberId(), MigrationOptions.defaults())).getMessage();
            assertTrue(m.contains("no WriterControl"), m);
            AtomicInteger pauses = new AtomicInteger();
            a.writerControl("api", new WriterControl() {
                @Override
                public void pause() {
                    pauses.incrementAndGet();
                }

                @Override
                public void resume() {
                }
            });
            m = assertThrows(IllegalArgumentException.class,
                    () -> a.migrate("api", a.memberId(), MigrationOptions.defaults())).getMessage();
            assertTrue(m.contains("not another live member"), m);
            m = assertThrows(IllegalStateException.class,
                    () -> b.migrate("api", a.memberId(), MigrationOptions.defaults())).getMessage();
            assertTrue(m.contains("not owned by this node"), m);
            m = assertThrows(IllegalArgumentException.class,
                    () -> MigrationOptions.defaults().withMinAvailability(1.5, Duration.ZERO)).getMessage();
            assertTrue(m.contains("outside [0, 1]"), m);

            AtomicReference<String> lost = new AtomicReference<>();
            AtomicReference<ClusterRegion> gained = new AtomicReference<>();
            a.addOwnershipListener(new OwnershipListener() {
                @Override
                public void lost(String name, String newOwner, long token) {
                    lost.set(name + " " + newOwner + " " + token);
                }
            });
            b.addOwnershipListener(new OwnershipListener() {
                @Override
                public void gained(ClusterRegion r) {
                    gained.set(r);
                }
            });
            MigrationResult result = a.migrate("api", b.memberId(), MigrationOptions.defaults());
            assertEquals(2, result.token());
            assertEquals(1, pauses.get(), "the writers were paused once, for the handover");
            assertEquals("api " + b.memberId() + " 2", lost.get());
            assertThrows(IllegalStateException.class, () -> oldView.set(JAVA_LONG, 0, 1L),
                    "the old owner's writers fail instead of writing where nobody reads");

            Fixtures.await(() -> gained.get() != null, 30, "the destination was never told it owns the region");
            ClusterRegion moved = gained.get();
            assertTrue(moved.isOwner());
            MemorySegment view = moved.segment();
            for (long o = 0; o < view.byteSize(); o += 4096) {
                assertEquals(o * 31 + 7, view.get(JAVA_LONG, o), "byte " + o);
            }
            view.set(JAVA_LONG, 8, 42L);
            moved.flush();
            assertNotNull(a.migration("api"));
            assertEquals(MigrationProgress.Phase.DONE, a.migration("api").phase());
        }
    }
}
