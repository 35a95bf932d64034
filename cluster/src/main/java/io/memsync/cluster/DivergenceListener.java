package io.memsync.cluster;

/** Hears that a replica's copy of a region differed from its owner's, and was repaired. */
public interface DivergenceListener {
    /**
     * On the owner: {@code chunks} chunks of region {@code region} on replica {@code replica} (its node name)
     * differed from the owner's and were sent again.
     */
    void diverged(String region, String replica, int chunks);
}
