package io.memsync.region.pager;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The memory a lazy region's application and its pagers share to see each other's state without a message: a
 * header of counters, a fault-latency histogram, one bit per chunk that is present and one fate per chunk (poisoned,
 * or arrived from elsewhere: {@link #fate}). It lives in its own memfd,
 * which is never registered with userfaultfd, so reading it can never block. Every access is atomic; nothing is
 * allocated.
 */
public final class PagerStatus {
    static final long MAGIC = 0x6d656d73796e6370L;
    static final long VERSION = 3;

    /** Lifecycle in {@link #state()}. */
    public static final long STARTING = 0;
    public static final long SERVING = 1;
    public static final long CLOSING = 2;
    public static final long STOPPED = 3;

    private static final long OFF_MAGIC = 0;
    private static final long OFF_VERSION = 8;
    private static final long OFF_CHUNKS = 16;
    private static final long OFF_STATE = 24;
    private static final long OFF_ACTIVE_PID = 32;
    private static final long OFF_STANDBY_PID = 40;
    private static final long OFF_FAULTS = 48;
    private static final long OFF_FAULTS_SERVED = 56;
    private static final long OFF_CHUNKS_INSTALLED = 64;
    private static final long OFF_BYTES_INSTALLED = 72;
    private static final long OFF_FETCH_FAILURES = 80;
    private static final long OFF_CHUNKS_POISONED = 88;
    private static final long OFF_RACES_LOST = 96;
    private static final long OFF_FAULT_NANOS_TOTAL = 104;
    private static final long OFF_FAULT_NANOS_MAX = 112;
    private static final long OFF_PRESENT = 120;
    private static final long OFF_TAKEOVERS = 128;
    private static final long OFF_INVALIDATED = 136;
    private static final long OFF_RECOVERED = 144;
    /** Entries in the touch log: chunks first read on demand, in that order (may pass the chunk count). */
    private static final long OFF_TOUCHES = 152;
    /** Entries in the pull-first list the application wrote before the pager started. */
    private static final long OFF_PULL_FIRST = 160;
    /** Histogram of fault service times: 8 buckets per power of two of nanoseconds (about 9 % wide each). */
    private static final long OFF_HISTOGRAM = 512;
    private static final int SUB_BUCKET_BITS = 3;
    private static final int BUCKETS = 64 << SUB_BUCKET_BITS;
    private static final long OFF_BITMAP = OFF_HISTOGRAM + BUCKETS * 8L;

    private static final VarHandle LONG = JAVA_LONG.varHandle();
    private static final VarHandle INT = JAVA_INT.varHandle();

    /** A chunk's fate, beside its present bit: nothing special. */
    public static final int FATE_NONE = 0;
    /** The pager is poisoning the chunk's missing pages (for microseconds). */
    public static final int FATE_POISONING = 1;
    /** The chunk's missing pages are poisoned: reading them raises SIGBUS until they are fetched or arrive. */
    public static final int FATE_POISONED = 2;
    /** The chunk's bytes arrived from elsewhere (a push): the pager neither fetches nor poisons it. */
    public static final int FATE_ARRIVED = 3;

    private final MemorySegment memory;
    private final int chunkCount;
    private final long fates;
    private final long touchLog;
    private final long pullFirstList;

    private PagerStatus(MemorySegment memory, int chunkCount) {
        this.memory = memory;
        this.chunkCount = chunkCount;
        this.fates = fatesOffset(chunkCount);
        this.touchLog = fates + chunkCount * 4L;
        this.pullFirstList = touchLog + chunkCount * 4L;
    }

    private static long fatesOffset(int chunkCount) {
        return OFF_BITMAP + ((chunkCount + 63L) >>> 6) * 8;
    }

    /** Bytes the status of a region of {@code chunkCount} chunks needs, rounded up to whole pages. */
    public static long bytesFor(int chunkCount) {
        // The fates, the touch log and the pull-first list: an int per chunk each.
        long bytes = fatesOffset(chunkCount) + chunkCount * 12L;
        return (bytes + 4095) & ~4095L;
    }

    /** Formats fresh, zeroed status memory. */
    public static PagerStatus format(MemorySegment memory, int chunkCount) {
        check(memory, chunkCount);
        memory.fill((byte) 0);
        memory.set(JAVA_LONG, OFF_CHUNKS, chunkCount);
        memory.set(JAVA_LONG, OFF_VERSION, VERSION);
        LONG.setRelease(memory, OFF_MAGIC, MAGIC);
        return new PagerStatus(memory, chunkCount);
    }

    /** Attaches to status memory another process formatted. */
    public static PagerStatus attach(MemorySegment memory, int chunkCount) {
        check(memory, chunkCount);
        if ((long) LONG.getAcquire(memory, OFF_MAGIC) != MAGIC || memory.get(JAVA_LONG, OFF_VERSION) != VERSION
                || memory.get(JAVA_LONG, OFF_CHUNKS) != chunkCount) {
            throw new IllegalArgumentException("not the status of a region of " + chunkCount + " chunks (magic "
                    + Long.toHexString(memory.get(JAVA_LONG, OFF_MAGIC)) + ", version "
                    + memory.get(JAVA_LONG, OFF_VERSION) + ", chunks " + memory.get(JAVA_LONG, OFF_CHUNKS) + ")");
        }
        return new PagerStatus(memory, chunkCount);
    }

    private static void check(MemorySegment memory, int chunkCount) {
        if (memory.byteSize() < bytesFor(chunkCount)) {
            throw new IllegalArgumentException("status memory of " + memory.byteSize() + " bytes is smaller than the "
                    + bytesFor(chunkCount) + " a region of " + chunkCount + " chunks needs");
        }
    }

    public int chunkCount() {
        return chunkCount;
    }

    // ---- working set: the touch log and the pull-first list ----------------------------------------------------

    /** The pager: {@code chunk} was read on demand before it was present (its first touch); logged once per chunk. */
    void recordTouch(int chunk) {
        long n = (long) LONG.getAndAdd(memory, OFF_TOUCHES, 1L);
        if (n < chunkCount) {
            INT.setRelease(memory, touchLog + n * 4, chunk);
        }
    }

    /** Chunks read on demand before they were present, in the order of their first touch (the working set). */
    public int[] touchOrder() {
        int n = (int) Math.min(chunkCount, (long) LONG.getVolatile(memory, OFF_TOUCHES));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (int) INT.getAcquire(memory, touchLog + i * 4L);
        }
        return out;
    }

    /** On-demand first touches so far: chunks the application had to wait for. */
    public long touches() {
        return (long) LONG.getVolatile(memory, OFF_TOUCHES);
    }

    /**
     * The application, before its pager starts: pull these chunks first, in this order (a recorded working set, or
     * what it will need first). Chunks outside the region are refused; at most one entry per chunk is kept.
     */
    public void pullFirst(int[] chunks) {
        int n = 0;
        java.util.BitSet seen = new java.util.BitSet(chunkCount);
        for (int c : chunks) {
            if (c < 0 || c >= chunkCount) {
                throw new IllegalArgumentException("pull-first chunk " + c + " is outside [0, " + chunkCount + ")");
            }
            if (!seen.get(c)) {
                seen.set(c);
                memory.set(JAVA_INT, pullFirstList + n * 4L, c);
                n++;
            }
        }
        LONG.setRelease(memory, OFF_PULL_FIRST, (long) n);
    }

    /** The pull-first list the application gave, in order. */
    public int[] pullFirstList() {
        int n = (int) Math.min(chunkCount, (long) LONG.getAcquire(memory, OFF_PULL_FIRST));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = memory.get(JAVA_INT, pullFirstList + i * 4L);
        }
        return out;
    }

    // ---- present bitmap ------------------------------------------------------------------------------------

    public boolean isPresent(int chunk) {
        long word = (long) LONG.getVolatile(memory, OFF_BITMAP + ((long) (chunk >>> 6) << 3));
        return (word & (1L << chunk)) != 0;
    }

    /** Marks {@code chunk} present; returns false if it already was. */
    boolean setPresent(int chunk) {
        long old = (long) LONG.getAndBitwiseOr(memory, OFF_BITMAP + ((long) (chunk >>> 6) << 3), 1L << chunk);
        if ((old & (1L << chunk)) == 0) {
            LONG.getAndAdd(memory, OFF_PRESENT, 1L);
            return true;
        }
        return false;
    }

    /** Marks {@code chunk} missing; returns false if it already was. */
    boolean clearPresent(int chunk) {
        long old = (long) LONG.getAndBitwiseAnd(memory, OFF_BITMAP + ((long) (chunk >>> 6) << 3), ~(1L << chunk));
        if ((old & (1L << chunk)) != 0) {
            LONG.getAndAdd(memory, OFF_PRESENT, -1L);
            return true;
        }
        return false;
    }

    /** Chunks present now. */
    public long presentChunks() {
        return (long) LONG.getVolatile(memory, OFF_PRESENT);
    }

    /**
     * Present chunks over all chunks, from 0 to 1. A chunk counts once its install completed; a thread may read it
     * a few microseconds earlier, never later than a fault on it returns.
     */
    public double availability() {
        return presentChunks() / (double) chunkCount;
    }

    // ---- fates: poisoned and arrived chunks, shared by the pager and the application ------------------------

    /** {@code chunk}'s fate: {@link #FATE_NONE}, {@link #FATE_POISONING}, {@link #FATE_POISONED} or {@link #FATE_ARRIVED}. */
    public int fate(int chunk) {
        return (int) INT.getVolatile(memory, fates + chunk * 4L);
    }

    /** Moves {@code chunk}'s fate from {@code expected} to {@code fate}; false if it was not {@code expected}. */
    public boolean changeFate(int chunk, int expected, int fate) {
        return INT.compareAndSet(memory, fates + chunk * 4L, expected, fate);
    }

    /**
     * The application wrote {@code chunk}'s current bytes into the shmem and its mapping shows them: moves its fate
     * from {@code from} to {@link #FATE_ARRIVED} and counts it present, after which the pager neither fetches nor
     * poisons it. False, and nothing changes, if the fate was not {@code from}.
     */
    public boolean arrive(int chunk, int from) {
        if (!changeFate(chunk, from, FATE_ARRIVED)) {
            return false;
        }
        setPresent(chunk);
        return true;
    }

    void resetFate(int chunk) {
        INT.setVolatile(memory, fates + chunk * 4L, FATE_NONE);
    }

    // ---- state and counters --------------------------------------------------------------------------------

    public long state() {
        return (long) LONG.getVolatile(memory, OFF_STATE);
    }

    void state(long state) {
        LONG.setVolatile(memory, OFF_STATE, state);
    }

    /** The pid of the pager serving faults now, 0 before the first is ready. */
    public long activePagerPid() {
        return (long) LONG.getVolatile(memory, OFF_ACTIVE_PID);
    }

    void activePagerPid(long pid) {
        LONG.setVolatile(memory, OFF_ACTIVE_PID, pid);
    }

    /** The pid of the standby pager, 0 when there is none. */
    public long standbyPagerPid() {
        return (long) LONG.getVolatile(memory, OFF_STANDBY_PID);
    }

    void standbyPagerPid(long pid) {
        LONG.setVolatile(memory, OFF_STANDBY_PID, pid);
    }

    /** Fault events the pagers read (a thread touching a missing page). */
    public long faults() {
        return get(OFF_FAULTS);
    }

    /** Chunk installs that woke at least one faulting thread. */
    public long faultsServed() {
        return get(OFF_FAULTS_SERVED);
    }

    public long chunksInstalled() {
        return get(OFF_CHUNKS_INSTALLED);
    }

    public long bytesInstalled() {
        return get(OFF_BYTES_INSTALLED);
    }

    /** Source reads that failed (each retried, up to the configured count). */
    public long fetchFailures() {
        return get(OFF_FETCH_FAILURES);
    }

    /** Chunks given up on while threads waited: those threads got SIGBUS ({@code InternalError} in Java). */
    public long chunksPoisoned() {
        return get(OFF_CHUNKS_POISONED);
    }

    /** Installs that found the chunk already present (a fault and a puller raced; normal). */
    public long racesLost() {
        return get(OFF_RACES_LOST);
    }

    /** Times a standby pager took over from a dead one. */
    public long takeovers() {
        return get(OFF_TAKEOVERS);
    }

    public long chunksInvalidated() {
        return get(OFF_INVALIDATED);
    }

    /** Poisoned chunks the pager fetched and installed later, once the source delivered (none lost). */
    public long chunksRecovered() {
        return get(OFF_RECOVERED);
    }

    /** Mean time from a fault event to the install of its chunk, in nanoseconds (0 before any). */
    public long meanFaultNanos() {
        long served = faultsServed();
        return served == 0 ? 0 : get(OFF_FAULT_NANOS_TOTAL) / served;
    }

    public long maxFaultNanos() {
        return get(OFF_FAULT_NANOS_MAX);
    }

    /**
     * The {@code percentile} (0-100) of fault service times in nanoseconds, as the upper edge of its histogram
     * bucket (within about 9 %); 0 before any fault was served.
     */
    public long faultNanosPercentile(double percentile) {
        long total = 0;
        for (int b = 0; b < BUCKETS; b++) {
            total += get(OFF_HISTOGRAM + b * 8L);
        }
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(percentile / 100.0 * total);
        long seen = 0;
        for (int b = 0; b < BUCKETS; b++) {
            seen += get(OFF_HISTOGRAM + b * 8L);
            if (seen >= Math.max(1, rank)) {
                return bucketUpperEdge(b);
            }
        }
        return maxFaultNanos();
    }

    void countFaults(long n) {
        add(OFF_FAULTS, n);
    }

    void countInstall(long bytes) {
        add(OFF_CHUNKS_INSTALLED, 1);
        add(OFF_BYTES_INSTALLED, bytes);
    }

    void countFetchFailure() {
        add(OFF_FETCH_FAILURES, 1);
    }

    void countPoisoned() {
        add(OFF_CHUNKS_POISONED, 1);
    }

    void countRaceLost() {
        add(OFF_RACES_LOST, 1);
    }

    void countTakeover() {
        add(OFF_TAKEOVERS, 1);
    }

    void countRecovered() {
        add(OFF_RECOVERED, 1);
    }

    void countInvalidated(long n) {
        add(OFF_INVALIDATED, n);
    }

    /** Records one served fault that took {@code nanos}. */
    void recordFault(long nanos) {
        add(OFF_FAULTS_SERVED, 1);
        add(OFF_FAULT_NANOS_TOTAL, nanos);
        long max;
        do {
            max = get(OFF_FAULT_NANOS_MAX);
        } while (nanos > max && !LONG.compareAndSet(memory, OFF_FAULT_NANOS_MAX, max, nanos));
        add(OFF_HISTOGRAM + bucketOf(nanos) * 8L, 1);
    }

    static int bucketOf(long nanos) {
        long v = Math.max(nanos, 1);
        int exponent = 63 - Long.numberOfLeadingZeros(v);
        if (exponent < SUB_BUCKET_BITS) {
            return (int) v;
        }
        int mantissa = (int) ((v >>> (exponent - SUB_BUCKET_BITS)) & ((1 << SUB_BUCKET_BITS) - 1));
        return Math.min(BUCKETS - 1, ((exponent - SUB_BUCKET_BITS + 1) << SUB_BUCKET_BITS) + mantissa);
    }

    static long bucketUpperEdge(int bucket) {
        if (bucket < (1 << SUB_BUCKET_BITS)) {
            return bucket;
        }
        int exponent = (bucket >>> SUB_BUCKET_BITS) + SUB_BUCKET_BITS - 1;
        long mantissa = bucket & ((1 << SUB_BUCKET_BITS) - 1);
        long base = 1L << exponent;
        return base + ((mantissa + 1) << (exponent - SUB_BUCKET_BITS)) - 1;
    }

    private long get(long offset) {
        return (long) LONG.getVolatile(memory, offset);
    }

    private void add(long offset, long n) {
        LONG.getAndAdd(memory, offset, n);
    }
}
