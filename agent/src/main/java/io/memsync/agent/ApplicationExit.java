package io.memsync.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Notices when the application has ended the way a JVM without memsync would end: its {@code main} returned (the
 * launcher's {@code DestroyJavaVM} thread waits for the last non-daemon thread) and none of its own non-daemon
 * threads is left. memsync's Hazelcast keeps non-daemon threads of its own that would hold the JVM up for ever; once
 * only those are left, {@code leave} runs (once), so that memsync leaves the cluster in order and the JVM exits.
 * <p>
 * No thread of its own: it looks every {@link #CHECK_MILLIS} ms on the agent's housekeeping thread (enumerating the
 * JVM's threads costs microseconds). The leave runs on a non-daemon thread, {@code memsync-leave}, so that the JVM
 * exits once it is done.
 */
final class ApplicationExit implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ApplicationExit.class.getName());
    /** The thread the java launcher attaches once {@code main} returned, to wait for the other non-daemon threads. */
    static final String DESTROY_JAVA_VM = "DestroyJavaVM";
    static final long CHECK_MILLIS = 100;

    private final Predicate<Thread> memsyncs;
    private final Runnable leave;
    private volatile ScheduledFuture<?> checks;
    private volatile boolean running = true;

    /**
     * @param memsyncs which threads are memsync's own (they do not keep the application alive)
     * @param leave    what to do once the application has ended
     */
    private ApplicationExit(Predicate<Thread> memsyncs, Runnable leave) {
        this.memsyncs = memsyncs;
        this.leave = leave;
    }

    /** Looks for the application's end every {@link #CHECK_MILLIS} ms on {@code housekeeping}. */
    static ApplicationExit start(ScheduledExecutorService housekeeping, Predicate<Thread> memsyncs, Runnable leave) {
        ApplicationExit exit = new ApplicationExit(memsyncs, leave);
        exit.checks = housekeeping.scheduleWithFixedDelay(exit::check, CHECK_MILLIS, CHECK_MILLIS,
                TimeUnit.MILLISECONDS);
        return exit;
    }

    private void check() {
        if (!running) {
            return;
        }
        List<Thread> application = new ArrayList<>();
        boolean ended;
        try {
            // No application thread left, and the launcher's DestroyJavaVM waits (main returned): the JVM would
            // exit now. (Without DestroyJavaVM, main returned a moment ago or native code that created the JVM keeps
            // it: look again.)
            ended = applicationThreads(application) && application.isEmpty();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "memsync: watching for the application's end failed (memsync then "
                    + "stays until System.exit or a signal): " + e);
            close();
            return;
        }
        if (ended) {
            close();
            LOG.log(System.Logger.Level.INFO, "memsync: the application's last thread ended: leaving the cluster");
            // On a non-daemon thread: the JVM's shutdown (and JUL's, which drops log records from then on) waits
            // until memsync has left.
            Thread.ofPlatform().name("memsync-leave").daemon(false).start(leave);
        }
    }

    /**
     * Fills {@code out} with the live non-daemon threads that are the application's; true if the JVM is waiting for
     * them to end (a {@code DestroyJavaVM} thread exists).
     */
    boolean applicationThreads(List<Thread> out) {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] all = new Thread[root.activeCount() + 16];
        int n;
        while ((n = root.enumerate(all, true)) == all.length) {
            all = new Thread[all.length * 2];
        }
        boolean destroying = false;
        for (int i = 0; i < n; i++) {
            Thread t = all[i];
            if (DESTROY_JAVA_VM.equals(t.getName())) {
                destroying = true;
            } else if (t.isAlive() && !t.isDaemon() && !memsyncs.test(t)) {
                out.add(t);
            }
        }
        return destroying;
    }

    @Override
    public void close() {
        running = false;
        ScheduledFuture<?> c = checks;
        if (c != null) {
            c.cancel(false);
        }
    }
}
