package io.memsync.cluster;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one thread that changes a node's cluster state (Agrona's conductor): which copies it holds and in which role,
 * promotions, demotions, claims, and the periodic maintenance pass. Hazelcast's callbacks, the migration code and
 * worker threads only enqueue work here, so state changes never race, and none of them waits behind a long job:
 * fills, pager start-up and waits for peers run on {@link Workers}, which post their results back.
 * <p>
 * Idle strategy: a blocking wait on the queue until the next pass is due. Error handling: a task that throws
 * anything, an {@code Error} included, is logged (one line; its stack trace at DEBUG) and counted, and the thread
 * goes on with the next: one bad region must not stop the node's maintenance for good.
 */
final class Conductor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Conductor.class.getName());

    private final String role;
    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final Runnable pass;
    private final long intervalNanos;
    private final AtomicBoolean passQueued = new AtomicBoolean();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong tasks = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param role     the thread's name
     * @param pass     the periodic maintenance pass, run every {@code interval} and on {@link #passSoon()}
     */
    Conductor(String role, Runnable pass, Duration interval) {
        this.role = role;
        this.pass = pass;
        this.intervalNanos = interval.toNanos();
        this.thread = Thread.ofPlatform().name(role).daemon(true).unstarted(this::run);
    }

    Conductor start() {
        thread.start();
        return this;
    }

    /** Runs {@code task} on the conductor, after what is queued already. Ignored once closed. */
    void execute(Runnable task) {
        if (running) {
            queue.add(task);
        }
    }

    /** Runs a maintenance pass soon (once, however often this is called before it runs). */
    void passSoon() {
        if (passQueued.compareAndSet(false, true)) {
            execute(this::runPass);
        }
    }

    /** Whether the caller is the conductor's thread. */
    boolean isConductor() {
        return Thread.currentThread() == thread;
    }

    /**
     * Runs {@code task} on the conductor and returns its result: at once when called on the conductor, else after
     * what is queued, waiting at most {@code timeout}.
     */
    <T> T call(Callable<T> task, Duration timeout) throws Exception {
        if (isConductor()) {
            return task.call();
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        execute(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        if (!running) {
            throw new IllegalStateException(role + " is closed");
        }
        try {
            return result.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw (Error) cause;
        } catch (TimeoutException e) {
            throw new TimeoutException(role + " did not run a task within " + timeout.toMillis() + " ms");
        }
    }

    /** Tasks that threw, since the start. */
    long errors() {
        return errors.get();
    }

    /** Tasks run, passes included, since the start. */
    long tasksRun() {
        return tasks.get();
    }

    private void run() {
        long nextPass = System.nanoTime();
        while (running) {
            long wait = nextPass - System.nanoTime();
            if (wait <= 0) {
                runPass();
                nextPass = System.nanoTime() + intervalNanos;
                continue;
            }
            Runnable task;
            try {
                task = queue.poll(wait, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                continue;
            }
            if (task != null) {
                runSafely(task);
            }
        }
    }

    private void runPass() {
        passQueued.set(false);
        runSafely(pass);
    }

    private void runSafely(Runnable task) {
        tasks.incrementAndGet();
        try {
            task.run();
        } catch (Throwable t) {
            errors.incrementAndGet();
            if (running) {
                LOG.log(System.Logger.Level.ERROR, role + ": a task failed (the node goes on; it is retried by the "
                        + "next maintenance pass): " + t);
                LOG.log(System.Logger.Level.DEBUG, role + ": the failed task", t);
            }
        }
    }

    /** Stops the thread after the task in progress; what is queued is dropped. */
    @Override
    public void close() {
        running = false;
        queue.clear();
        thread.interrupt();
        if (!isConductor()) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
