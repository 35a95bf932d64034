package io.memsync.cluster.wire;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSource;
import io.memsync.region.ChunkStream;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link ChunkSource} that pulls chunks from peers serving the region (the owner or any replica), spreading
 * requests over them in turn and trying the next when one fails or answers that it does not hold the chunk for
 * sure ({@code NOT_HELD}: a replica being filled). When no peer holds a chunk for sure, it asks again, with a
 * growing pause, for up to 5 s: fills end and handovers complete. A peer whose link broke is
 * reconnected (at most once a second) when it was given as an address. Thread-safe: concurrent reads pipeline. It
 * owns its links: {@link #close()} closes them.
 */
public final class RemoteChunkSource implements ChunkSource, AutoCloseable {
    /** Opens a link to one peer. */
    public interface Connector {
        PeerLink connect() throws IOException;
    }

    private static final long RECONNECT_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long FIRST_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    private static final long MAX_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /**
     * How long a read waits for some peer to hold a chunk for sure: a thread faulting on it holds up every safepoint
     * of its JVM meanwhile (and with them its heartbeats), so this is short; the pager retries and, if it must,
     * fails the access rather than the node.
     */
    private static final long HELD_NOWHERE_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** One peer: its link now, and how to open a new one. */
    private static final class Peer {
        final Connector connector;
        volatile PeerLink link;
        volatile long reconnectAt;

        Peer(PeerLink link, Connector connector) {
            this.link = link;
            this.connector = connector;
            this.reconnectAt = System.nanoTime();
        }
    }

    private final ChunkLayout layout;
    private final long regionId;
    private final Peer[] peers;
    private final Duration timeout;
    private final AtomicInteger next = new AtomicInteger();
    private final boolean inOrder;
    private volatile boolean closed;
    private volatile boolean streams = true;
    private volatile boolean compression = true;
    private final AutoCloseable owned;

    /** A source spreading reads over {@code links}, which are not reopened when they break. */
    public RemoteChunkSource(ChunkLayout layout, long regionId, List<PeerLink> links, Duration timeout) {
        this(layout, regionId, links, timeout, false);
    }

    /**
     * @param inOrder read from the first peer whose link works, the next only when it fails: for a copy that must
     *                come from one peer while it is live (a migration's source, whose memory is ahead of replicas)
     */
    public RemoteChunkSource(ChunkLayout layout, long regionId, List<PeerLink> links, Duration timeout,
                             boolean inOrder) {
        this(layout, regionId, links, List.of(), timeout, inOrder, null);
    }

    /**
     * A source over {@code links} (opened already; the entries of a peer that could not be reached now are null),
     * each reopened through the connector at the same position when it breaks; {@code owned}, if not null, is
     * closed with the source (the watchdog of its links, say).
     */
    public RemoteChunkSource(ChunkLayout layout, long regionId, List<PeerLink> links, List<Connector> connectors,
                             Duration timeout, boolean inOrder, AutoCloseable owned) {
        if (links.isEmpty()) {
            throw new IllegalArgumentException("a remote source needs at least one peer");
        }
        if (!connectors.isEmpty() && connectors.size() != links.size()) {
            throw new IllegalArgumentException(links.size() + " links but " + connectors.size() + " connectors");
        }
        this.layout = layout;
        this.regionId = regionId;
        this.peers = new Peer[links.size()];
        for (int i = 0; i < peers.length; i++) {
            peers[i] = new Peer(links.get(i), connectors.isEmpty() ? null : connectors.get(i));
        }
        this.timeout = timeout;
        this.inOrder = inOrder;
        this.owned = owned;
    }

    @Override
    public ChunkLayout layout() {
        return layout;
    }

    @Override
    public void read(int index, MemorySegment destination, long offset) throws IOException {
        layout.checkChunk(index);
        long deadline = System.nanoTime() + Math.min(timeout.toNanos(), HELD_NOWHERE_NANOS);
        long pause = FIRST_RETRY_NANOS;
        while (true) {
            int first = inOrder ? 0 : Math.floorMod(next.getAndIncrement(), peers.length);
            IOException last = null;
            boolean heldNowhere = false;
            for (int i = 0; i < peers.length; i++) {
                PeerLink link = usable(peers[(first + i) % peers.length]);
                if (link == null) {
                    continue;
                }
                try {
                    link.request(regionId, index, destination, offset, layout.chunkSize(), timeout);
                    return;
                } catch (ChunkNotHeldException e) {
                    heldNowhere = true;
                    last = e;
                } catch (IOException e) {
                    last = e;
                }
            }
            long left = deadline - System.nanoTime();
            if (!heldNowhere || left <= 0 || closed) {
                throw new IOException("no peer delivered chunk " + index + " of region " + Long.toHexString(regionId)
                        + (last != null ? ": " + last.getMessage() : ": every link is closed"), last);
            }
            // Some peer is up but not sure of its copy (a fill or a handover under way): ask again shortly.
            LockSupport.parkNanos(Math.min(pause, left));
            pause = Math.min(MAX_RETRY_NANOS, pause * 2);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for a peer holding chunk " + index);
            }
        }
    }

    /**
     * Opens a stream on a link of its own (so that single reads, a fault's, never wait behind it) to the first peer
     * that can be reached, in the order given; null when no peer was given with a way to connect.
     */
    @Override
    public ChunkStream openStream(ChunkStream.Receiver receiver) throws IOException {
        if (!streams) {
            return null;
        }
        IOException last = null;
        for (Peer p : peers) {
            if (p.connector == null || closed) {
                continue;
            }
            try {
                PeerLink link = p.connector.connect();
                return new Stream(link, receiver);
            } catch (IOException e) {
                last = e;
            }
        }
        if (last != null) {
            throw new IOException("no peer of region " + Long.toHexString(regionId) + " could be reached for a stream: "
                    + last.getMessage(), last);
        }
        return null;
    }

    /** Whether {@link #openStream} opens streams (true) or returns null, so that readers pull chunk by chunk. */
    public RemoteChunkSource streams(boolean on) {
        this.streams = on;
        return this;
    }

    /**
     * Whether streams take LZ4 chunks (true, the default: the peer sends them while compressing pays on the link) or
     * plain bytes only.
     */
    public RemoteChunkSource compression(boolean on) {
        this.compression = on;
        return this;
    }

    /** A stream on one link of its own. */
    private final class Stream implements ChunkStream {
        private final PeerLink link;
        private final java.nio.ByteBuffer scratch = java.nio.ByteBuffer.allocateDirect(8 * Protocol.MAX_WANT_PAIRS);
        private long wants;

        Stream(PeerLink link, ChunkStream.Receiver receiver) {
            this.link = link;
            link.receiveStream(receiver);
        }

        @Override
        public synchronized void want(int[] ranges, int pairs) throws IOException {
            link.sendWant(++wants, regionId, compression ? Protocol.STREAM_LZ4 : 0, ranges, pairs, scratch);
        }

        @Override
        public int maxRanges() {
            return Protocol.MAX_WANT_PAIRS;
        }

        @Override
        public void close() {
            link.receiveStream(null);
            link.close();
        }
    }

    /** The peer's working link, reopening a broken one at most once a second; null if none works now. */
    private PeerLink usable(Peer peer) {
        PeerLink link = peer.link;
        if (link != null && link.failure() == null) {
            return link;
        }
        if (peer.connector == null || closed || System.nanoTime() - peer.reconnectAt < 0) {
            return null;
        }
        synchronized (peer) {
            link = peer.link;
            if (link != null && link.failure() == null) {
                return link;
            }
            if (System.nanoTime() - peer.reconnectAt < 0) {
                return null;
            }
            peer.reconnectAt = System.nanoTime() + RECONNECT_NANOS;
            try {
                PeerLink fresh = peer.connector.connect();
                if (closed) {
                    fresh.close();
                    return null;
                }
                peer.link = fresh;
                return fresh;
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }

    /** Closes every link (and what the source owns); reads in flight fail. */
    @Override
    public void close() {
        closed = true;
        for (Peer p : peers) {
            synchronized (p) {
                PeerLink link = p.link;
                if (link != null) {
                    link.close();
                }
            }
        }
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                // Closing is all there is to do.
            }
        }
    }
}
