package io.memsync.region.sync;

import io.memsync.region.track.Trackers;
import io.memsync.region.Region;
import io.memsync.region.store.MemoryChunkStore;
import io.memsync.region.track.TrackerKind;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An operator's controls on a running syncer: pause and resume lose nothing; the interval changes live. */
class SyncerControlTest {
    private static final int CHUNK = 64 * 1024;

    @Test
    void pausedPushesNothingAndFailsFlushesThenResumedDeliversEveryWrite() throws Exception {
        try (Region region = Region.builder("paused").size(16L * CHUNK).create();
             MemoryChunkStore sink = new MemoryChunkStore(region.layout())) {
            try (Syncer syncer = new Syncer("paused", Trackers.start(region, TrackerKind.AUTO), sink,
                    Duration.ofMillis(1)).start()) {
                region.segment().set(JAVA_LONG, 0, 1L);
                syncer.flush();
                syncer.pause();
                assertTrue(syncer.isPaused());
                long pushed = syncer.chunksPushed();
                for (int i = 0; i < 16; i++) {
                    region.segment().set(JAVA_LONG, (long) i * CHUNK, 100L + i);
                }
                Thread.sleep(30);
                assertEquals(pushed, syncer.chunksPushed(), "a paused syncer pushed");
                String m = assertThrows(IOException.class, syncer::flush).getMessage();
                assertTrue(m.contains("is paused") && m.contains("resume"), m);
                assertEquals(1L, sink.memory().get(JAVA_LONG, 0), "the sink got a write while paused");

                syncer.resume();
                assertFalse(syncer.isPaused());
                syncer.flush();
                assertEquals(pushed + 16, syncer.chunksPushed());
                for (int i = 0; i < 16; i++) {
                    assertEquals(100L + i, sink.memory().get(JAVA_LONG, (long) i * CHUNK), "chunk " + i);
                }
                assertEquals(0, syncer.pendingChunks());

                syncer.interval(Duration.ofMillis(7));
                assertEquals(Duration.ofMillis(7), syncer.interval());
                assertThrows(IllegalArgumentException.class, () -> syncer.interval(Duration.ofNanos(10)));

                // Closing a paused syncer still pushes what is left.
                region.segment().set(JAVA_LONG, 3L * CHUNK, 7L);
                syncer.pause();
            }
            assertEquals(7L, sink.memory().get(JAVA_LONG, 3L * CHUNK), "close() lost a write made while paused");
        }
    }

    @Test
    void anAbandonedSyncerPushesNothingMoreAndItsFlushesFail() throws Exception {
        try (Region region = Region.builder("abandoned").size(16L * CHUNK).create();
             MemoryChunkStore sink = new MemoryChunkStore(region.layout())) {
            Syncer syncer = new Syncer("abandoned", Trackers.start(region, TrackerKind.AUTO), sink,
                    Duration.ofMillis(1)).start();
            region.segment().set(JAVA_LONG, 0, 1L);
            syncer.flush();
            long pushed = syncer.chunksPushed();
            region.segment().set(JAVA_LONG, CHUNK, 2L);
            syncer.abandon(Duration.ofSeconds(5));
            // Closing after abandoning must not push the write either (a deposed owner's final flush).
            syncer.close();
            assertEquals(pushed, syncer.chunksPushed(), "an abandoned syncer pushed");
            assertEquals(0L, sink.memory().get(JAVA_LONG, CHUNK), "the write after abandon reached the sink");
            assertThrows(IllegalStateException.class, syncer::flush);
        }
    }
}
