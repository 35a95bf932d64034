package io.memsync.cluster;

/**
 * Told when this node gains or loses the ownership of a region (failover, migration, a deposed owner coming
 * back). Called on the thread that made the change; keep it short.
 */
public interface OwnershipListener {
    /** This node owns {@code region} now: its writers may start, through {@link ClusterRegion#segment()}. */
    default void gained(ClusterRegion region) {
    }

    /**
     * This node no longer owns region {@code name}: {@code newOwner} does, with {@code token}. The view the writers
     * had throws from now on.
     */
    default void lost(String name, String newOwner, long token) {
    }
}
