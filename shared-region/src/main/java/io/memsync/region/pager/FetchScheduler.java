package io.memsync.region.pager;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pager's per-chunk state and work order, behind one lock: faulted chunks first, then read-ahead after
 * faults, then every other missing chunk in address order. Allocation-free: rings and arrays sized once.
 * <p>
 * A chunk moves MISSING -> QUEUED -> FETCHING -> INSTALLING -> PRESENT; a generation number, bumped by
 * {@link #beginInvalidate}, makes a fetch that started before an invalidation drop its (stale) bytes.
 */
final class FetchScheduler {
    static final byte MISSING = 0;
    static final byte QUEUED = 1;
    static final byte FETCHING = 2;
    static final byte INSTALLING = 3;
    static final byte PRESENT = 4;
    /** Given up on while threads waited: its pages are poisoned (SIGBUS) until invalidated. */
    static final byte FAILED = 5;
    /** A background fetch failed: left until a fault asks again, so a broken source is not hammered. */
    static final byte BACKOFF = 6;
    static final byte INVALIDATING = 7;
    /**
     * Faults on a present chunk, since its install, taken as stale before it is taken as lost and fetched again,
     * where the caller cannot tell (missing mode): every thread that faulted in the chunk before its install may
     * leave one stale event, so this is well above the threads one chunk can hold up.
     */
    static final int STALE_FAULTS_BEFORE_REFETCH = 256;
    /** A poisoned chunk is fetched again at most this long after its last failure (unless the first wait is longer). */
    static final long RECOVERY_MAX_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition installed = lock.newCondition();
    private final int chunks;
    private final byte[] state;
    private final int[] generation;
    private final long[] faultStart;
    private final short[] staleFaults;
    private final int staleFaultLimit;
    /** For FAILED chunks: when to fetch again, and the wait before that (doubling). */
    private final long[] retryAt;
    private final long[] retryDelay;
    /** The chunk is FAILED (poisoned) and on its way again: a failure leaves it FAILED, no new poison. */
    private final boolean[] recovering;
    private int failed;
    private final long recoveryFirst;
    private final long recoveryMax;
    private final IntRing urgent;
    private final IntRing ahead;
    private final boolean[] inUrgent;
    private final boolean[] inAhead;
    private final int readAhead;
    private int cursor;
    private boolean background = true;
    private boolean stopped;
    /** A stream pulls the background work: pullers take faulted chunks only, and faults queue no read-ahead. */
    private boolean streaming;
    /** Each chunk's generation when it was last asked of the stream ({@link #wantMissing}). */
    private final int[] wantedGeneration;
    /** The chunk the stream should send next (after the last it delivered), or -1; and its pace, nanos a chunk. */
    private int streamNext = -1;
    private long streamGapNanos;
    /**
     * Faulted chunks the stream is about to deliver: left to it until their deadline, then fetched like any fault
     * (a sequential reader just behind the stream's head would otherwise have every chunk fetched twice).
     */
    private final IntRing deferred;
    private final boolean[] inDeferred;
    private final long[] deferUntil;
    /** How far ahead of the stream's position a fault may wait for it, in chunks, and at most how long. */
    static final int DEFER_WINDOW = 256;
    static final long MAX_DEFER_NANOS = TimeUnit.MILLISECONDS.toNanos(4);

    /**
     * @param staleFaultLimit faults on a present chunk after which it is fetched again; 0 when the caller tells
     *                        a stale event from a lost page itself (minor mode maps the page again, or learns
     *                        that the page cache lost it and calls {@link #lost})
     */
    FetchScheduler(int chunks, int readAhead, int staleFaultLimit) {
        this(chunks, readAhead, staleFaultLimit, 0);
    }

    /**
     * @param recoveryNanos first wait before a poisoned chunk is fetched again, doubled after each failure up to
     *                      30 s (or this, if longer); 0: never
     */
    FetchScheduler(int chunks, int readAhead, int staleFaultLimit, long recoveryNanos) {
        this.chunks = chunks;
        this.state = new byte[chunks];
        this.generation = new int[chunks];
        this.faultStart = new long[chunks];
        this.staleFaults = new short[chunks];
        this.staleFaultLimit = staleFaultLimit;
        this.retryAt = new long[chunks];
        this.retryDelay = new long[chunks];
        this.recovering = new boolean[chunks];
        this.recoveryFirst = recoveryNanos;
        this.recoveryMax = Math.max(recoveryNanos, RECOVERY_MAX_NANOS);
        this.urgent = new IntRing(chunks);
        this.ahead = new IntRing(chunks);
        this.inUrgent = new boolean[chunks];
        this.inAhead = new boolean[chunks];
        this.readAhead = readAhead;
        this.wantedGeneration = new int[chunks];
        this.deferred = new IntRing(chunks);
        this.inDeferred = new boolean[chunks];
        this.deferUntil = new long[chunks];
    }

    /** Takes over what the shared bitmap says is present (a new or taking-over pager). */
    void adoptPresent(PagerStatus status) {
        lock.lock();
        try {
            long now = System.nanoTime();
            for (int c = 0; c < chunks; c++) {
                state[c] = status.isPresent(c) ? PRESENT : MISSING;
                int fate = status.fate(c);
                if (fate == PagerStatus.FATE_POISONING) {
                    // The pager before us died while poisoning it: some of its pages may be poisoned.
                    status.changeFate(c, PagerStatus.FATE_POISONING, PagerStatus.FATE_POISONED);
                    fate = PagerStatus.FATE_POISONED;
                }
                if (fate == PagerStatus.FATE_POISONED && state[c] != PRESENT) {
                    fail(c, now);
                    retryAt[c] = now;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A thread faulted in {@code chunk}. Returns true when the chunk is already present (a stale event: the
     * caller wakes the range), false when it is queued or on its way.
     */
    boolean fault(int chunk, long now, boolean withReadAhead) {
        lock.lock();
        try {
            if (state[chunk] != PRESENT) {
                onWait.accept(chunk);
            }
            if (faultStart[chunk] == 0) {
                faultStart[chunk] = now;
                waiters++;
            }
            switch (state[chunk]) {
                case PRESENT -> {
                    // Usually a stale event (the thread faulted just before the install). The same chunk faulting
                    // again and again means its pages are gone from under us: fetch it again.
                    if (staleFaultLimit == 0 || ++staleFaults[chunk] <= staleFaultLimit) {
                        endWait(chunk);
                        return true;
                    }
                    staleFaults[chunk] = 0;
                    state[chunk] = QUEUED;
                    if (queueUrgent(chunk)) {
                        work.signal();
                    }
                }
                case MISSING, BACKOFF, QUEUED -> {
                    state[chunk] = QUEUED;
                    if (!inUrgent[chunk] && deferToStream(chunk, now)) {
                        return false;
                    }
                    if (queueUrgent(chunk)) {
                        work.signal();
                    }
                }
                default -> {
                    // FETCHING or INSTALLING: the install wakes it. INVALIDATING: requeued when it ends.
                }
            }
            if (withReadAhead && !streaming) {
                int end = Math.min(chunks, chunk + 1 + readAhead);
                for (int c = chunk + 1; c < end; c++) {
                    queueAhead(c);
                }
                if (chunk > 0) {
                    queueAhead(chunk - 1);
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Chunks to pull before all others, in order, each once (a replayed working set); empty: none. */
    private int[] first = new int[0];
    /** Whether each chunk is in {@link #first} (null while it is empty): a want asks for those in its first part. */
    private boolean[] isFirst;

    /**
     * Pull {@code chunks} before all others, in this order: a stream asks for them first; with {@code queue}, they are
     * also queued for the pullers ahead of the background order (when no stream runs).
     */
    void pullFirst(int[] chunks, boolean queue) {
        lock.lock();
        try {
            isFirst = new boolean[this.chunks];
            int n = 0;
            int[] once = new int[chunks.length];
            for (int c : chunks) {
                if (!isFirst[c]) {
                    isFirst[c] = true;
                    once[n++] = c;
                }
            }
            first = java.util.Arrays.copyOf(once, n);
            if (queue) {
                for (int c : first) {
                    queueAhead(c);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: nobody waits on {@code chunk} any more. */
    private void endWait(int chunk) {
        if (faultStart[chunk] != 0) {
            faultStart[chunk] = 0;
            waiters--;
        }
    }

    /** Under the lock: puts {@code chunk} in the fault fetchers' queue unless it is there; whether it was added. */
    private boolean queueUrgent(int chunk) {
        if (inUrgent[chunk]) {
            return false;
        }
        inUrgent[chunk] = true;
        urgent.add(chunk);
        return true;
    }

    /** Under the lock: {@code chunk} is missing again; queued for the fault fetchers if a thread waits on it. */
    private void missingAgain(int chunk) {
        state[chunk] = MISSING;
        if (faultStart[chunk] != 0) {
            state[chunk] = QUEUED;
            queueUrgent(chunk);
        }
    }

    /** Under the lock: whether a stream may bring {@code chunk} (not present and not on its way otherwise). */
    private boolean streamable(int chunk) {
        byte s = state[chunk];
        return s == MISSING || s == QUEUED || s == BACKOFF;
    }

    /** Under the lock: whether faulted {@code chunk} waits for the stream, which is about to send it. */
    private boolean deferToStream(int chunk, long now) {
        if (!streaming || streamNext < 0 || chunk < streamNext || chunk - streamNext >= DEFER_WINDOW) {
            return false;
        }
        if (inDeferred[chunk]) {
            return true;
        }
        long wait = (chunk - streamNext + 1L) * Math.max(streamGapNanos, 1_000L) * 2 + 100_000L;
        if (wait > MAX_DEFER_NANOS) {
            return false;
        }
        inDeferred[chunk] = true;
        deferUntil[chunk] = now + wait;
        deferred.add(chunk);
        return true;
    }

    /** Told of each chunk a fault will wait for, under the lock, before it can be fetched: the pager's touch log. */
    private java.util.function.IntConsumer onWait = chunk -> { };

    /** Sets what is told of each chunk a fault waits for (under the scheduler's lock: keep it short). */
    void onWait(java.util.function.IntConsumer listener) {
        this.onWait = listener;
    }

    /** Chunks threads wait on now (a fault start recorded and not ended). */
    private int waiters;

    /**
     * Whether a thread waits on a chunk the stream is not about to deliver: the stream then gives the fault's fetch
     * the CPU first.
     */
    boolean faultsWaiting() {
        lock.lock();
        try {
            return waitingBesidesStream();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: threads wait on chunks other than those left to the stream. */
    private boolean waitingBesidesStream() {
        return waiters > deferred.size();
    }

    /**
     * The stream delivered {@code chunk}, {@code gapNanos} after the one before; returns {@link #faultsWaiting()} (one
     * lock for both, once a chunk).
     */
    boolean streamed(int chunk, long gapNanos) {
        lock.lock();
        try {
            streamNext = chunk + 1;
            streamGapNanos = gapNanos;
            return waitingBesidesStream();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: deferred faults due (or all, {@code all}) become urgent; nanos until the next is due. */
    private long requeueDeferred(long now, boolean all) {
        long next = Long.MAX_VALUE;
        for (int n = deferred.size(); n > 0; n--) {
            int c = deferred.poll();
            if (state[c] != QUEUED) {
                inDeferred[c] = false;
                continue;
            }
            long left = deferUntil[c] - now;
            if (!all && left > 0) {
                deferred.add(c);
                next = Math.min(next, left);
                continue;
            }
            inDeferred[c] = false;
            if (queueUrgent(c)) {
                work.signal();
            }
        }
        return next;
    }

    private void queueAhead(int c) {
        if (state[c] == MISSING && !inAhead[c]) {
            state[c] = QUEUED;
            inAhead[c] = true;
            ahead.add(c);
            work.signal();
        }
    }

    /**
     * The next chunk to fetch, marked FETCHING, or -1 once stopped. Fault fetchers take only faulted chunks;
     * pullers also take read-ahead and background work. Waits at most {@code maxWaitNanos} when there is none.
     */
    int take(boolean puller, long maxWaitNanos) throws InterruptedException {
        lock.lock();
        try {
            long wait = maxWaitNanos;
            while (!stopped) {
                int c = next(puller);
                if (c >= 0) {
                    state[c] = FETCHING;
                    return c;
                }
                if (wait <= 0) {
                    return -2;
                }
                wait = work.awaitNanos(wait);
            }
            return -1;
        } finally {
            lock.unlock();
        }
    }

    private int next(boolean puller) {
        while (!urgent.isEmpty()) {
            int c = urgent.poll();
            inUrgent[c] = false;
            if (state[c] == QUEUED) {
                return c;
            }
        }
        if (!puller) {
            return -1;
        }
        while (!ahead.isEmpty()) {
            int c = ahead.poll();
            inAhead[c] = false;
            if (state[c] == QUEUED) {
                return c;
            }
        }
        if (!background || streaming) {
            return -1;
        }
        for (int scanned = 0; scanned < chunks; scanned++) {
            int c = cursor;
            cursor = cursor + 1 == chunks ? 0 : cursor + 1;
            if (state[c] == MISSING) {
                return c;
            }
        }
        return -1;
    }

    int generation(int chunk) {
        lock.lock();
        try {
            return generation[chunk];
        } finally {
            lock.unlock();
        }
    }

    /** Fetched bytes of generation {@code gen} may be installed: false if the chunk was invalidated since. */
    boolean beginInstall(int chunk, int gen) {
        lock.lock();
        try {
            if (generation[chunk] != gen || state[chunk] != FETCHING) {
                return false;
            }
            state[chunk] = INSTALLING;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The chunk is in place; returns when its first fault happened (0 if none waited). */
    long endInstall(int chunk, PagerStatus status) {
        lock.lock();
        try {
            leaveFailed(chunk, PRESENT);
            staleFaults[chunk] = 0;
            status.setPresent(chunk);
            long start = faultStart[chunk];
            endWait(chunk);
            installed.signalAll();
            return start;
        } finally {
            lock.unlock();
        }
    }

    /** A fetch of generation {@code gen} failed for good; returns true if threads wait (the caller poisons). */
    boolean fetchFailed(int chunk, int gen) {
        lock.lock();
        try {
            if (generation[chunk] != gen || state[chunk] != FETCHING) {
                return false;
            }
            if (recovering[chunk]) {
                fail(chunk, System.nanoTime());
                return false;
            }
            boolean waiters = faultStart[chunk] != 0;
            state[chunk] = waiters ? INSTALLING : BACKOFF;
            return waiters;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Fetching or installing {@code chunk} broke unexpectedly; returns true if threads wait (the caller poisons),
     * otherwise the chunk is missing again and will be tried later.
     */
    boolean installFailed(int chunk) {
        lock.lock();
        try {
            if (state[chunk] != FETCHING && state[chunk] != INSTALLING) {
                return false;
            }
            if (recovering[chunk]) {
                fail(chunk, System.nanoTime());
                installed.signalAll();
                return false;
            }
            boolean waiters = faultStart[chunk] != 0;
            state[chunk] = waiters ? INSTALLING : BACKOFF;
            installed.signalAll();
            return waiters;
        } finally {
            lock.unlock();
        }
    }

    /**
     * After poisoning: the chunk stays FAILED, its pages raising SIGBUS, until a later fetch installs it over the
     * poison ({@link #requeueDue}), its bytes arrive from elsewhere, or it is invalidated.
     */
    void markFailed(int chunk) {
        lock.lock();
        try {
            fail(chunk, System.nanoTime());
            endWait(chunk);
            installed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: FAILED, with the next attempt after the doubled wait. */
    private void fail(int chunk, long now) {
        if (state[chunk] != FAILED) {
            failed++;
        }
        state[chunk] = FAILED;
        recovering[chunk] = false;
        if (recoveryFirst == 0) {
            retryAt[chunk] = Long.MAX_VALUE;
            return;
        }
        long delay = retryDelay[chunk] == 0 ? recoveryFirst : Math.min(recoveryMax, retryDelay[chunk] * 2);
        retryDelay[chunk] = delay;
        retryAt[chunk] = now + delay;
    }

    /** Under the lock: leaves FAILED for {@code next} (its retry schedule reset). */
    private void leaveFailed(int chunk, byte next) {
        if (state[chunk] == FAILED) {
            failed--;
        }
        state[chunk] = next;
        recovering[chunk] = false;
        retryDelay[chunk] = 0;
    }

    /**
     * Queues the poisoned chunks whose next attempt is due (fault fetchers take them first); returns the nanoseconds
     * until the next one is due, or {@link Long#MAX_VALUE} when no chunk is poisoned.
     */
    long requeueDue(long now) {
        lock.lock();
        try {
            long next = deferred.isEmpty() ? Long.MAX_VALUE : requeueDeferred(now, false);
            if (failed == 0 || recoveryFirst == 0) {
                return next;
            }
            for (int c = 0; c < chunks; c++) {
                if (state[c] != FAILED) {
                    continue;
                }
                long wait = retryAt[c] - now;
                if (wait > 0) {
                    next = Math.min(next, wait);
                    continue;
                }
                failed--;
                state[c] = QUEUED;
                recovering[c] = true;
                queueUrgent(c);
                work.signal();
            }
            return next;
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code chunk}, being installed, was poisoned before (its install lifts the poison). */
    boolean isRecovering(int chunk) {
        lock.lock();
        try {
            return recovering[chunk];
        } finally {
            lock.unlock();
        }
    }

    /** A present chunk lost its pages behind the pager's back: it is missing again. */
    void lost(int chunk, PagerStatus status) {
        lock.lock();
        try {
            if (state[chunk] == PRESENT) {
                state[chunk] = MISSING;
                status.clearPresent(chunk);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Chunks threads wait on that are not on their way, for closing: the caller poisons them. */
    int waitingChunks(int[] out) {
        lock.lock();
        try {
            int n = 0;
            for (int c = 0; c < chunks && n < out.length; c++) {
                if (faultStart[c] != 0 && (state[c] == QUEUED || state[c] == FETCHING || state[c] == MISSING)) {
                    state[c] = INSTALLING;
                    out[n++] = c;
                }
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Starts invalidating [from, to): waits out installs in progress, bumps generations (so fetches in flight are
     * dropped) and marks the chunks INVALIDATING, clearing their present bits. The caller then punches the hole
     * and calls {@link #endInvalidate}.
     */
    void beginInvalidate(int from, int to, PagerStatus status) throws InterruptedException {
        lock.lock();
        try {
            for (int c = from; c < to; c++) {
                while (state[c] == INSTALLING) {
                    installed.await(10, TimeUnit.MILLISECONDS);
                }
                generation[c]++;
                leaveFailed(c, INVALIDATING);
                status.clearPresent(c);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The hole is punched: the chunks are missing again; those faulted meanwhile are queued. */
    void endInvalidate(int from, int to) {
        lock.lock();
        try {
            for (int c = from; c < to; c++) {
                missingAgain(c);
            }
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A stream takes over the background work (pullers then fetch faulted chunks only, and faults queue no read-ahead:
     * the stream is aimed at them instead), or gives it back.
     */
    void streaming(boolean on) {
        lock.lock();
        try {
            streaming = on;
            if (!on) {
                streamNext = -1;
                requeueDeferred(0, true);
            }
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Fills {@code ranges} with at most {@code maxPairs} ranges {@code [from, to)} of the chunks a stream should send,
     * in order from {@code start} (wrapping around): those not present and not on their way. Records each one's
     * generation, so that bytes sent before an invalidation are dropped. Returns the number of ranges.
     */
    int wantMissing(int start, int[] ranges, int maxPairs) {
        lock.lock();
        try {
            int from = Math.floorMod(start, Math.max(1, chunks));
            int pairs = collectFirst(ranges, maxPairs);
            pairs = collect(from, chunks, ranges, pairs, maxPairs);
            return collect(0, from, ranges, pairs, maxPairs);
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: the pull-first chunks still wanted, consecutive ones as one range. */
    private int collectFirst(int[] ranges, int maxPairs) {
        int pairs = 0;
        for (int c : first) {
            if (pairs >= maxPairs) {
                break;
            }
            if (!streamable(c)) {
                continue;
            }
            wantedGeneration[c] = generation[c];
            if (pairs > 0 && ranges[2 * pairs - 1] == c) {
                ranges[2 * pairs - 1] = c + 1;
            } else {
                ranges[2 * pairs] = c;
                ranges[2 * pairs + 1] = c + 1;
                pairs++;
            }
        }
        return pairs;
    }

    private int collect(int lo, int hi, int[] ranges, int pairs, int maxPairs) {
        int open = -1;
        for (int c = lo; c < hi && pairs < maxPairs; c++) {
            // A pull-first chunk was asked for in the want's first part (or, cut short there, is in the next want's).
            boolean wanted = streamable(c) && (isFirst == null || !isFirst[c]);
            if (wanted) {
                wantedGeneration[c] = generation[c];
                if (open < 0) {
                    open = c;
                }
            } else if (open >= 0) {
                ranges[2 * pairs] = open;
                ranges[2 * pairs + 1] = c;
                pairs++;
                open = -1;
            }
        }
        if (open >= 0 && pairs < maxPairs) {
            ranges[2 * pairs] = open;
            ranges[2 * pairs + 1] = hi;
            pairs++;
        }
        return pairs;
    }

    /**
     * A streamed chunk arrives: returns its generation, the chunk now FETCHING (the caller installs it), or -1 when
     * it is no longer wanted (present, on its way another way, invalidated since it was asked for).
     */
    int claimStreamed(int chunk) {
        lock.lock();
        try {
            if (streamable(chunk) && generation[chunk] == wantedGeneration[chunk]) {
                state[chunk] = FETCHING;
                return generation[chunk];
            }
            return -1;
        } finally {
            lock.unlock();
        }
    }

    /** A claimed streamed chunk did not arrive whole (the stream broke): fetched another way. */
    void unclaim(int chunk, int gen) {
        lock.lock();
        try {
            if (state[chunk] != FETCHING || generation[chunk] != gen) {
                return;
            }
            missingAgain(chunk);
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Stops or resumes background pulling (closing stops it; faults are still served). */
    void background(boolean on) {
        lock.lock();
        try {
            background = on;
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void stop() {
        lock.lock();
        try {
            stopped = true;
            work.signalAll();
            installed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A fixed-capacity FIFO of chunk indexes. */
    private static final class IntRing {
        private final int[] items;
        private int head;
        private int size;

        IntRing(int capacity) {
            items = new int[Math.max(1, capacity)];
        }

        void add(int v) {
            if (size == items.length) {
                throw new IllegalStateException("ring full: a chunk was queued twice");
            }
            items[(head + size) % items.length] = v;
            size++;
        }

        int poll() {
            int v = items[head];
            head = (head + 1) % items.length;
            size--;
            return v;
        }

        boolean isEmpty() {
            return size == 0;
        }

        int size() {
            return size;
        }
    }
}
