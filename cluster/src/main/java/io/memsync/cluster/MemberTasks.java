package io.memsync.cluster;

import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * Creates memsync's tasks for Hazelcast's executors ({@link MigrationRequest}, {@link ChecksumRequest}) when they
 * arrive: they are IdentifiedDataSerializable, each a signed request in bytes, so that no member deserializes a Java
 * object of memsync's from the network.
 */
final class MemberTasks implements DataSerializableFactory {
    /** memsync's factory id ("MS"). */
    static final int FACTORY_ID = 0x4D53;
    static final int MIGRATION = 1;
    static final int CHECKSUM = 2;
    static final int DIGESTS = 3;

    @Override
    public IdentifiedDataSerializable create(int typeId) {
        return switch (typeId) {
            case MIGRATION -> new MigrationRequest();
            case CHECKSUM -> new ChecksumRequest();
            case DIGESTS -> new DigestRequest();
            default -> null;
        };
    }
}
