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
    private final HandOff line;
    private final Set<String> running = ConcurrentHashMap.newKeySet();

    /**
     * At most {@code count} threads named {@code role-N}. A job goes to an idle worker when there is one, to a new
     * thread when all are busy and fewer than {@code count} run, else it waits in line; idle workers end after 30 s,
     * so that an application under the agent keeps no thread memsync does not use.
     */
    Workers(String role, int count) {
        this.role = role;
        AtomicInteger n = new AtomicInteger();
        HandOff line = new HandOff();
        this.line = line;
        java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(0, count, 30,
                TimeUnit.SECONDS, line, r -> Thread.ofPlatform().name(role + "-" + n.incrementAndGet()).daemon(true)
                .unstarted(r), (job, p) -> {
                    // Every worker was busy and a thread could not be added (another was, meanwhile): wait in line.
                    if (p.isShutdown()) {
                        throw new RejectedExecutionException(role + " closed");
                    }
                    line.queue(job);
                });
        line.pool = pool;
        this.threads = pool;
    }

    /** The workers' line: a job is handed to an idle worker, else refused while a thread may be added. */
    private static final class HandOff extends java.util.concurrent.LinkedTransferQueue<Runnable> {
        private volatile java.util.concurrent.ThreadPoolExecutor pool;

        @Override
        public boolean offer(Runnable job) {
            if (tryTransfer(job)) {
                return true;
            }
            if (pool.getPoolSize() < pool.getMaximumPoolSize()) {
                return false;
            }
            return super.offer(job);
        }

        void queue(Runnable job) {
            super.offer(job);
        }
    }

    /** Workers waiting for a job now. */
    int idleCount() {
        return line.getWaitingConsumerCount();
    }

    /** Worker threads alive now (busy or idle). */
    int threadCount() {
        return ((java.util.concurrent.ThreadPoolExecutor) threads).getPoolSize();
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
