package io.memsync.region.page;

import io.memsync.region.ChunkLayout;
import io.memsync.region.Region;
import io.memsync.region.track.DirtyTracker;
import io.memsync.region.track.WriteProtectTracker;
import io.memsync.region.linux.Errno;
import io.memsync.region.linux.KernelFeatures;
import io.memsync.region.linux.LibC;
import io.memsync.region.linux.LinuxException;
import io.memsync.region.linux.Userfaultfd;
import io.memsync.region.pager.InstallMethod;
import io.memsync.region.pager.PagerArguments;
import io.memsync.region.pager.PagerProcess;
import io.memsync.region.pager.PagerStatus;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * A region that is usable at once and filled on demand: each first touch of a missing chunk faults, and a pager
 * process fetches the chunk from a {@link io.memsync.region.ChunkSource} and installs it; background pullers fetch
 * the rest, so most pages never fault.
 * <p>
 * <b>Why a separate process.</b> A thread blocked on a userfault is, for the JVM, running Java code; a safepoint
 * (any GC) waits for it. If the thread serving that fault were a thread of the same JVM, it would be stopped for
 * the safepoint and never serve it: the JVM deadlocks (reproduced on JDK 25). So faults are served by a pager JVM
 * of our own, started here, which takes the region's userfaultfd and memfd with pidfd_getfd: no thread of this
 * JVM is ever on the path that resolves a fault. The measured alternative, native code on a thread the JVM does
 * not know, would need a C library built and shipped per platform for the same result; a pager JVM is plain Java,
 * and its startup is paid once per mount (a mount takes ~0.2 s here; the standby starts in the background).
 * Chunks are installed with UFFDIO_COPY by default: measured against MINOR mode with UFFDIO_CONTINUE (which saves
 * a copy), it was faster, because allocating the page costs more than copying it ({@link InstallMethod},
 * docs/benchmarks.md).
 * <p>
 * <b>Failure.</b> A standby pager watches the active one through a pidfd and takes over within milliseconds if it
 * dies, waking the faults it had read but not served so they fault again; this JVM then starts a new standby.
 * (Should both die, this JVM's supervisor thread starts a new active pager; being a JVM thread, a safepoint can
 * hold it while faults are outstanding, which is why the standby, outside this JVM, is the first line.) A
 * chunk the source cannot deliver (after retries) while threads wait on it is poisoned: those threads get an
 * {@code InternalError} ("a fault occurred in an unsafe memory access operation") at the access, never zeros;
 * {@link #invalidate} makes it missing again. {@link #close()} waits for outstanding faults up to the configured
 * close timeout, then fails them the same way, so no thread stays blocked.
 */
public final class LazyRegion implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LazyRegion.class.getName());
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

    private final Region region;
    private final PagerConfig config;
    private final int uffd;
    private final int statusFd;
    private final long statusAddress;
    private final long statusBytes;
    private final PagerStatus status;
    private final PagerArguments pagerArguments;
    private volatile PagerProcess active;
    private volatile PagerProcess standby;
    private final Thread supervisor;
    private volatile boolean closing;
    /** Completed by {@link #close()}: wakes the supervisor. */
    private final CompletableFuture<Void> closedSignal = new CompletableFuture<>();
    private boolean closed;
    /** The touch order when this mount closed (its status memory is gone then); null while open. */
    private volatile int[] workingSet;
    private DirtyTracker tracker;
    private Arena statusArena;
    private Map<String, String> environment = Map.of();

    private LazyRegion(Region region, PagerConfig config, int uffd, int statusFd, long statusAddress,
                       long statusBytes, PagerStatus status, PagerArguments pagerArguments) {
        this.region = region;
        this.config = config;
        this.uffd = uffd;
        this.statusFd = statusFd;
        this.statusAddress = statusAddress;
        this.statusBytes = statusBytes;
        this.status = status;
        this.pagerArguments = pagerArguments;
        this.supervisor = Thread.ofPlatform().name("memsync-pager-supervisor-" + region.name()).daemon(true)
                .unstarted(this::supervise);
    }

    /**
     * Maps a region called {@code name} of {@code layout} whose contents come from {@code config.source()}, and
     * starts its pagers. Returns once the active pager serves faults; the standby, if configured, follows
     * in the background ({@link #awaitStandby}).
     */
    public static LazyRegion mount(String name, ChunkLayout layout, PagerConfig config) throws IOException {
        return mount(name, layout, config, Map.of());
    }

    /**
     * As {@link #mount(String, ChunkLayout, PagerConfig)}, with {@code environment} added to the pagers' (for
     * example {@code MEMSYNC_SECRET} for a network source: the environment, unlike the command line, is readable
     * only by the same user).
     */
    public static LazyRegion mount(String name, ChunkLayout layout, PagerConfig config,
                                   Map<String, String> environment) throws IOException {
        KernelFeatures kernel = KernelFeatures.get();
        if (!kernel.lazyRegionsAvailable()) {
            throw new UnsupportedOperationException("cannot mount lazy region " + name + ": "
                    + kernel.lazyRegionsProblem());
        }
        Region region = Region.builder(name).size(layout.regionSize()).chunkSize(layout.chunkSize()).create();
        int uffd = -1;
        int statusFd = -1;
        long statusAddress = 0;
        long statusBytes = PagerStatus.bytesFor(layout.chunkCount());
        LazyRegion lazy = null;
        try {
            uffd = Userfaultfd.userfaultfd(LibC.O_CLOEXEC | LibC.O_NONBLOCK);
            InstallMethod method = installMethod(kernel);
            boolean minor = method.needsMinor();
            boolean tracked = config.writeTracking();
            if (tracked && (minor || !kernel.writeProtectTrackingAvailable())) {
                throw new UnsupportedOperationException("write tracking on a lazy region needs the COPY install and"
                        + " write-protect tracking: " + (minor ? "-Dmemsync.pager.install=" + method.configName()
                        + " is set" : kernel.writeProtectTrackingProblem()));
            }
            long wanted = Userfaultfd.FEATURE_MISSING_SHMEM
                    | (minor ? Userfaultfd.FEATURE_MINOR_SHMEM : 0)
                    | (tracked ? Userfaultfd.FEATURE_WP_ASYNC | Userfaultfd.FEATURE_WP_UNPOPULATED : 0)
                    | Userfaultfd.FEATURE_POISON;
            Userfaultfd.api(uffd, wanted);
            // MISSING and MINOR together: a page not yet in the shmem faults (MISSING), and so does a page the
            // pager has put into the shmem but not yet mapped here (MINOR). So this process only ever sees a page
            // once the pager maps it with UFFDIO_CONTINUE, after writing the whole chunk: one copy, not two.
            Userfaultfd.register(uffd, region.segment().address(), layout.regionSize(),
                    Userfaultfd.REGISTER_MODE_MISSING | (minor ? Userfaultfd.REGISTER_MODE_MINOR : 0)
                            | (tracked ? Userfaultfd.REGISTER_MODE_WP : 0));
            if (tracked) {
                // Every page write-protected from the start (markers on the missing ones), and the pager installs
                // chunks write-protected: starting to track later costs nothing, however much is paged in.
                Userfaultfd.writeprotect(uffd, region.segment().address(), layout.regionSize(),
                        Userfaultfd.WRITEPROTECT_MODE_WP);
            }
            statusFd = LibC.memfd_create("memsync-status:" + name, LibC.MFD_CLOEXEC);
            LibC.ftruncate(statusFd, statusBytes);
            statusAddress = LibC.mmap(0, statusBytes, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, statusFd, 0);
            // Read through an arena closed before the unmap: a reader left after close() gets an exception, not a
            // segmentation fault.
            Arena statusArena = Arena.ofShared();
            PagerStatus status = PagerStatus.format(MemorySegment.ofAddress(statusAddress).reinterpret(statusBytes,
                            statusArena, null),
                    layout.chunkCount());
            int[] first = config.pullFirst();
            if (first.length > 0) {
                status.pullFirst(first);
            }
            PagerArguments args = new PagerArguments(PagerArguments.Role.ACTIVE, false, layout, config.settings(method),
                    new PagerArguments.Target(ProcessHandle.current().pid(), uffd, region.fileDescriptor(), statusFd,
                            region.segment().address()));
            lazy = new LazyRegion(region, config, uffd, statusFd, statusAddress, statusBytes, status, args);
            lazy.statusArena = statusArena;
            lazy.environment = Map.copyOf(environment);
            lazy.active = PagerProcess.start(args, lazy.environment, START_TIMEOUT);
            // The standby is started by the supervisor: the region is usable without waiting for it.
            lazy.supervisor.start();
            return lazy;
        } catch (IOException | RuntimeException e) {
            if (lazy != null) {
                lazy.stopPagers();
            }
            region.close();
            if (statusAddress != 0) {
                LibC.munmap(statusAddress, statusBytes);
            }
            if (statusFd >= 0) {
                LibC.close(statusFd);
            }
            if (uffd >= 0) {
                LibC.close(uffd);
            }
            throw e;
        }
    }

    /**
     * {@code -Dmemsync.pager.install=copy|map|write} where given; otherwise COPY, which measured fastest here
     * (docs/benchmarks.md): the page allocation, not the copy, is what an install costs.
     */
    static InstallMethod installMethod(KernelFeatures kernel) {
        boolean minor = kernel.hasUserfaultfdFeatures(Userfaultfd.FEATURE_MINOR_SHMEM);
        String chosen = System.getProperty("memsync.pager.install");
        if (chosen == null) {
            return InstallMethod.COPY;
        }
        InstallMethod method;
        try {
            method = InstallMethod.parse(chosen);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-Dmemsync.pager.install=" + chosen + ": " + e.getMessage(), e);
        }
        if (method.needsMinor() && !minor) {
            throw new UnsupportedOperationException("-Dmemsync.pager.install=" + chosen + " needs userfaultfd MINOR "
                    + "faults on shmem (Linux 5.14+), which this kernel lacks: use copy");
        }
        return method;
    }

    /** The region: its segment may be touched at once from any thread. Close this, not the region. */
    public Region region() {
        return region;
    }

    public MemorySegment segment() {
        return region.segment();
    }

    public ChunkLayout layout() {
        return region.layout();
    }

    /** Counters, latencies and the present bitmap the pagers publish. */
    /**
     * The chunks this mount's application had to wait for, in the order it first touched them: its working set, to
     * pull first on the next mount ({@link PagerConfig#withPullFirst}). Still answers once the mount is closed.
     */
    public int[] touchOrder() {
        int[] kept = workingSet;
        return kept != null ? kept.clone() : status.touchOrder();
    }

    public PagerStatus status() {
        return status;
    }

    /** Present chunks over all chunks, from 0 to 1. */
    public double availability() {
        return status.availability();
    }

    public boolean isPresent(int chunk) {
        region.layout().checkChunk(chunk);
        return status.isPresent(chunk);
    }

    /** Waits until at least {@code fraction} of the chunks are present; false on timeout. */
    public boolean awaitAvailability(double fraction, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (status.availability() < fraction) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            LockSupport.parkNanos(200_000);
        }
        return true;
    }

    /** The pid of the pager serving faults now. */
    public long activePagerPid() {
        return active.pid();
    }

    /** The pid of the standby pager, or -1 without one. */
    public long standbyPagerPid() {
        PagerProcess s = standby;
        return s == null ? -1 : s.pid();
    }

    /** Waits until a standby pager watches the active one; false on timeout or when none is configured. */
    public boolean awaitStandby(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (config.standby()) {
            PagerProcess s = standby;
            if (s != null && s.isAlive() && status.standbyPagerPid() == s.pid()) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            LockSupport.parkNanos(5_000_000);
        }
        return false;
    }

    /**
     * Starts tracking the application's writes to the region (mounted {@link PagerConfig#withWriteTracking with
     * write tracking}): the first write to each page after its chunk was paged in, or since the last scan, is
     * seen, as in a {@code wp} tracker. Writes the pager and {@link Region#untrackedMapping()} make are not: every
     * page is write-protected from the mount on and the pager installs chunks write-protected, so starting costs
     * nothing. Call it before the application writes; the region owns the tracker.
     */
    public synchronized DirtyTracker startTracking() {
        checkOpen();
        if (!config.writeTracking()) {
            throw new IllegalStateException("lazy region " + region.name() + " was mounted without write tracking: "
                    + "use PagerConfig.withWriteTracking(true)");
        }
        if (tracker != null) {
            throw new IllegalStateException("lazy region " + region.name() + " is tracked already");
        }
        tracker = WriteProtectTracker.onRegistered(region.segment(), layout(), uffd, false);
        return tracker;
    }

    /** The tracker {@link #startTracking()} started, or null. */
    public synchronized DirtyTracker tracker() {
        return tracker;
    }

    /**
     * Makes chunks [from, to) missing again (their pages are dropped from the shmem): the next touch faults and
     * pulls them afresh from the source; a fetch in flight for them is discarded. A poisoned chunk is readable
     * again too.
     */
    public synchronized void invalidate(int from, int to) throws IOException {
        checkOpen();
        if (from < 0 || to > layout().chunkCount() || from > to) {
            throw new IndexOutOfBoundsException("chunks [" + from + ", " + to + ") outside [0, "
                    + layout().chunkCount() + ")");
        }
        activePager().invalidate(from, to, COMMAND_TIMEOUT);
        // Punching the hole leaves poison markers in place (verified on 6.18): drop them from this mapping.
        zap(layout().offsetOf(from), layout().offsetOf(to) - layout().offsetOf(from));
    }

    /**
     * {@code chunk}'s current bytes were just written into the region from elsewhere, through
     * {@link Region#untrackedMapping()} (a push): the chunk counts present, the pager will not fetch it, and if it
     * was poisoned (its source had failed) it reads the bytes that arrived from now on instead of failing. Cheap
     * and allocation-free unless the chunk was poisoned; safe from any thread; a no-op once closed.
     */
    public void arrived(int chunk) {
        if (chunk < 0 || chunk >= layout().chunkCount()) {
            throw new IndexOutOfBoundsException("chunk " + chunk + " outside [0, " + layout().chunkCount() + ")");
        }
        try {
            long waitUntil = 0;
            while (!closing) {
                int fate = status.fate(chunk);
                switch (fate) {
                    case PagerStatus.FATE_ARRIVED -> {
                        return;
                    }
                    case PagerStatus.FATE_NONE -> {
                        if (status.arrive(chunk, PagerStatus.FATE_NONE)) {
                            return;
                        }
                    }
                    case PagerStatus.FATE_POISONED -> {
                        // The pager cannot install over pages the shmem already holds: lift the poison here, where
                        // the mapping is. The bytes stay in the shmem; only this mapping's page entries go.
                        zap(layout().offsetOf(chunk), layout().chunkSize());
                        if (status.arrive(chunk, PagerStatus.FATE_POISONED)) {
                            LOG.log(System.Logger.Level.INFO, "region " + region.name() + ": chunk " + chunk
                                    + " had failed to page in and has now arrived from elsewhere: it reads again");
                            return;
                        }
                    }
                    default -> {
                        // The pager is poisoning it, for microseconds; a pager that died meanwhile leaves it to the
                        // next, which marks it poisoned.
                        long now = System.nanoTime();
                        if (waitUntil == 0) {
                            waitUntil = now + TimeUnit.SECONDS.toNanos(10);
                        } else if (now - waitUntil > 0) {
                            LOG.log(System.Logger.Level.WARNING, "region " + region.name() + ": chunk " + chunk
                                    + " stayed half-poisoned for 10 s (no live pager?): it may fail when read");
                            return;
                        }
                        LockSupport.parkNanos(50_000);
                    }
                }
            }
        } catch (IllegalStateException | LinuxException e) {
            if (!closing) {
                throw e;
            }
            // The region was closed meanwhile: nothing reads it any more.
        }
    }

    /**
     * Drops this mapping's page entries for [offset, offset+length): the shmem keeps the bytes, a poison marker goes,
     * and written pages stay reported to the tracker (KERNEL.md). A range locked against reclaim (hole 6's
     * mlock) is unlocked for the moment of the drop.
     */
    private void zap(long offset, long length) {
        long address = region.segment().address() + offset;
        try {
            LibC.madvise(address, length, LibC.MADV_DONTNEED);
        } catch (LinuxException e) {
            if (e.errno() != Errno.EINVAL) {
                throw e;
            }
            LibC.munlock(address, length);
            try {
                LibC.madvise(address, length, LibC.MADV_DONTNEED);
            } finally {
                LibC.mlock2(address, length, LibC.MLOCK_ONFAULT);
            }
        }
    }

    private PagerProcess activePager() throws IOException {
        for (int i = 0; i < 200 && !active.isAlive(); i++) {
            LockSupport.parkNanos(10_000_000);
        }
        if (!active.isAlive()) {
            throw new IOException("no live pager serves region " + region.name());
        }
        return active;
    }

    /**
     * Replaces dead pagers: the standby has taken over by itself; this starts a new standby. Woken by a pager's exit
     * or by closing; a standby that could not be started is tried again every 5 s.
     */
    private void supervise() {
        boolean failed = false;
        for (boolean first = true; !closing; first = false) {
            if (!first) {
                PagerProcess a = active;
                PagerProcess s = standby;
                boolean standbyAlive = s != null && s.isAlive();
                try {
                    if (failed) {
                        // Replacing a pager failed: try again in a second, not in a loop.
                        closedSignal.get(1, TimeUnit.SECONDS);
                    } else {
                        CompletableFuture.anyOf(a.onExit(), standbyAlive ? s.onExit() : closedSignal, closedSignal)
                                .get(config.standby() && !standbyAlive ? 5 : Long.MAX_VALUE, TimeUnit.SECONDS);
                    }
                } catch (TimeoutException | ExecutionException e) {
                    // Time to try the standby again.
                } catch (InterruptedException e) {
                    // close() interrupts: the loop's condition ends it.
                }
            }
            if (closing) {
                return;
            }
            try {
                PagerProcess a = active;
                if (!a.isAlive()) {
                    PagerProcess s = standby;
                    if (s != null && s.awaitTakeover(Duration.ofSeconds(5))) {
                        active = s;
                        standby = null;
                        LOG.log(System.Logger.Level.WARNING, "region " + region.name() + ": pager " + a.pid()
                                + " died; standby " + s.pid() + " took over");
                    } else if (!closing) {
                        active = PagerProcess.start(pagerArguments.as(PagerArguments.Role.ACTIVE, true), environment,
                                START_TIMEOUT);
                        LOG.log(System.Logger.Level.WARNING, "region " + region.name() + ": pager " + a.pid()
                                + " died with no standby; started " + active.pid());
                    }
                }
                if (config.standby() && !closing && (standby == null || !standby.isAlive())) {
                    standby = PagerProcess.start(pagerArguments.as(PagerArguments.Role.STANDBY, false), environment,
                            START_TIMEOUT);
                }
                failed = false;
            } catch (IOException | RuntimeException e) {
                failed = true;
                LOG.log(System.Logger.Level.ERROR, "region " + region.name() + ": replacing a pager failed: "
                        + e.getMessage(), e);
            }
        }
    }

    private synchronized void checkOpen() {
        if (closed) {
            throw new IllegalStateException("lazy region " + region.name() + " is closed");
        }
    }

    /**
     * Unmaps the region and stops its pagers. Faults outstanding now are still served for up to the configured
     * close timeout, then fail (InternalError in the faulting thread): no thread stays blocked.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closing = true;
        closedSignal.complete(null);
        supervisor.interrupt();
        try {
            supervisor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (active.isAlive()) {
                active.beginClose(COMMAND_TIMEOUT);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "region " + region.name() + ": pager did not take 'close': "
                    + e.getMessage());
        }
        try {
            if (tracker != null) {
                tracker.close();
            }
            region.close();
        } finally {
            stopPagers();
            // Kept past the close: the next mount of the region may replay it.
            workingSet = status.touchOrder();
            statusArena.close();
            LibC.munmap(statusAddress, statusBytes);
            LibC.close(statusFd);
            LibC.close(uffd);
        }
    }

    private void stopPagers() {
        PagerProcess s = standby;
        if (s != null) {
            s.exit(Duration.ofSeconds(5));
        }
        PagerProcess a = active;
        if (a != null) {
            a.exit(Duration.ofSeconds(5));
        }
    }

    @Override
    public String toString() {
        return "LazyRegion[" + region.name() + ", " + layout() + ", source " + config.source() + ", "
                + String.format("%.1f", availability() * 100) + " % present]";
    }
}
