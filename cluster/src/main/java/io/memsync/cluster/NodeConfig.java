package io.memsync.cluster;

import io.memsync.cluster.wire.ReplicaSink;
import io.memsync.cluster.wire.TlsConfig;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a node joins its cluster and serves data.
 *
 * @param name          shown in logs and to peers
 * @param clusterName   Hazelcast cluster name: nodes join only their own cluster
 * @param host          address Hazelcast and the data plane bind to and advertise (loopback by default)
 * @param hazelcastPort Hazelcast member port
 * @param members       the other members to join, "host:port" (TCP/IP join; multicast is off)
 * @param dataPort      data plane port (0 picks a free one)
 * @param secret        the cluster secret the data plane authenticates with (at least 16 bytes of UTF-8 text: the
 *                      node hands it to its pager processes in their environment)
 * @param syncInterval  how often an owner pushes dirty chunks between flushes
 * @param flushTimeout  how long a flush waits for its replicas; also how long a write to a peer may stay blocked
 *                      before its link is cut
 * @param flushQuorum   how many replicas must acknowledge a flush ({@link ReplicaSink#ALL}: all of them)
 * @param maintenanceInterval how often the node re-checks its regions: takes over orphaned ones, re-places
 *                      replicas, reconnects and refills replicas whose link broke
 * @param migrationPullers background pullers of a migration's destination (0: it pages in only what it touches)
 * @param minClusterSize below this many members the region directory refuses every operation (Hazelcast split-brain
 *                      protection), so a node cut off from the majority cannot act on ownership; 1 turns it off
 * @param tls           TLS on the data plane ({@link TlsConfig#OFF}: none)
 * @param bindAddresses without TLS, bind the data plane's secret handshake to the connection's addresses (refuses
 *                      a relayed handshake; must be off when NAT or a proxy lies between nodes)
 */
public record NodeConfig(String name, String clusterName, String host, int hazelcastPort, List<String> members,
                         int dataPort, byte[] secret, Duration syncInterval, Duration flushTimeout, int flushQuorum,
                         Duration maintenanceInterval, int minClusterSize, int migrationPullers, TlsConfig tls,
                         boolean bindAddresses) {

    /** Without TLS, the handshake bound to the connection's addresses. */
    public NodeConfig(String name, String clusterName, String host, int hazelcastPort, List<String> members,
                      int dataPort, byte[] secret, Duration syncInterval, Duration flushTimeout, int flushQuorum,
                      Duration maintenanceInterval, int minClusterSize, int migrationPullers) {
        this(name, clusterName, host, hazelcastPort, members, dataPort, secret, syncInterval, flushTimeout,
                flushQuorum, maintenanceInterval, minClusterSize, migrationPullers, TlsConfig.OFF, true);
    }

    public NodeConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(clusterName, "clusterName");
        Objects.requireNonNull(tls, "tls");
        members = List.copyOf(members);
        if (secret == null || secret.length < 16) {
            throw new IllegalArgumentException("the cluster secret must be at least 16 bytes (memsync.secret)");
        }
        if (hazelcastPort <= 0 || hazelcastPort > 65535 || dataPort < 0 || dataPort > 65535) {
            throw new IllegalArgumentException("ports must be in [1, 65535] (data port 0: any), got Hazelcast "
                    + hazelcastPort + ", data " + dataPort);
        }
        if (flushQuorum < ReplicaSink.ALL) {
            throw new IllegalArgumentException("flush quorum " + flushQuorum + " is negative (-1: all replicas)");
        }
        if (migrationPullers < 0 || migrationPullers > 64) {
            throw new IllegalArgumentException("migration pullers " + migrationPullers + " outside [0, 64]");
        }
        if (minClusterSize < 1) {
            throw new IllegalArgumentException("minimum cluster size " + minClusterSize + " is below 1");
        }
        if (flushTimeout.toMillis() < 200 || maintenanceInterval.toMillis() < 10) {
            throw new IllegalArgumentException("flush timeout must be at least 200 ms and the maintenance interval"
                    + " at least 10 ms, got " + flushTimeout + " and " + maintenanceInterval);
        }
    }

    /** This configuration with another flush quorum. */
    public NodeConfig withFlushQuorum(int quorum) {
        return new NodeConfig(name, clusterName, host, hazelcastPort, members, dataPort, secret, syncInterval,
                flushTimeout, quorum, maintenanceInterval, minClusterSize, migrationPullers, tls, bindAddresses);
    }

    /** This configuration with another number of background pullers on a migration's destination. */
    public NodeConfig withMigrationPullers(int pullers) {
        return new NodeConfig(name, clusterName, host, hazelcastPort, members, dataPort, secret, syncInterval,
                flushTimeout, flushQuorum, maintenanceInterval, minClusterSize, pullers, tls, bindAddresses);
    }

    /** This configuration with TLS {@code tls} and address binding {@code bind} on the data plane. */
    public NodeConfig withDataPlaneSecurity(TlsConfig tls, boolean bind) {
        return new NodeConfig(name, clusterName, host, hazelcastPort, members, dataPort, secret, syncInterval,
                flushTimeout, flushQuorum, maintenanceInterval, minClusterSize, migrationPullers, tls, bind);
    }

    /**
     * A loopback node with a 2 ms push interval, a 10 s flush timeout that all replicas must meet, maintenance every
     * second, no split-brain protection and 4 pullers on a migration's destination.
     */
    public static NodeConfig loopback(String name, String clusterName, int hazelcastPort, List<String> members,
                                      byte[] secret) {
        return new NodeConfig(name, clusterName, "127.0.0.1", hazelcastPort, members, 0, secret,
                Duration.ofMillis(2), Duration.ofSeconds(10), ReplicaSink.ALL, Duration.ofSeconds(1), 1, 4);
    }
}
