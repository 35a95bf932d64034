package io.memsync.jmx;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.Node;

import java.util.Map;

/**
 * The node operations the MBeans offer, for code in the same JVM that holds the {@link Node} but not its MBeans (the
 * dashboard): the same checks, the same one-line results and the same error messages as {@code io.memsync:type=Node}.
 * Failures are {@link IllegalArgumentException} for bad input (an unknown region or member) and
 * {@link IllegalStateException} when the cluster's state does not allow it (not the owner, a migration under way).
 */
public final class NodeOperations implements AutoCloseable {
    private final Node node;
    private final Migrations migrations;

    public NodeOperations(Node node) {
        this.node = node;
        this.migrations = new Migrations(node);
    }

    /** Flushes {@code region}, which this node must own; as {@code NodeMBean.flush}. */
    public String flush(String region) {
        return NodeAdmin.flush(node, region);
    }

    /** Starts migrating {@code region} to {@code member} (a name or uuid); as {@code NodeMBean.startMigration}. */
    public String startMigration(String region, String member) {
        return migrations.start(region, member);
    }

    /** Epochs each replica (by member uuid) of {@code region} is behind; empty unless this node owns it. */
    public Map<String, Long> replicaLag(String region) {
        ClusterRegion copy = node.region(region);
        return ReplicaLag.of(copy, node.directory().get(region));
    }

    /** Stops accepting migrations; those under way go on (they belong to the node). */
    @Override
    public void close() {
        migrations.close();
    }
}
