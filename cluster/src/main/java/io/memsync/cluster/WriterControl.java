package io.memsync.cluster;

/**
 * How memsync stops and restarts an application's writers to a region it owns, for the few milliseconds of a
 * migration's handover. Registered with {@link Node#writerControl}. Pausing through the application, not by
 * blocking writers in a write-protect fault, keeps the JVM free of threads stuck in the kernel while a safepoint
 * is requested.
 */
public interface WriterControl {
    /** Stops the writers; returns once none is writing any more (writes in flight have completed). */
    void pause() throws InterruptedException;

    /** Lets the writers go on here: the migration failed or was cancelled, and this node still owns the region. */
    void resume();
}
