package io.memsync.cluster;

/**
 * Told when a Hazelcast member joins or leaves this node's cluster (left or declared dead after 5 s without a
 * heartbeat). Called on a Hazelcast event thread: keep it short.
 */
public interface PeerListener {
    /** Member {@code memberId}, node {@code name} at Hazelcast address {@code address}, joined. */
    default void joined(String memberId, String name, String address) {
    }

    /** Member {@code memberId}, node {@code name} at Hazelcast address {@code address}, left or died. */
    default void lost(String memberId, String name, String address) {
    }
}
