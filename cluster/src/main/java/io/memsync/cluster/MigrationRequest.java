package io.memsync.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;

import java.io.Serial;
import java.io.Serializable;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Asks a region's owner, through Hazelcast's executor, to migrate the region to a member: the one that sent it
 * ({@link Node#acquire}) or any other ({@link Node#requestMigration}). It runs on the owner's member and finds the
 * owner's {@link Node} in the member's user context.
 */
final class MigrationRequest implements Callable<MigrationResult>, Serializable, HazelcastInstanceAware {
    @Serial
    private static final long serialVersionUID = 1L;
    static final String NODE = "memsync.node";

    private final String region;
    private final String destination;
    private final MigrationOptions options;
    private transient HazelcastInstance hazelcast;

    MigrationRequest(String region, String destination, MigrationOptions options) {
        this.region = region;
        this.destination = destination;
        this.options = options;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance instance) {
        this.hazelcast = instance;
    }

    @Override
    public MigrationResult call() throws Exception {
        return localNode(hazelcast).migrate(region, destination, options);
    }

    /** The memsync node of the member a task runs on, from the member's user context. */
    @SuppressWarnings("unchecked")
    static Node localNode(HazelcastInstance hazelcast) {
        Object holder = hazelcast.getUserContext().get(NODE);
        Node node = holder instanceof AtomicReference<?> ref ? ((AtomicReference<Node>) ref).get() : null;
        if (node == null) {
            throw new IllegalStateException("member " + hazelcast.getName() + " runs no memsync node");
        }
        return node;
    }
}
