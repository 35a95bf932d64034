package io.memsync.cluster.wire;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongFunction;

/**
 * The server's side of one connection's stream: sends the chunks the latest {@code STREAM_WANT} asked for, back to
 * back and in its order, then a {@code STREAM_END}. A new want replaces what the one before still had to send (the
 * puller re-aims it). Flow control is TCP's: a puller that reads slowly blocks this sender, nobody else.
 * <p>
 * Threads: one, {@code memsync-data-stream-PEER}, started by the first want and stopped by {@link #close()} (the
 * connection's end); the connection's own thread reads the wants and answers single requests meanwhile, and every
 * write to the connection takes the connection's write lock. Each chunk is copied whole under the region's lock (never
 * torn by a concurrent apply) into this sender's staging memory, off-heap; an all-zero chunk goes as a flag without
 * its bytes. Nothing is allocated per chunk. While the server answers single requests (faults, on their own
 * connections), the stream pauses briefly before each chunk, so that on a busy machine a fault's answer goes first.
 * A want that accepts LZ4 gets chunks compressed while {@link CompressionPolicy} finds that it pays on this link
 * (and the block saves at least a sixteenth of the chunk); the others go as they are.
 */
final class StreamSender implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(StreamSender.class.getName());

    private final FramedChannel c;
    private final ReentrantLock writes;
    private final String peer;
    private final LongFunction<ServedRegion> regions;
    private final AtomicLong served;
    private final AtomicLong streamed;
    private final java.util.concurrent.atomic.AtomicInteger requestsAnswering;
    /** The pause before a streamed chunk while the server answers single requests (faults). */
    private static final long YIELD_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wanted = lock.newCondition();
    /** The current want: ranges as pairs [from, to), and where the sender is in them. Under {@link #lock}. */
    private final int[] ranges = new int[2 * Protocol.MAX_WANT_PAIRS];
    /** A want as it is read, before it replaces {@link #ranges} (the connection thread's). */
    private final int[] incoming = new int[2 * Protocol.MAX_WANT_PAIRS];
    private int pairs;
    private int pair;
    private int next;
    private long want = -1;
    private long region;
    /** Whether the current want takes LZ4 chunks. Under {@link #lock}. */
    private boolean lz4;
    private int sent;
    private boolean ended = true;
    private final ByteBuffer header = ByteBuffer.allocateDirect(Protocol.STREAM_WANT_FIELDS);
    private Thread thread;
    private volatile boolean closed;
    private final Arena arena = Arena.ofShared();
    private MemorySegment staging;
    private ByteBuffer stagingBuffer;
    private MemorySegment zeros;
    /** Where a chunk is compressed to (sender thread's), and whether compressing pays on this link. */
    private ByteBuffer compressedBuffer;
    private final CompressionPolicy policy = new CompressionPolicy();
    private final AtomicLong compressedChunks;
    private final AtomicLong bytesSaved;

    StreamSender(FramedChannel c, ReentrantLock writes, String peer, LongFunction<ServedRegion> regions,
                 AtomicLong served, AtomicLong streamed, java.util.concurrent.atomic.AtomicInteger requestsAnswering,
                 AtomicLong compressedChunks, AtomicLong bytesSaved) {
        this.compressedChunks = compressedChunks;
        this.bytesSaved = bytesSaved;
        this.c = c;
        this.writes = writes;
        this.peer = peer;
        this.regions = regions;
        this.served = served;
        this.streamed = streamed;
        this.requestsAnswering = requestsAnswering;
    }

    /** On the connection's thread: reads a STREAM_WANT's body (after its header) and aims the stream at it. */
    void readWant(int bodyBytes) throws IOException {
        if (bodyBytes < Protocol.STREAM_WANT_FIELDS) {
            throw new ProtocolException(Protocol.E_MALFORMED, "STREAM_WANT frame of " + bodyBytes + " bytes");
        }
        ByteBuffer f = c.readFields(Protocol.STREAM_WANT_FIELDS);
        long id = f.getLong();
        long regionId = f.getLong();
        int count = f.getInt();
        int accepts = f.getInt();
        if (count < 0 || count > Protocol.MAX_WANT_PAIRS || bodyBytes != Protocol.STREAM_WANT_FIELDS + 8 * count) {
            throw new ProtocolException(Protocol.E_MALFORMED, "STREAM_WANT of " + count + " ranges in " + bodyBytes
                    + " bytes (at most " + Protocol.MAX_WANT_PAIRS + " ranges)");
        }
        ServedRegion r = regions.apply(regionId);
        int chunks = r == null ? Integer.MAX_VALUE : r.layout().chunkCount();
        // Read whole before the stream is re-aimed: the sender never waits on a want still arriving.
        for (int i = 0; i < count; i++) {
            header.clear().limit(8);
            c.readFully(header);
            int from = header.getInt(0);
            int to = header.getInt(4);
            if (from < 0 || to < from || to > chunks) {
                throw new ProtocolException(Protocol.E_BAD_INDEX, "STREAM_WANT range [" + from + ", " + to
                        + ") of region " + Long.toHexString(regionId) + " is outside [0, " + chunks + ")");
            }
            incoming[2 * i] = from;
            incoming[2 * i + 1] = to;
        }
        lock.lock();
        try {
            System.arraycopy(incoming, 0, ranges, 0, 2 * count);
            want = id;
            region = regionId;
            lz4 = (accepts & Protocol.STREAM_LZ4) != 0;
            pairs = count;
            pair = 0;
            next = count > 0 ? ranges[0] : 0;
            sent = 0;
            ended = false;
            if (thread == null && !closed) {
                thread = Thread.ofPlatform().name("memsync-data-stream-" + peer).daemon(true).start(this::run);
            }
            wanted.signal();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        try {
            while (!closed) {
                long id;
                long regionId;
                int index;
                int count;
                boolean compress;
                lock.lock();
                try {
                    while (ended && !closed) {
                        wanted.await(1, TimeUnit.SECONDS);
                    }
                    if (closed) {
                        return;
                    }
                    while (pair < pairs && next >= ranges[2 * pair + 1]) {
                        pair++;
                        next = pair < pairs ? ranges[2 * pair] : 0;
                    }
                    id = want;
                    regionId = region;
                    compress = lz4;
                    count = sent;
                    if (pair >= pairs) {
                        ended = true;
                        index = -1;
                    } else {
                        index = next++;
                        sent++;
                    }
                } finally {
                    lock.unlock();
                }
                if (index < 0) {
                    end(id, regionId, count, 0);
                    continue;
                }
                ServedRegion r = regions.apply(regionId);
                if (r == null || !r.servesPulls()) {
                    lock.lock();
                    try {
                        if (want == id) {
                            ended = true;
                        }
                    } finally {
                        lock.unlock();
                    }
                    end(id, regionId, count, r == null ? Protocol.NOT_HELD_UNKNOWN_REGION
                            : Protocol.NOT_HELD_INCOMPLETE);
                    if (r != null) {
                        r.countRefusedPull();
                    }
                    continue;
                }
                send(id, r, index, compress);
            }
        } catch (InterruptedException e) {
            // Closing.
        } catch (IOException e) {
            if (!closed) {
                LOG.log(System.Logger.Level.DEBUG, "data server: the stream to " + peer + " ended: " + e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "data server: the stream to " + peer + " failed: " + e);
        }
    }

    private void send(long id, ServedRegion r, int index, boolean lz4) throws IOException {
        if (requestsAnswering.get() > 0) {
            // A fault's request is answered on another connection: it goes first (bounded: one pause a chunk).
            java.util.concurrent.locks.LockSupport.parkNanos(YIELD_NANOS);
        }
        int chunkSize = r.layout().chunkSize();
        if (staging == null || staging.byteSize() < chunkSize) {
            staging = arena.allocate(chunkSize, 4096);
            stagingBuffer = staging.asByteBuffer();
            zeros = arena.allocate(chunkSize, 4096);
            compressedBuffer = arena.allocate(Lz4.maxCompressedLength(chunkSize), 4096).asByteBuffer();
        }
        r.copyChunk(index, staging);
        boolean zero = MemorySegment.mismatch(staging, 0, chunkSize, zeros, 0, chunkSize) == -1;
        ByteBuffer payload = zero ? null : stagingBuffer;
        int flags = zero ? Protocol.STREAM_ZERO : 0;
        int bytes = zero ? 0 : chunkSize;
        if (!zero && lz4 && policy.shouldCompress()) {
            long start = System.nanoTime();
            int n = Lz4.compress(stagingBuffer.clear(), chunkSize, compressedBuffer);
            policy.compressed(chunkSize, n < 0 ? chunkSize : n, System.nanoTime() - start);
            if (CompressionPolicy.smallEnough(chunkSize, n)) {
                payload = compressedBuffer.clear().limit(n);
                flags = Protocol.STREAM_LZ4;
                bytes = n;
                compressedChunks.incrementAndGet();
                bytesSaved.addAndGet(chunkSize - n);
            }
        }
        if (payload == stagingBuffer) {
            stagingBuffer.clear().limit(chunkSize);
        }
        long start = System.nanoTime();
        writes.lock();
        try {
            c.begin(Protocol.STREAM_CHUNK, Protocol.STREAM_CHUNK_FIELDS + bytes).putLong(id)
                    .putLong(r.id()).putInt(index).put((byte) flags).flip();
            c.writeFrame(payload);
        } finally {
            writes.unlock();
        }
        if (lz4 && !zero) {
            policy.wrote(Protocol.STREAM_CHUNK_FIELDS + bytes, System.nanoTime() - start);
        }
        served.incrementAndGet();
        streamed.incrementAndGet();
    }

    private void end(long id, long regionId, int count, int reason) throws IOException {
        writes.lock();
        try {
            c.begin(Protocol.STREAM_END, Protocol.STREAM_END_FIELDS).putLong(id).putLong(regionId).putInt(count)
                    .putShort((short) reason).flip();
            c.writeFrame(null);
        } finally {
            writes.unlock();
        }
    }

    @Override
    public void close() {
        Thread t;
        lock.lock();
        try {
            closed = true;
            t = thread;
            wanted.signalAll();
        } finally {
            lock.unlock();
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (t == null || !t.isAlive()) {
            arena.close();
        }
    }
}
