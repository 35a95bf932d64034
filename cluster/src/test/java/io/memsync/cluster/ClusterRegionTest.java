package io.memsync.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.memsync.region.Region;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The owner's copy: its writers' view. */
class ClusterRegionTest {

    /**
     * A migration's source demotes its copy while the conductor demotes it for the directory event the handover
     * caused: both revoke the writers' view at once, and neither may fail ("Already closed" failed a migration in a
     * clean CI run, after the region had been handed over).
     */
    @Test
    void twoThreadsRevokeTheWritersAtOnce() throws Exception {
        try (Region region = Region.builder("revoke").size(1 << 16).chunkSize(4096).create()) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int i = 0; i < 2_000; i++) {
                    ClusterRegion owner = ClusterRegion.owner("revoke", region, null, null, null, null, () -> { });
                    owner.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) i);
                    CyclicBarrier together = new CyclicBarrier(2);
                    Future<?> a = pool.submit(() -> {
                        together.await();
                        owner.revokeWriters();
                        return null;
                    });
                    Future<?> b = pool.submit(() -> {
                        together.await();
                        owner.revokeWriters();
                        return null;
                    });
                    a.get(10, TimeUnit.SECONDS);
                    b.get(10, TimeUnit.SECONDS);
                    assertThrows(IllegalStateException.class, () -> owner.segment().get(ValueLayout.JAVA_BYTE, 0));
                }
                assertEquals(1_999 & 0xff, region.segment().get(ValueLayout.JAVA_BYTE, 0) & 0xff);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** A checksum asked of a copy this node dropped says so, not FFM's "Already closed". */
    @Test
    void aClosedCopySaysSoWhenAskedForItsChecksum() {
        Region region = Region.builder("dropped").size(1 << 16).chunkSize(4096).create();
        ClusterRegion copy = ClusterRegion.replica("dropped", region, null, null);
        assertEquals(copy.checksum(), ClusterRegion.crc32c(region.segment()), "open, it sums its memory");
        region.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, copy::checksum);
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("this node's copy is closed"),
                e.getMessage());
    }
}
