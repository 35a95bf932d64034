package io.memsync;

import io.memsync.agent.AgentRuntime;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * The application's entry to memsync when it runs with {@code -javaagent:memsync.jar}: the memory of a configured
 * region by name, and its flush. Calls wait for the node to join its cluster, at most
 * {@code memsync.start.timeout.ms}.
 */
public final class MemSync {
    private MemSync() {
    }

    /**
     * Region {@code name}'s memory: writable on its owner (the view fails with {@link IllegalStateException} once
     * ownership moves elsewhere), read-only on replicas.
     *
     * @throws IllegalStateException if the agent is not running, the region is not configured, or it did not open
     *                               in time
     */
    public static MemorySegment region(String name) {
        return AgentRuntime.require().segment(name);
    }

    /** Returns once the replicas hold every write made to region {@code name} before the call (on its owner). */
    public static void flush(String name) throws IOException {
        AgentRuntime.require().flush(name);
    }

    /** Whether this JVM owns region {@code name} now, so that writes to it are allowed. */
    public static boolean isOwner(String name) {
        return AgentRuntime.require().isOwner(name);
    }

    /**
     * How a migration's handover pauses this application's writers to region {@code name} (for a few
     * milliseconds) and resumes them if the migration fails. Without one, memsync hands over without pausing them:
     * writes made on the old owner after its last round are lost.
     */
    public static void writerControl(String name, Writers writers) {
        AgentRuntime.require().writerControl(name, writers);
    }

    /** The node name of region {@code name}'s owner now. */
    public static String owner(String name) {
        return AgentRuntime.require().owner(name);
    }

    /**
     * Region {@code name}, owned elsewhere, mounted lazily here and read-only: usable at once, each chunk pulled on
     * first touch and the rest in the background (a snapshot that pages in; it does not follow later writes).
     */
    public static MemorySegment mount(String name) throws IOException {
        return AgentRuntime.require().mount(name).segment().asReadOnly();
    }

    /** Share of region {@code name}'s chunks present in this node's mount of it (0 to 1); 1 for a full copy. */
    public static double availability(String name) {
        AgentRuntime runtime = AgentRuntime.require();
        var mounted = runtime.awaitNode().mounted(name);
        return mounted != null ? mounted.availability() : runtime.copy(name).availability();
    }

    /** The node name of this JVM's memsync node. */
    public static String nodeName() {
        return AgentRuntime.require().config().nodeName();
    }

    /** Whether the memsync agent runs in this JVM. */
    public static boolean isActive() {
        return AgentRuntime.current() != null;
    }
}
