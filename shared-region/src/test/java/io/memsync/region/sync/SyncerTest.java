package io.memsync.region.sync;

import io.memsync.region.track.Trackers;
import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSink;
import io.memsync.region.Region;
import io.memsync.region.store.MemoryChunkStore;
import io.memsync.region.track.DirtyTracker;
import io.memsync.region.track.TrackerKind;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyncerTest {
    private static final int CHUNK = 64 * 1024;

    /** A sink that fails its first {@code failures} writes, then stores, counting what it got. */
    private static final class FlakySink implements ChunkSink {
        final MemoryChunkStore store;
        final AtomicInteger failuresLeft;
        final AtomicInteger writes = new AtomicInteger();
        final AtomicInteger syncs = new AtomicInteger();

        FlakySink(ChunkLayout layout, int failures) {
            store = new MemoryChunkStore(layout);
            failuresLeft = new AtomicInteger(failures);
        }

        @Override
        public ChunkLayout layout() {
            return store.layout();
        }

        @Override
        public void write(int index, MemorySegment source, long offset) throws IOException {
            if (failuresLeft.getAndDecrement() > 0) {
                throw new IOException("replica unreachable (test)");
            }
            writes.incrementAndGet();
            store.write(index, source, offset);
        }

        @Override
        public void sync() {
            syncs.incrementAndGet();
        }
    }

    @Test
    void flushIsABarrierAndPushesOnlyWhatChanged() throws IOException {
        try (Region region = Region.builder("flush").size(32L * CHUNK).create()) {
            FlakySink sink = new FlakySink(region.layout(), 0);
            try (Syncer syncer = new Syncer("flush", Trackers.start(region, TrackerKind.AUTO), sink,
                    Duration.ofHours(1))) {
                region.segment().set(JAVA_LONG, 5L * CHUNK, 55L);
                region.segment().set(JAVA_LONG, 9L * CHUNK, 99L);
                syncer.flush();
                assertEquals(55L, sink.store.memory().get(JAVA_LONG, 5L * CHUNK));
                assertEquals(99L, sink.store.memory().get(JAVA_LONG, 9L * CHUNK));
                assertEquals(2, sink.writes.get());
                assertEquals(1, sink.syncs.get());
                assertEquals(2L * CHUNK, syncer.bytesPushed());
                syncer.flush();
                assertEquals(2, sink.writes.get(), "nothing changed, nothing pushed");
                region.segment().set(JAVA_LONG, 31L * CHUNK, 31L);
            }
            assertEquals(31L, sink.store.memory().get(JAVA_LONG, 31L * CHUNK), "close pushes what is left");
            assertEquals(3, sink.writes.get());
        }
    }

    @Test
    void failedPushesAreRetriedNotLost() throws Exception {
        try (Region region = Region.builder("flaky").size(32L * CHUNK).create()) {
            FlakySink sink = new FlakySink(region.layout(), 3);
            DirtyTracker tracker = Trackers.start(region, TrackerKind.AUTO);
            try (Syncer syncer = new Syncer("flaky", tracker, sink, Duration.ofHours(1))) {
                for (int i = 0; i < 32; i++) {
                    region.segment().set(JAVA_LONG, (long) i * CHUNK, i + 1000L);
                }
                for (int attempt = 0; attempt < 3; attempt++) {
                    IOException e = assertThrows(IOException.class, syncer::flush);
                    assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
                }
                syncer.flush();
                assertEquals(-1, region.segment().mismatch(sink.store.memory()));
                assertEquals(32, sink.writes.get());
            }
        }
    }

    @Test
    void backgroundCyclesPushWithoutAFlushAndCountFailures() throws Exception {
        try (Region region = Region.builder("background").size(8L * CHUNK).create()) {
            FlakySink sink = new FlakySink(region.layout(), 2);
            try (Syncer syncer = new Syncer("bg", Trackers.start(region, TrackerKind.AUTO), sink,
                    Duration.ofMillis(2)).start()) {
                region.segment().set(JAVA_LONG, 3L * CHUNK, 7L);
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (sink.store.memory().get(JAVA_LONG, 3L * CHUNK) != 7L && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertEquals(7L, sink.store.memory().get(JAVA_LONG, 3L * CHUNK), "pushed by the background thread");
                assertEquals(2, syncer.failures());
                assertTrue(syncer.lastFailure().getMessage().contains("unreachable"));
                assertEquals(0, sink.syncs.get(), "background cycles do not sync; flush does");
            }
        }
    }

    @Test
    void mismatchedLayoutsAndSillyIntervalsAreRefused() {
        try (Region region = Region.builder("refuse").size(8L * CHUNK).create();
             MemoryChunkStore other = new MemoryChunkStore(new ChunkLayout(16L * CHUNK, CHUNK))) {
            DirtyTracker tracker = Trackers.start(region, TrackerKind.EXPLICIT);
            assertThrows(IllegalArgumentException.class, () -> new Syncer("x", tracker, other, Duration.ofMillis(1)));
            try (MemoryChunkStore same = new MemoryChunkStore(region.layout())) {
                String m = assertThrows(IllegalArgumentException.class,
                        () -> new Syncer("x", tracker, same, Duration.ofNanos(10))).getMessage();
                assertTrue(m.contains("at least 100 us"), m);
            }
        }
    }
}
