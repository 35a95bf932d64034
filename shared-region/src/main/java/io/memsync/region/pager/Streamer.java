package io.memsync.region.pager;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSource;
import io.memsync.region.ChunkStream;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * The pager's background pull as one stream: tells the source once which chunks are missing and in what order, and
 * installs them as they come, back to back, without a round trip per chunk. A fault elsewhere re-aims the stream
 * there (the faulted chunk is fetched on the fault fetchers' links too: whichever comes first is installed); a fault
 * just ahead of the stream waits for it, within a bound ({@link FetchScheduler#DEFER_WINDOW}); chunks that became
 * present meanwhile (faulted in, pushed, or invalidated since they were asked for) are dropped as they come. When the
 * stream has sent everything asked and chunks are still missing, it asks for those; when none is left it ends,
 * and the pullers take over any background work that comes later. A stream that breaks, or whose source does not
 * hold the region whole, hands the work back to the pullers.
 * <p>
 * Threads: none of its own. The stream's receiver callbacks run on the source's reading thread; {@link #faulted}
 * runs on the pager's fault loop and only records where to aim. Nothing is allocated per chunk.
 */
final class Streamer implements ChunkStream.Receiver, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Streamer.class.getName());
    /** A fault at most this many chunks after the last arrived one comes soon anyway (and waits for it): no re-aim. */
    private static final int NEAR_CHUNKS = FetchScheduler.DEFER_WINDOW;
    /** The pause after each streamed chunk while faults wait on links of their own. */
    private static final long YIELD_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    /** Re-aims at most this often. */
    private static final long REAIM_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** Wants in a row that delivered nothing before the stream is given up. */
    private static final int FRUITLESS_WANTS = 3;

    /** A streamed chunk's install. */
    interface Installer {
        /** Installs {@code chunk}, claimed with generation {@code gen}, from {@code memory[offset, +chunkSize)}. */
        void install(int chunk, int gen, MemorySegment memory, long offset);
    }

    private final ChunkLayout layout;
    private final FetchScheduler scheduler;
    private final Installer installer;
    private final Arena arena = Arena.ofShared();
    /** A chunk of zeros, installed for a chunk the source sent as a flag. */
    private final MemorySegment zeros;
    private final int[] ranges;
    private final ChunkStream stream;
    private volatile boolean open = true;
    /** A chunk a thread faulted on, to aim the stream at; -1: none. */
    private volatile int aim = -1;
    private long lastAim;
    private int lastArrived = -1;
    private long lastArrivedAt;
    /** The stream's pace: nanos between chunks, averaged. */
    private long gapNanos;
    private int claimed = -1;
    private int claimedGeneration;
    private long delivered;
    private long dropped;
    private int deliveredThisWant;
    private int fruitless;
    private final long started = System.nanoTime();

    private Streamer(ChunkLayout layout, FetchScheduler scheduler, Installer installer, ChunkSource source)
            throws IOException {
        this.layout = layout;
        this.scheduler = scheduler;
        this.installer = installer;
        this.zeros = arena.allocate(layout.chunkSize(), 4096);
        ChunkStream s = source.openStream(this);
        if (s == null) {
            arena.close();
            throw new UnsupportedOperationException();
        }
        this.stream = s;
        this.ranges = new int[2 * s.maxRanges()];
    }

    /** Starts streaming every missing chunk from {@code source}; null when the source cannot stream. */
    static Streamer start(ChunkLayout layout, FetchScheduler scheduler, Installer installer, ChunkSource source)
            throws IOException {
        Streamer s;
        try {
            s = new Streamer(layout, scheduler, installer, source);
        } catch (UnsupportedOperationException cannot) {
            return null;
        }
        synchronized (s) {
            if (!s.open) {
                s.stream.close();
                return null;
            }
            scheduler.streaming(true);
            s.lastAim = System.nanoTime();
            if (!s.askFrom(0)) {
                return null;
            }
        }
        return s;
    }

    /** On the fault loop: a thread waits for {@code chunk}; the stream turns there if it is not coming soon. */
    void faulted(int chunk) {
        if (open) {
            aim = chunk;
        }
    }

    @Override
    public synchronized boolean wants(int index) {
        if (!open || index < 0 || index >= layout.chunkCount()) {
            return false;
        }
        int gen = scheduler.claimStreamed(index);
        if (gen < 0) {
            dropped++;
            return false;
        }
        claimed = index;
        claimedGeneration = gen;
        return true;
    }

    @Override
    public synchronized void arrived(int index, MemorySegment memory, long offset) {
        if (index != claimed) {
            return;
        }
        claimed = -1;
        installer.install(index, claimedGeneration, memory == null ? zeros : memory, memory == null ? 0 : offset);
        long now = System.nanoTime();
        if (lastArrivedAt != 0) {
            long gap = now - lastArrivedAt;
            gapNanos = gapNanos == 0 ? gap : (7 * gapNanos + gap) / 8;
        }
        lastArrivedAt = now;
        if (scheduler.streamed(index, gapNanos)) {
            // A thread waits on a chunk fetched on its own link: on a busy machine this thread would take the CPU
            // its install needs. Bounded: one pause per streamed chunk.
            java.util.concurrent.locks.LockSupport.parkNanos(YIELD_NANOS);
        }
        delivered++;
        deliveredThisWant++;
        lastArrived = index;
        int a = aim;
        if (a >= 0) {
            boolean near = a > lastArrived && a <= lastArrived + NEAR_CHUNKS;
            if (near) {
                aim = -1;
            } else if (now - lastAim >= REAIM_NANOS) {
                aim = -1;
                lastAim = now;
                // From the faulted chunk on: a fault fetcher may fetch it too (whichever comes first is installed).
                askFrom(a);
            }
        }
    }

    @Override
    public synchronized void drained(int sent, boolean whole) {
        if (!open) {
            return;
        }
        if (!whole) {
            giveUp("its source does not hold the region whole");
            return;
        }
        fruitless = deliveredThisWant == 0 && sent > 0 ? fruitless + 1 : 0;
        if (fruitless >= FRUITLESS_WANTS) {
            giveUp(FRUITLESS_WANTS + " wants in a row delivered nothing");
            return;
        }
        askFrom(lastArrived + 1);
    }

    @Override
    public synchronized void failed(IOException cause) {
        if (claimed >= 0) {
            scheduler.unclaim(claimed, claimedGeneration);
            claimed = -1;
        }
        if (stream == null) {
            // Broken while the constructor opened it: start() sees no stream to aim and gives the work back.
            open = false;
            return;
        }
        giveUp("it broke: " + cause.getMessage());
    }

    /** Asks for every chunk still missing, from {@code start} on; ends the stream when none is. */
    private boolean askFrom(int start) {
        int pairs = scheduler.wantMissing(start, ranges, ranges.length / 2);
        if (pairs == 0) {
            finish();
            return false;
        }
        deliveredThisWant = 0;
        try {
            stream.want(ranges, pairs);
            return true;
        } catch (IOException e) {
            giveUp("asking it for chunks failed: " + e.getMessage());
            return false;
        }
    }

    private void finish() {
        if (stop()) {
            LOG.log(System.Logger.Level.DEBUG, "pager: stream done: " + delivered + " chunks in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms, " + dropped + " dropped");
        }
    }

    private void giveUp(String why) {
        if (stop()) {
            LOG.log(System.Logger.Level.WARNING, "pager: the background stream stopped after " + delivered
                    + " chunks (" + why + "): pullers fetch the rest chunk by chunk");
        }
    }

    /**
     * Ends the stream and gives the background work back to the pullers; false if it had ended already (or, while
     * the constructor opens it, a link broke at once: there is no stream yet).
     */
    private boolean stop() {
        if (!open || stream == null) {
            return false;
        }
        open = false;
        scheduler.streaming(false);
        stream.close();
        return true;
    }

    /** Ends the stream; a chunk claimed and not delivered is fetched another way. */
    @Override
    public synchronized void close() {
        stop();
        if (claimed >= 0) {
            scheduler.unclaim(claimed, claimedGeneration);
            claimed = -1;
        }
        // The zeros buffer is not freed: the source's reader may still be in a callback that installs from it. It
        // goes with the pager's process.
    }
}
