package io.memsync.jmx;

import javax.management.MBeanOperationInfo;

/** The management interface of a memsync node, registered as {@code io.memsync:type=Node}. */
@Description("A memsync node: its cluster membership, the regions it holds, and cluster-wide operations on regions."
        + " Notifications: ownership gained/lost, migration phases, replica lag over the threshold, peer loss.")
public interface NodeMBean {
    @Description("This node's name, from its configuration (NodeConfig.name); other nodes know it by it")
    String getName();

    @Description("This node's Hazelcast member uuid, as the region directory names owners and replicas; it changes"
            + " when the node merges back after a split")
    String getMemberId();

    @Description("The live members of the cluster, one per entry: \"name uuid host:port\" (the Hazelcast address)")
    String[] getMembers();

    @Description("How many members the cluster has now, this node included")
    int getClusterSize();

    @Description("The host:port of this node's data plane (the TCP server peers push chunks to and pull from)")
    String getDataAddress();

    @Description("Names of the regions this node holds a copy of (as owner, replica or migration destination)")
    String[] getRegions();

    @Description("Chunks this node's data server sent to peers that pulled them (mounts, migration destinations)")
    long getChunksServed();

    @Description("Data-plane connections closed because the peer broke the protocol or did not know the cluster"
            + " secret")
    long getConnectionsRefused();

    @Description("Data-plane connections closed unread because too many were authenticating at once, in all or"
            + " from one address (a flood; peers that know the secret keep their connections)")
    long getConnectionsRefusedBeforeAuthentication();

    @Description("Control-plane values this node refused: directory records, endpoints, paging reports and requests"
            + " not signed with the cluster secret, altered, replayed or meant for another member, and foreign"
            + " members; each is logged on one line (docs/security.md)")
    long getControlPlaneRefusals();

    @Description("Chunks of replicas of regions owned here found different from the owner's (written there by"
            + " something other than memsync) and sent again since the start; each time is a memsync.replica.diverged"
            + " notification")
    long getDivergedChunks();

    @Description("Hazelcast members in the cluster now that never proved to know the cluster secret: not"
            + " memsync nodes of this cluster, ignored (find them with the log line naming their address)")
    int getForeignMembers();

    @Description("Tuning knob: a replica more epochs (flushes) behind its owner than this triggers a"
            + " memsync.replica.lag notification (checked every second on the owner); at least 0")
    long getReplicaLagThresholdEpochs();

    void setReplicaLagThresholdEpochs(long epochs);

    @Description(value = "A readable report: the members, and every region in the cluster with its owner, fencing"
            + " token, replicas and their acknowledged epochs (and lag, where this node owns it), and this node's"
            + " role and availability for it", impact = MBeanOperationInfo.INFO)
    String status();

    @Description(value = "CRC32C of every member's copy of a region, computed on each member (a copy still being"
            + " paged in is paged in first), as \"member=crc32c-hex\"; after a flush with the writers idle they are"
            + " all equal", impact = MBeanOperationInfo.INFO)
    String[] checksums(@Param(name = "region", value = "Name of the region") String region);

    @Description(value = "Migrates a region's ownership to another member and waits until it is done (up to the"
            + " migration's timeouts); run by the region's owner, which needs a WriterControl for it. Returns a"
            + " one-line result with the writers' pause in milliseconds", impact = MBeanOperationInfo.ACTION_INFO)
    String migrate(@Param(name = "region", value = "Name of the region to migrate") String region,
                   @Param(name = "member", value = "The destination: a member's node name or uuid") String member);

    @Description(value = "Starts migrating a region's ownership to another member and returns at once; follow it"
            + " with the MigrationPhase attribute of the region's MBean on its owner, or memsync.migration.phase"
            + " notifications", impact = MBeanOperationInfo.ACTION)
    String startMigration(@Param(name = "region", value = "Name of the region to migrate") String region,
                          @Param(name = "member", value = "The destination: a member's node name or uuid")
                          String member);

    @Description(value = "Flushes a region owned by this node: returns once the replicas acknowledged every write"
            + " made before the call", impact = MBeanOperationInfo.ACTION)
    String flush(@Param(name = "region", value = "Name of a region this node owns") String region);

    @Description(value = "Compares every chunk of a region owned by this node with each replica's copy, sends"
            + " again the chunks that differ, and says what it fixed (the background check does it a window at a"
            + " time)", impact = MBeanOperationInfo.ACTION)
    String repair(@Param(name = "region", value = "Name of a region this node owns") String region);
}
