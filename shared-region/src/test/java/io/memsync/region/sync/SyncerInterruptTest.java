package io.memsync.region.sync;

import io.memsync.region.track.Trackers;
import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSink;
import io.memsync.region.Region;
import io.memsync.region.track.TrackerKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interrupting a thread that waits in {@code flush()} ends its wait and nothing else: the sink is never written to
 * from an interrupted thread (a socket channel closes when the thread writing to it is interrupted, and a cluster
 * sink would lose every replica link and refill them all), and the flush's chunks still go out.
 */
@Timeout(60)
class SyncerInterruptTest {
    private static final int CHUNK = 64 * 1024;

    /** A sink that holds its first write until released, and notes whether any call came on an interrupted thread. */
    private static final class GatedSink implements ChunkSink {
        final ChunkLayout layout;
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicBoolean sawInterrupt = new AtomicBoolean();
        final AtomicReference<Thread> writer = new AtomicReference<>();
        volatile int written;
        volatile int syncs;

        GatedSink(ChunkLayout layout) {
            this.layout = layout;
        }

        @Override
        public ChunkLayout layout() {
            return layout;
        }

        @Override
        public void write(int index, MemorySegment source, long offset) throws IOException {
            writer.set(Thread.currentThread());
            entered.countDown();
            try {
                // Uninterruptibly, as a blocking socket write is not: it notes an interrupt instead.
                while (!release.await(10, TimeUnit.MILLISECONDS)) {
                    if (Thread.currentThread().isInterrupted()) {
                        sawInterrupt.set(true);
                    }
                }
            } catch (InterruptedException e) {
                sawInterrupt.set(true);
                Thread.currentThread().interrupt();
            }
            if (Thread.currentThread().isInterrupted()) {
                sawInterrupt.set(true);
            }
            written++;
        }

        @Override
        public void sync() {
            if (Thread.currentThread().isInterrupted()) {
                sawInterrupt.set(true);
            }
            syncs++;
        }
    }

    @Test
    void anInterruptedFlushEndsTheWaitNotThePush() throws Exception {
        try (Region region = Region.builder("interrupted").size(8L * CHUNK).create()) {
            GatedSink sink = new GatedSink(region.layout());
            // A long interval: only the flush pushes.
            try (Syncer syncer = new Syncer("interrupted", Trackers.start(region, TrackerKind.AUTO), sink,
                    Duration.ofSeconds(60)).start()) {
                region.segment().set(JAVA_LONG, 0, 42L);
                try {
                    interruptAFlush(syncer, sink, region);
                } finally {
                    // Whatever failed above, the syncer can close.
                    sink.release.countDown();
                }
            }
        }
    }

    private static void interruptAFlush(Syncer syncer, GatedSink sink, Region region) throws Exception {
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread flusher = Thread.ofPlatform().name("flusher").start(() -> {
            try {
                syncer.flush();
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        assertTrue(sink.entered.await(10, TimeUnit.SECONDS), "the flush never reached the sink");
        assertFalse(sink.writer.get() == flusher, "the sink was written on the caller's thread");
        flusher.interrupt();
        flusher.join(10_000);
        assertFalse(flusher.isAlive(), "the interrupted flush did not return");
        assertNotNull(outcome.get(), "an interrupted flush must not report success");
        assertTrue(outcome.get() instanceof InterruptedIOException, String.valueOf(outcome.get()));
        sink.release.countDown();
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); sink.syncs == 0; ) {
            assertTrue(System.nanoTime() < end, "the flush did not go on after its caller gave up");
            Thread.sleep(5);
        }
        assertEquals(1, sink.written);
        assertFalse(sink.sawInterrupt.get(), "the sink was called on an interrupted thread");
        // A flush after that works as ever.
        region.segment().set(JAVA_LONG, CHUNK, 43L);
        syncer.flush();
        assertEquals(2, sink.written);
    }
}
