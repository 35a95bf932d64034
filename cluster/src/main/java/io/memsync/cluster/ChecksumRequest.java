package io.memsync.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;

import java.io.Serial;
import java.io.Serializable;
import java.util.concurrent.Callable;

/**
 * Computes, on the member it runs on (through Hazelcast's executor), the CRC32C of that member's copy of a region,
 * or null when it has none (see {@link Node#checksums}).
 */
final class ChecksumRequest implements Callable<Long>, Serializable, HazelcastInstanceAware {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String region;
    private transient HazelcastInstance hazelcast;

    ChecksumRequest(String region) {
        this.region = region;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance instance) {
        this.hazelcast = instance;
    }

    @Override
    public Long call() {
        ClusterRegion copy = MigrationRequest.localNode(hazelcast).region(region);
        return copy == null ? null : copy.checksum();
    }
}
