package io.memsync.cluster.wire;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSink;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * A {@link ChunkSink} that pushes an owner's chunks to its replicas over {@link PeerLink}s, straight from the
 * memory the syncer hands it. {@link #sync()} is the flush barrier: it ends the current epoch and returns once a
 * quorum of replicas acknowledged it, having applied every chunk sent before; it fails naming who did not.
 */
public final class ReplicaSink implements ChunkSink {
    private final ChunkLayout layout;
    private final int regionId;
    private final LongSupplier token;
    private volatile List<PeerLink> replicas;
    private volatile int quorum;
    private final Duration ackTimeout;
    private long epoch;
    private MemorySegment windowed;
    private ByteBuffer[] windows;
    private int chunksPerWindow;

    /**
     * @param token      the owner's fencing token, read for every frame (it changes when ownership moves)
     * @param quorum     replicas that must acknowledge an epoch for {@link #sync()} to succeed
     * @param ackTimeout how long {@link #sync()} waits for them
     */
    public ReplicaSink(ChunkLayout layout, int regionId, LongSupplier token, List<PeerLink> replicas, int quorum,
                       Duration ackTimeout) {
        if (quorum < 0 || quorum > replicas.size()) {
            throw new IllegalArgumentException("quorum " + quorum + " is outside [0, " + replicas.size()
                    + "] replicas");
        }
        this.layout = layout;
        this.regionId = regionId;
        this.token = token;
        this.replicas = List.copyOf(replicas);
        this.quorum = quorum;
        this.ackTimeout = ackTimeout;
    }

    @Override
    public ChunkLayout layout() {
        return layout;
    }

    /**
     * Pushes to {@code next} from now on, with a quorum of all of them (replicas re-placed by the owner); the
     * caller sends a new replica the whole region.
     */
    public void replicas(List<PeerLink> next) {
        replicas = List.copyOf(next);
        quorum = next.size();
    }

    /** The links pushed to now. */
    public List<PeerLink> replicas() {
        return replicas;
    }

    /** The last epoch ended by {@link #sync()}. */
    public long epoch() {
        return epoch;
    }

    @Override
    public void write(int index, MemorySegment source, long offset) throws IOException {
        layout.checkChunk(index);
        ByteBuffer payload = window(source, offset);
        int position = payload.position();
        long t = token.getAsLong();
        List<PeerLink> links = replicas;
        int quorum = this.quorum;
        int sent = 0;
        IOException last = null;
        for (PeerLink link : links) {
            if (link.failure() != null) {
                continue;
            }
            payload.position(position);
            try {
                link.sendChunk(regionId, t, epoch + 1, index, payload);
                sent++;
            } catch (IOException e) {
                last = e;
            }
        }
        if (sent < quorum) {
            throw new IOException("chunk " + index + " of region " + regionId + " reached " + sent + " of "
                    + links.size() + " replicas, quorum " + quorum
                    + (last != null ? ": " + last.getMessage() : ""), last);
        }
    }

    /** A buffer over {@code source[offset, offset + chunkSize)}, from views built once per source segment. */
    private ByteBuffer window(MemorySegment source, long offset) {
        if (source != windowed) {
            long span = Math.max(layout.chunkSize(), 1L << 30);
            int count = (int) ((source.byteSize() + span - 1) / span);
            windows = new ByteBuffer[count];
            for (int w = 0; w < count; w++) {
                long start = w * span;
                windows[w] = source.asSlice(start, Math.min(span, source.byteSize() - start)).asByteBuffer();
            }
            chunksPerWindow = (int) (span / layout.chunkSize());
            windowed = source;
        }
        long span = (long) chunksPerWindow * layout.chunkSize();
        ByteBuffer w = windows[(int) (offset / span)];
        int position = (int) (offset % span);
        w.limit(position + layout.chunkSize()).position(position);
        return w;
    }

    @Override
    public void sync() throws IOException {
        long ending = ++epoch;
        long t = token.getAsLong();
        List<PeerLink> links = replicas;
        int quorum = this.quorum;
        for (PeerLink link : links) {
            if (link.failure() == null) {
                try {
                    link.sendEpochEnd(regionId, t, ending);
                } catch (IOException e) {
                    // Counted below as a replica that did not acknowledge.
                }
            }
        }
        long deadline = System.nanoTime() + ackTimeout.toNanos();
        int acks = 0;
        StringBuilder missing = new StringBuilder();
        for (PeerLink link : links) {
            if (link.awaitAck(regionId, ending, deadline)) {
                acks++;
            } else {
                missing.append(missing.isEmpty() ? "" : ", ").append(link.peer())
                        .append(link.failure() != null ? " (" + link.failure().getMessage() + ")" : " (no answer)");
            }
        }
        if (acks < quorum) {
            throw new IOException("flush of region " + regionId + ": " + acks + " of " + links.size()
                    + " replicas acknowledged epoch " + ending + " within " + ackTimeout.toMillis()
                    + " ms, the quorum is " + quorum + "; missing: " + missing);
        }
    }
}
