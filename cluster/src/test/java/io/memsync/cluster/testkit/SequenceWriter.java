package io.memsync.cluster.testkit;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.Node;
import io.memsync.cluster.OwnershipListener;
import io.memsync.cluster.WriterControl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A workload whose every write can be replayed, for proving that a region moved between nodes lost nothing: write
 * {@code k} puts a value derived from {@code k} at a place derived from {@code k} (outside chunk 0), then stores
 * {@code k + 1} in the first 8 bytes of chunk 0. The writer's whole state is that counter, in the region, so the
 * node that owns the region next continues the sequence where the last one stopped, and {@link #expected} rebuilds
 * what the region must hold after any number of writes.
 * <p>
 * It writes at a steady rate on its own thread while this node owns the region, pauses for a migration's handover
 * ({@link WriterControl}), stops when ownership is lost, and starts again when it is gained.
 */
final class SequenceWriter implements WriterControl, OwnershipListener {
    private final Node node;
    private final String name;
    private final long writesPerSecond;
    private volatile boolean paused;
    private volatile boolean parked;
    private volatile boolean stopped;
    private volatile Thread thread;
    private volatile long gainedAtNanos;
    private volatile long resumedAtNanos;
    private volatile Throwable failure;

    SequenceWriter(Node node, String name, long writesPerSecond) {
        if (writesPerSecond < 1) {
            throw new IllegalArgumentException("write rate " + writesPerSecond + " is below 1 per second");
        }
        this.node = node;
        this.name = name;
        this.writesPerSecond = writesPerSecond;
    }

    /** Registers with the node and starts writing if the region is owned here (else when it is). */
    SequenceWriter start() {
        node.writerControl(name, this);
        node.addOwnershipListener(this);
        ClusterRegion r = node.region(name);
        if (r != null && r.isOwner()) {
            launch(r);
        }
        return this;
    }

    private synchronized void launch(ClusterRegion region) {
        if (stopped || (thread != null && thread.isAlive())) {
            return;
        }
        paused = false;
        thread = Thread.ofPlatform().name("memsync-sequence-writer-" + name).daemon(true)
                .start(() -> run(region.segment(), region.size() / region.chunkCount(), region.chunkCount()));
    }

    @Override
    public void gained(ClusterRegion region) {
        if (region.name().equals(name)) {
            gainedAtNanos = System.nanoTime();
            resumedAtNanos = 0;
            launch(region);
        }
    }

    @Override
    public void lost(String region, String newOwner, long token) {
        // The writer's view throws from now on; the thread ends at its next write.
        if (region.equals(name)) {
            LockSupport.unpark(thread);
        }
    }

    @Override
    public void pause() throws InterruptedException {
        paused = true;
        Thread t = thread;
        while (t != null && t.isAlive() && !parked) {
            Thread.onSpinWait();
            if (Thread.interrupted()) {
                throw new InterruptedException("pausing the writer of " + name);
            }
        }
    }

    @Override
    public void resume() {
        paused = false;
        LockSupport.unpark(thread);
    }

    /** Stops writing for good and waits for the thread. */
    void stop() throws InterruptedException {
        stopped = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
            t.join(10_000);
        }
    }

    /** When this node last gained the region, and when its first write after that happened (0: not yet). */
    long gainedAtNanos() {
        return gainedAtNanos;
    }

    long resumedAtNanos() {
        return resumedAtNanos;
    }

    Throwable failure() {
        return failure;
    }

    private void run(MemorySegment m, long chunkSize, int chunks) {
        long periodNanos = 1_000_000;
        double perPeriod = writesPerSecond / 1000.0;
        double credit = 0;
        long next = System.nanoTime();
        try {
            while (!stopped) {
                if (paused) {
                    parked = true;
                    LockSupport.parkNanos(this, 1_000_000);
                    continue;
                }
                parked = false;
                credit += perPeriod;
                while (credit >= 1 && !paused && !stopped) {
                    long k = m.get(JAVA_LONG, 0);
                    apply(m, k, chunkSize, chunks);
                    m.set(JAVA_LONG, 0, k + 1);
                    if (resumedAtNanos == 0) {
                        resumedAtNanos = System.nanoTime();
                    }
                    credit -= 1;
                }
                next += periodNanos;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(this, wait);
                } else if (wait < -100 * periodNanos) {
                    next = System.nanoTime();
                }
            }
        } catch (IllegalStateException revoked) {
            // This node lost the region: its view was revoked. The next owner goes on from the counter.
        } catch (Throwable e) {
            failure = e;
        } finally {
            parked = true;
        }
    }

    /** Write {@code k}: one long at a place derived from {@code k}, outside chunk 0. */
    static void apply(MemorySegment m, long k, long chunkSize, int chunks) {
        long h = mix(k);
        long chunk = 1 + Long.remainderUnsigned(h, chunks - 1);
        long slot = Long.remainderUnsigned(mix(h ^ 0x5851F42D4C957F2DL), chunkSize / 8);
        m.set(JAVA_LONG, chunk * chunkSize + slot * 8, mix(k ^ 0x9E3779B97F4A7C15L));
    }

    /** CRC32C of what a region of {@code size} bytes holds after writes [0, count) from zeros. */
    static long expected(long size, long chunkSize, long count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(size, 4096);
            int chunks = (int) (size / chunkSize);
            for (long k = 0; k < count; k++) {
                apply(m, k, chunkSize, chunks);
            }
            m.set(JAVA_LONG, 0, count);
            CRC32C crc = new CRC32C();
            for (long o = 0; o < size; o += 1L << 30) {
                crc.update(m.asSlice(o, Math.min(1L << 30, size - o)).asByteBuffer());
            }
            return crc.getValue();
        }
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
