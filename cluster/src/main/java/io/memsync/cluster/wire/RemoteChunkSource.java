package io.memsync.cluster.wire;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link ChunkSource} that pulls chunks from peers serving the region (the owner or any replica), spreading
 * requests over them in turn and trying the next when one fails. Thread-safe: concurrent reads pipeline. It owns
 * its links: {@link #close()} closes them.
 */
public final class RemoteChunkSource implements ChunkSource, AutoCloseable {
    private final ChunkLayout layout;
    private final int regionId;
    private final List<PeerLink> peers;
    private final Duration timeout;
    private final AtomicInteger next = new AtomicInteger();
    private final boolean inOrder;

    /** A source spreading reads over {@code peers}. */
    public RemoteChunkSource(ChunkLayout layout, int regionId, List<PeerLink> peers, Duration timeout) {
        this(layout, regionId, peers, timeout, false);
    }

    /**
     * @param inOrder read from the first peer whose link works, the next only when it fails: for a copy that must
     *                come from one peer while it is live (a migration's source, whose memory is ahead of replicas)
     */
    public RemoteChunkSource(ChunkLayout layout, int regionId, List<PeerLink> peers, Duration timeout,
                             boolean inOrder) {
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("a remote source needs at least one peer");
        }
        this.layout = layout;
        this.regionId = regionId;
        this.peers = List.copyOf(peers);
        this.timeout = timeout;
        this.inOrder = inOrder;
    }

    @Override
    public ChunkLayout layout() {
        return layout;
    }

    @Override
    public void read(int index, MemorySegment destination, long offset) throws IOException {
        layout.checkChunk(index);
        int first = inOrder ? 0 : Math.floorMod(next.getAndIncrement(), peers.size());
        IOException last = null;
        for (int i = 0; i < peers.size(); i++) {
            PeerLink link = peers.get((first + i) % peers.size());
            if (link.failure() != null) {
                continue;
            }
            try {
                link.request(regionId, index, destination, offset, layout.chunkSize(), timeout);
                return;
            } catch (IOException e) {
                last = e;
            }
        }
        throw new IOException("no peer delivered chunk " + index + " of region " + regionId
                + (last != null ? ": " + last.getMessage() : ": every link is closed"), last);
    }

    /** Closes every link; reads in flight fail. */
    @Override
    public void close() {
        for (PeerLink link : peers) {
            link.close();
        }
    }
}
