package io.memsync.region.sync;

import io.memsync.region.track.Trackers;
import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSink;
import io.memsync.region.Region;
import io.memsync.region.track.TrackerKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a display reads per chunk: pending while a push is under way, pushed recently for about a second after. */
@Timeout(30)
class SyncerChunkStatesTest {
    private static final int CHUNK = 64 * 1024;

    @Test
    void pendingWhileStuckInThePushThenRecentlyPushedThenNeither() throws Exception {
        CountDownLatch inWrite = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Region region = Region.builder("states").size(8L * CHUNK).create()) {
            ChunkSink sink = new ChunkSink() {
                @Override
                public ChunkLayout layout() {
                    return region.layout();
                }

                @Override
                public void write(int index, MemorySegment source, long offset) throws InterruptedIOException {
                    if (index == 5) {
                        inWrite.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            throw new InterruptedIOException();
                        }
                    }
                }
            };
            // One hour between background cycles: only the flushes below push.
            try (Syncer syncer = new Syncer("states", Trackers.start(region, TrackerKind.AUTO), sink,
                    Duration.ofHours(1)).start()) {
                region.segment().set(JAVA_LONG, 2L * CHUNK, 1L);
                region.segment().set(JAVA_LONG, 5L * CHUNK, 1L);
                region.segment().set(JAVA_LONG, 6L * CHUNK, 1L);
                Thread flusher = Thread.ofPlatform().start(() -> {
                    try {
                        syncer.flush();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                try {
                    assertTrue(inWrite.await(10, TimeUnit.SECONDS), "the flush never reached chunk 5");
                    assertFalse(syncer.isPending(2), "chunk 2 is pushed, not pending");
                    assertTrue(syncer.pushedRecently(2));
                    assertTrue(syncer.isPending(5) && syncer.isPending(6), "chunks 5 and 6 are not pushed yet");
                    assertFalse(syncer.pushedRecently(6));
                    assertFalse(syncer.isPending(0) || syncer.pushedRecently(0), "chunk 0 was never written");
                } finally {
                    release.countDown(); // else close() waits for the stuck push forever
                }
                flusher.join(10_000);
                for (int i : new int[]{2, 5, 6}) {
                    assertFalse(syncer.isPending(i), "chunk " + i);
                    assertTrue(syncer.pushedRecently(i), "chunk " + i);
                }
                Thread.sleep(1600);
                for (int i : new int[]{2, 5, 6}) {
                    assertFalse(syncer.pushedRecently(i), "chunk " + i + " was pushed more than 1.5 s ago");
                }
            }
        }
    }
}
