package io.memsync;

/**
 * How memsync stops and restarts this application's writers to a region for the few milliseconds of a migration's
 * handover ({@link MemSync#writerControl}). Pausing through the application, not by blocking writers in a
 * write-protect fault, keeps the JVM free of threads stuck in the kernel while a safepoint is requested.
 */
public interface Writers {
    /** Stops the writers; returns once none is writing any more (writes in flight have completed). */
    void pause() throws InterruptedException;

    /** Lets the writers go on here: the migration failed or was cancelled, and this JVM still owns the region. */
    void resume();
}
