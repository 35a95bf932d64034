package io.memsync.region.pager;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSource;
import io.memsync.region.linux.Errno;
import io.memsync.region.linux.LibC;
import io.memsync.region.linux.LinuxException;
import io.memsync.region.linux.Userfaultfd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Serves an application's missing-page faults from a {@link ChunkSource}; runs in a pager process, never in the
 * application's JVM (see {@link io.memsync.region.page.LazyRegion} for why). One thread reads fault events and queues their chunks; it
 * never waits on the source. Fetcher threads read chunks and install them into the application's mapping with
 * UFFDIO_COPY, which also wakes every thread waiting on them; pullers do the same for chunks nobody asked for
 * yet, read-ahead of recent faults first. Counters, the latency histogram and the present bitmap go to the shared
 * {@link PagerStatus}.
 * <p>
 * A chunk the source cannot deliver after the configured retries is poisoned if a thread waits on it: that
 * thread gets SIGBUS, which the JVM turns into an {@code InternalError} at the access. It never sees zeros.
 */
final class Pager {
    private static final System.Logger LOG = System.getLogger(Pager.class.getName());
    private static final int MESSAGES_PER_READ = 128;
    /** Indexes in the fault loop's pollfd array. */
    private static final long UFFD = 0;
    private static final long WAKE_FD = 1;
    private static final long APP_PIDFD = 2;

    private final ChunkLayout layout;
    private final PagerArguments.Settings settings;
    private final int uffd;
    private final int memfd;
    private final long base;
    private final PagerStatus status;
    private final ChunkSource source;
    private final FetchScheduler scheduler;
    private final int wakeFd;
    private final int appPidfd;
    private final List<Thread> fetchers = new ArrayList<>();
    private final InstallMethod method;
    /** For {@link InstallMethod#MAP}: the pager's own mapping of the memfd, written directly; else null. */
    private final MemorySegment shmem;
    private final Arena shmemArena;
    private volatile boolean running = true;
    private volatile long closeDeadline;
    /** The background pull as one stream, while the source streams and it runs; else null. */
    private volatile Streamer streamer;
    /** Chunks whose first touch is in the status's touch log (the fault loop's). */
    private final boolean[] touched;

    Pager(ChunkLayout layout, PagerArguments.Settings settings, int uffd, int memfd, long base, PagerStatus status,
          ChunkSource source, int appPidfd) {
        this.layout = layout;
        this.settings = settings;
        this.uffd = uffd;
        this.memfd = memfd;
        this.base = base;
        this.status = status;
        this.source = source;
        this.appPidfd = appPidfd;
        this.method = settings.install();
        this.scheduler = new FetchScheduler(layout.chunkCount(), settings.readAhead(),
                method.needsMinor() ? 0 : FetchScheduler.STALE_FAULTS_BEFORE_REFETCH, settings.recovery().toNanos());
        this.wakeFd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        this.touched = new boolean[layout.chunkCount()];
        // Recorded under the scheduler's lock, before the chunk can be fetched and the thread woken: whoever reads the
        // touch count after its read returned counts this touch (recorded after, it raced the install).
        scheduler.onWait(this::firstTouch);
        if (method == InstallMethod.MAP) {
            long size = layout.regionSize();
            long address = LibC.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, memfd, 0);
            this.shmemArena = Arena.ofShared();
            this.shmem = MemorySegment.ofAddress(address).reinterpret(size, shmemArena,
                    s -> LibC.munmap(s.address(), size));
        } else {
            this.shmemArena = null;
            this.shmem = null;
        }
    }

    /** Starts the fetchers; faults are read by {@link #serveFaults()} on the caller's thread. */
    void start(boolean takingOver) {
        scheduler.adoptPresent(status);
        if (takingOver) {
            // A fault the dead pager read but did not resolve is gone from the queue: wake every waiter so that
            // each faults again and this pager reads a fresh event.
            Userfaultfd.wake(uffd, base, layout.regionSize());
        }
        for (int i = 0; i < settings.faultFetchers(); i++) {
            fetchers.add(Thread.ofPlatform().name("pager-fault-fetcher-" + i).daemon(true)
                    .start(() -> fetchLoop(false)));
        }
        int[] first = status.pullFirstList();
        if (first.length > 0) {
            scheduler.pullFirst(first, false);
        }
        if (settings.pullers() > 0) {
            try {
                streamer = Streamer.start(layout, scheduler, this::installCaught, source);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "pager: no background stream (" + e.getMessage()
                        + "): pullers fetch chunk by chunk");
            }
        }
        if (first.length > 0 && streamer == null) {
            scheduler.pullFirst(first, true);
        }
        for (int i = 0; i < settings.pullers(); i++) {
            fetchers.add(Thread.ofPlatform().name("pager-puller-" + i).daemon(true).start(() -> fetchLoop(true)));
        }
        status.state(PagerStatus.SERVING);
    }

    /** Reads fault events until {@link #stop()} or the application's exit; returns why it stopped. */
    String serveFaults() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment messages = arena.allocate(Userfaultfd.UFFD_MSG, MESSAGES_PER_READ);
            MemorySegment pollfds = arena.allocate(LibC.POLLFD, 3);
            MemorySegment counter = arena.allocate(JAVA_LONG);
            int[] fds = {uffd, wakeFd, appPidfd};
            for (int i = 0; i < fds.length; i++) {
                LibC.POLLFD_FD.set(pollfds, 0L, (long) i, fds[i]);
                LibC.POLLFD_EVENTS.set(pollfds, 0L, (long) i, LibC.POLLIN);
            }
            int[] waiting = new int[layout.chunkCount()];
            while (running) {
                for (int i = 0; i < fds.length; i++) {
                    LibC.POLLFD_REVENTS.set(pollfds, 0L, (long) i, (short) 0);
                }
                long deadline = closeDeadline;
                long now = System.nanoTime();
                // Poisoned chunks due for another attempt go to the fault fetchers; the poll wakes for the next.
                long wait = scheduler.requeueDue(now);
                if (deadline != 0) {
                    wait = Math.min(wait, deadline - now);
                }
                int timeout = wait == Long.MAX_VALUE ? -1
                        : (int) Math.min(Integer.MAX_VALUE, Math.max(0, TimeUnit.NANOSECONDS.toMillis(wait) + 1));
                int ready = LibC.poll(pollfds, fds.length, timeout);
                if (deadline != 0 && System.nanoTime() - deadline >= 0) {
                    failWaiters(waiting);
                    closeDeadline = 0;
                }
                if (ready <= 0) {
                    continue;
                }
                if ((revents(pollfds, APP_PIDFD) & LibC.POLLIN) != 0) {
                    return "the application exited";
                }
                if ((revents(pollfds, WAKE_FD) & LibC.POLLIN) != 0) {
                    LibC.read(wakeFd, counter, counter.byteSize());
                }
                if ((revents(pollfds, UFFD) & (LibC.POLLIN | LibC.POLLERR | LibC.POLLHUP)) != 0) {
                    readFaults(messages);
                }
            }
            return "stopped";
        }
    }

    private static short revents(MemorySegment pollfds, long index) {
        return (short) LibC.POLLFD_REVENTS.get(pollfds, 0L, index);
    }

    private void readFaults(MemorySegment messages) {
        long n = LibC.read(uffd, messages, messages.byteSize());
        if (n <= 0) {
            return;
        }
        long now = System.nanoTime();
        int count = (int) (n / Userfaultfd.UFFD_MSG.byteSize());
        status.countFaults(count);
        boolean readAhead = settings.pullers() > 0;
        for (int i = 0; i < count; i++) {
            if ((byte) Userfaultfd.UFFD_MSG_EVENT.get(messages, 0L, (long) i) != Userfaultfd.EVENT_PAGEFAULT) {
                continue;
            }
            long address = (long) Userfaultfd.UFFD_MSG_ADDRESS.get(messages, 0L, (long) i);
            long relative = address - base;
            if (relative < 0 || relative >= layout.regionSize()) {
                continue;
            }
            int chunk = layout.chunkOf(relative);
            if (scheduler.fault(chunk, now, readAhead)) {
                refault(chunk, address & -LibC.pageSize(), now, readAhead);
            } else {
                Streamer s = streamer;
                if (s != null) {
                    s.faulted(chunk);
                }
            }
        }
    }

    /** The application waits for {@code chunk}: its first touch, in the working set's order (the fault loop's). */
    private void firstTouch(int chunk) {
        if (!touched[chunk]) {
            touched[chunk] = true;
            status.recordTouch(chunk);
        }
    }

    /**
     * A fault in a chunk already present: usually a stale event (the install woke the thread already), but the
     * page may also have lost its mapping here (MADV_DONTNEED) while staying in the shmem. Map it again (MINOR
     * mode), or, if the shmem lost it too, fetch the chunk again.
     */
    private void refault(int chunk, long page, long now, boolean readAhead) {
        if (!method.needsMinor()) {
            Userfaultfd.wake(uffd, page, LibC.pageSize());
            return;
        }
        try {
            Userfaultfd.continueMissing(uffd, page, LibC.pageSize(), 0);
            Userfaultfd.wake(uffd, page, LibC.pageSize());
        } catch (LinuxException e) {
            LOG.log(System.Logger.Level.WARNING, "pager: chunk " + chunk + " was present but its page at 0x"
                    + Long.toHexString(page) + " is gone (" + e.errnoName() + "): fetching it again");
            scheduler.lost(chunk, status);
            scheduler.fault(chunk, now, readAhead);
        }
    }

    private void fetchLoop(boolean puller) {
        int chunkSize = layout.chunkSize();
        // Shared: a network source's reader thread fills this buffer for us.
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = method == InstallMethod.MAP ? null : arena.allocate(chunkSize, LibC.pageSize());
            while (running) {
                int chunk = scheduler.take(puller, TimeUnit.MILLISECONDS.toNanos(200));
                if (chunk == -1) {
                    return;
                }
                if (chunk < 0) {
                    continue;
                }
                try {
                    fetchAndInstall(chunk, buffer);
                } catch (RuntimeException e) {
                    installBroke(chunk, e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void installBroke(int chunk, RuntimeException e) {
        // While closing, the application unmaps the region under us: installs fail, as expected.
        if (status.state() != PagerStatus.SERVING) {
            return;
        }
        LOG.log(System.Logger.Level.ERROR, "pager: installing chunk " + chunk + " failed: " + e.getMessage(), e);
        if (scheduler.installFailed(chunk)) {
            poison(chunk);
        }
        wakeFaultLoop();
    }

    /** A streamed chunk, claimed with generation {@code gen}: installed from {@code memory[offset, +chunkSize)}. */
    private void installCaught(int chunk, int gen, MemorySegment memory, long offset) {
        try {
            install(chunk, gen, memory, offset);
        } catch (RuntimeException e) {
            installBroke(chunk, e);
        }
    }

    private void fetchAndInstall(int chunk, MemorySegment buffer) throws InterruptedException {
        int chunkSize = layout.chunkSize();
        int gen = scheduler.generation(chunk);
        if (status.fate(chunk) == PagerStatus.FATE_ARRIVED) {
            arrivedInstead(chunk);
            return;
        }
        // MAP: straight into the shmem, which the application cannot see until UFFDIO_CONTINUE.
        MemorySegment target = method == InstallMethod.MAP ? shmem : buffer;
        long targetOffset = method == InstallMethod.MAP ? layout.offsetOf(chunk) : 0;
        if (!fetch(chunk, target, targetOffset)) {
            boolean again = scheduler.isRecovering(chunk);
            if (scheduler.fetchFailed(chunk, gen)) {
                poison(chunk);
            } else if (again) {
                wakeFaultLoop(); // to time its next attempt
            }
            return;
        }
        install(chunk, gen, target, targetOffset);
    }

    /**
     * Installs fetched {@code chunk} (generation {@code gen}, FETCHING) from {@code src[srcOffset, +chunkSize)} (for
     * MAP, that may be its place in the shmem already), unless it was invalidated meanwhile or its bytes arrived from
     * elsewhere.
     */
    private void install(int chunk, int gen, MemorySegment src, long srcOffset) {
        int chunkSize = layout.chunkSize();
        if (!scheduler.beginInstall(chunk, gen)) {
            return;
        }
        long dst = base + layout.offsetOf(chunk);
        boolean recovering = scheduler.isRecovering(chunk);
        if (status.fate(chunk) == PagerStatus.FATE_ARRIVED) {
            arrivedInstead(chunk);
            return;
        }
        // DONTWAKE, then publish, then wake: a thread that resumes already sees its chunk counted present.
        // A waiter whose event is not read yet is woken by the fault loop, which will find it PRESENT.
        long installedBytes = switch (method) {
            case COPY -> Userfaultfd.copyMissing(uffd, dst, src.address() + srcOffset, chunkSize,
                    Userfaultfd.COPY_MODE_DONTWAKE | (settings.writeTracking() ? Userfaultfd.COPY_MODE_WP : 0));
            case MAP -> {
                if (src != shmem) {
                    MemorySegment.copy(src, srcOffset, shmem, layout.offsetOf(chunk), chunkSize);
                }
                yield Userfaultfd.continueMissing(uffd, dst, chunkSize, Userfaultfd.CONTINUE_MODE_DONTWAKE);
            }
            case WRITE -> {
                // pwrite fills the page cache without a page fault per page and without zeroing whole pages.
                LibC.pwriteFully(memfd, src, srcOffset, chunkSize, layout.offsetOf(chunk));
                yield Userfaultfd.continueMissing(uffd, dst, chunkSize, Userfaultfd.CONTINUE_MODE_DONTWAKE);
            }
        };
        long faultedAt = scheduler.endInstall(chunk, status);
        if (installedBytes < chunkSize) {
            status.countRaceLost();
        }
        // The install mapped the chunk over its poison (the kernel installs over a poison marker). A page it could
        // not install has bytes in the shmem already, from a push whose arrival lifts the poison: stay poisoned.
        if (recovering && installedBytes == chunkSize
                && status.changeFate(chunk, PagerStatus.FATE_POISONED, PagerStatus.FATE_NONE)) {
            status.countRecovered();
            LOG.log(System.Logger.Level.INFO, "pager: chunk " + chunk + " recovered: the source delivered it after "
                    + "it had failed, and reading it no longer fails");
        }
        status.countInstall(installedBytes);
        if (faultedAt != 0) {
            status.recordFault(System.nanoTime() - faultedAt);
            Userfaultfd.wake(uffd, dst, chunkSize);
        }
    }

    /** Reads {@code chunk} with retries; false when every attempt failed. */
    private boolean fetch(int chunk, MemorySegment target, long offset) throws InterruptedException {
        long backoff = settings.retryBackoff().toNanos();
        for (int attempt = 0; ; attempt++) {
            try {
                source.read(chunk, target, offset);
                return true;
            } catch (Exception e) {
                status.countFetchFailure();
                if (attempt >= settings.retries() || !running) {
                    LOG.log(System.Logger.Level.WARNING, "pager: chunk " + chunk + " could not be read after "
                            + (attempt + 1) + " attempts: " + e.getMessage());
                    return false;
                }
                LockSupport.parkNanos(backoff << Math.min(attempt, 20));
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        }
    }

    /**
     * Poisons the missing pages of {@code chunk}: its waiters get SIGBUS instead of waiting forever or zeros. No
     * waiter wakes before the whole chunk is poisoned (a woken application may unmap the region at once).
     */
    private void poison(int chunk) {
        long page = LibC.pageSize();
        long start = base + layout.offsetOf(chunk);
        if (!status.changeFate(chunk, PagerStatus.FATE_NONE, PagerStatus.FATE_POISONING)) {
            if (status.fate(chunk) == PagerStatus.FATE_ARRIVED) {
                // Its bytes arrived from elsewhere meanwhile: its waiters can go on.
                arrivedInstead(chunk);
            } else {
                scheduler.markFailed(chunk);
                Userfaultfd.wake(uffd, start, layout.chunkSize());
            }
            return;
        }
        status.countPoisoned();
        try {
            for (long p = start; p < start + layout.chunkSize(); p += page) {
                long r = Userfaultfd.poison(uffd, p, page, Userfaultfd.POISON_MODE_DONTWAKE);
                if (r == -Errno.EEXIST && settings.writeTracking()) {
                    // The kernel refuses to poison over any PTE, even the write-protect marker a tracked region
                    // keeps on its missing pages: drop the marker (without waking anyone), then poison.
                    Userfaultfd.writeprotect(uffd, p, page, Userfaultfd.WRITEPROTECT_MODE_DONTWAKE);
                    r = Userfaultfd.poison(uffd, p, page, Userfaultfd.POISON_MODE_DONTWAKE);
                }
                // EEXIST: present after all (installed meanwhile); the wake below lets its waiters go on.
            }
            status.changeFate(chunk, PagerStatus.FATE_POISONING, PagerStatus.FATE_POISONED);
            Userfaultfd.wake(uffd, start, layout.chunkSize());
        } catch (LinuxException e) {
            status.changeFate(chunk, PagerStatus.FATE_POISONING, PagerStatus.FATE_POISONED);
            if (status.state() != PagerStatus.SERVING || e.errno() == Errno.ENOENT) {
                // The application closed or unmapped the region meanwhile: nobody is left waiting.
                LOG.log(System.Logger.Level.DEBUG, "pager: chunk " + chunk + " not poisoned, the region is gone: "
                        + e.getMessage());
            } else {
                LOG.log(System.Logger.Level.ERROR, "pager: chunk " + chunk + " could not be fetched and poisoning "
                        + "it failed (" + e.getMessage() + "): the threads waiting on it stay blocked in the kernel, "
                        + "and the application's next safepoint (any GC) cannot complete until the chunk is "
                        + "installed. Poisoning needs UFFDIO_POISON (Linux 6.6+), which LazyRegion.mount requires: "
                        + "this should not happen; report it with the kernel version");
            }
        }
        scheduler.markFailed(chunk);
        wakeFaultLoop(); // to time its recovery
    }

    /** {@code chunk}'s bytes arrived from elsewhere (a push): present without a fetch; its waiters go on. */
    private void arrivedInstead(int chunk) {
        long faultedAt = scheduler.endInstall(chunk, status);
        if (faultedAt != 0) {
            Userfaultfd.wake(uffd, base + layout.offsetOf(chunk), layout.chunkSize());
        }
    }

    private void failWaiters(int[] waiting) {
        int n = scheduler.waitingChunks(waiting);
        for (int i = 0; i < n; i++) {
            LOG.log(System.Logger.Level.WARNING, "pager: closing: chunk " + waiting[i]
                    + " still not delivered after the close timeout; failing its waiters");
            poison(waiting[i]);
        }
    }

    /** Makes [from, to) missing again: the next touch faults and pulls afresh. */
    void invalidate(int from, int to) throws InterruptedException {
        if (from < 0 || to > layout.chunkCount() || from > to) {
            throw new IllegalArgumentException("chunks [" + from + ", " + to + ") outside [0, "
                    + layout.chunkCount() + ")");
        }
        scheduler.beginInvalidate(from, to, status);
        try {
            LibC.fallocate(memfd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, layout.offsetOf(from),
                    layout.offsetOf(to) - layout.offsetOf(from));
        } finally {
            for (int c = from; c < to; c++) {
                // The application lifts the poison of these chunks from its mapping (LazyRegion.invalidate).
                status.resetFate(c);
            }
            scheduler.endInvalidate(from, to);
        }
        status.countInvalidated(to - from);
    }

    /** Stops background pulls and fails, after the close timeout, the faults still outstanding then. */
    void beginClose() {
        status.state(PagerStatus.CLOSING);
        Streamer s = streamer;
        if (s != null) {
            s.close();
        }
        scheduler.background(false);
        closeDeadline = System.nanoTime() + Math.max(1, settings.closeTimeout().toNanos());
        wakeFaultLoop();
    }

    void stop() {
        running = false;
        Streamer s = streamer;
        if (s != null) {
            s.close();
        }
        scheduler.stop();
        wakeFaultLoop();
        // A fetcher blocked in a slow source is not waited for: the process exits around it.
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        for (Thread t : fetchers) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void wakeFaultLoop() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1L);
            LibC.write(wakeFd, one, one.byteSize());
        }
    }
}
