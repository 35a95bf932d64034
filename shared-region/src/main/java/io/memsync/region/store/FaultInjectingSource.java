package io.memsync.region.store;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A source that delays and fails reads of another, on purpose: for tests and benchmarks of what happens when a
 * backend is slow or broken (this kernel has no netem). Thread-safe.
 */
public final class FaultInjectingSource implements ChunkSource {
    private final ChunkSource inner;
    private final long delayNanos;
    private final long failFirst;
    private final boolean failAlways;
    private final long failFromChunk;
    private final AtomicLong reads = new AtomicLong();

    /**
     * @param delayNanos added before every read
     * @param failFirst  the first this-many reads fail with an IOException
     * @param failAlways every read fails
     */
    public FaultInjectingSource(ChunkSource inner, long delayNanos, long failFirst, boolean failAlways) {
        this(inner, delayNanos, failFirst, failAlways, Long.MAX_VALUE);
    }

    /** As above, and every read of a chunk at or after index {@code failFromChunk} fails. */
    public FaultInjectingSource(ChunkSource inner, long delayNanos, long failFirst, boolean failAlways,
                                long failFromChunk) {
        if (delayNanos < 0 || failFirst < 0 || failFromChunk < 0) {
            throw new IllegalArgumentException("delay and failure count must not be negative");
        }
        this.inner = inner;
        this.delayNanos = delayNanos;
        this.failFirst = failFirst;
        this.failAlways = failAlways;
        this.failFromChunk = failFromChunk;
    }

    @Override
    public ChunkLayout layout() {
        return inner.layout();
    }

    @Override
    public void read(int index, MemorySegment destination, long offset) throws IOException {
        long n = reads.incrementAndGet();
        if (delayNanos > 0) {
            long deadline = System.nanoTime() + delayNanos;
            for (long left = delayNanos; left > 0; left = deadline - System.nanoTime()) {
                LockSupport.parkNanos(left);
            }
        }
        if (failAlways || n <= failFirst || index >= failFromChunk) {
            throw new IOException("injected failure of read " + n + " (chunk " + index + ")");
        }
        inner.read(index, destination, offset);
    }

    ChunkSource innerForClose() {
        return inner;
    }

    /** Reads attempted so far. */
    public long reads() {
        return reads.get();
    }

    @Override
    public String toString() {
        return inner + " delayed " + TimeUnit.NANOSECONDS.toMicros(delayNanos) + " us"
                + (failAlways ? ", failing always" : failFirst > 0 ? ", failing the first " + failFirst : "");
    }
}
