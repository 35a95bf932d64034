package io.memsync.cluster;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A node's threads for long jobs that must not hold up the {@link Conductor}: filling a replica, starting a pager,
 * waiting for a peer. At most one job runs per key (a region and what it does to it, say), so that a job scheduled
 * by every maintenance pass does not pile up while a slow one runs. A job that throws is logged (one line; the
 * stack trace at DEBUG); the next pass schedules it again.
 */
final class Workers implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Workers.class.getName());

    private final String role;
    private final ExecutorService threads;
    private final Set<String> running = ConcurrentHashMap.newKeySet();

    /** {@code count} threads named {@code role-N}. */
    Workers(String role, int count) {
        this.role = role;
        AtomicInteger n = new AtomicInteger();
        // Idle workers end after a while: an application under the agent keeps no thread it does not use.
        java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(count, count, 30,
                TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> Thread.ofPlatform()
                .name(role + "-" + n.incrementAndGet()).daemon(true).unstarted(r));
        pool.allowCoreThreadTimeOut(true);
        this.threads = pool;
    }

    /** Runs {@code job} on a worker unless a job under {@code key} is queued or running; returns whether it will. */
    boolean submit(String key, ThrowingRunnable job) {
        if (!running.add(key)) {
            return false;
        }
        try {
            threads.execute(() -> {
                try {
                    job.run();
                } catch (Throwable t) {
                    // A job interrupted because the node closes has not failed: nothing is retried.
                    LOG.log(threads.isShutdown() ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING, role
                            + ": " + key + " failed (retried by the next maintenance pass): " + t);
                    LOG.log(System.Logger.Level.DEBUG, role + ": " + key, t);
                } finally {
                    running.remove(key);
                }
            });
            return true;
        } catch (RejectedExecutionException closing) {
            running.remove(key);
            return false;
        }
    }

    /** Whether a job under {@code key} is queued or running. */
    boolean busy(String key) {
        return running.contains(key);
    }

    /** A job that may throw. */
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Interrupts running jobs and waits a while for them to end. */
    @Override
    public void close() {
        threads.shutdownNow();
        try {
            threads.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
