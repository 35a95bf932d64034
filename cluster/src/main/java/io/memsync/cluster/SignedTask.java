package io.memsync.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A task for a Hazelcast executor that carries one signed request in bytes ({@link MemberRequests}) and runs it on
 * the memsync node of the member it lands on; created there by {@link MemberTasks}, never by Java serialization.
 */
abstract class SignedTask implements IdentifiedDataSerializable, HazelcastInstanceAware {
    static final String NODE = "memsync.node";

    private byte[] sealed;
    private transient HazelcastInstance hazelcast;

    SignedTask() {
    }

    SignedTask(byte[] sealed) {
        this.sealed = sealed;
    }

    /** The signed request. */
    final byte[] sealed() {
        return sealed;
    }

    /** The memsync node of the member this task runs on, from the member's user context. */
    @SuppressWarnings("unchecked")
    final Node localNode() {
        Object holder = hazelcast.getUserContext().get(NODE);
        Node node = holder instanceof AtomicReference<?> ref ? ((AtomicReference<Node>) ref).get() : null;
        if (node == null) {
            throw new IllegalStateException("member " + hazelcast.getName() + " runs no memsync node");
        }
        return node;
    }

    @Override
    public final void setHazelcastInstance(HazelcastInstance instance) {
        this.hazelcast = instance;
    }

    @Override
    public final void writeData(ObjectDataOutput out) throws IOException {
        out.writeByteArray(sealed);
    }

    @Override
    public final void readData(ObjectDataInput in) throws IOException {
        sealed = in.readByteArray();
    }

    @Override
    public final int getFactoryId() {
        return MemberTasks.FACTORY_ID;
    }
}
