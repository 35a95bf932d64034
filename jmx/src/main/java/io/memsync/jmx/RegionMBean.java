package io.memsync.jmx;

import javax.management.MBeanOperationInfo;

/**
 * The management interface of this node's copy of a region, registered as {@code io.memsync:type=Region,name=NAME}
 * while the copy exists. Push counters describe this node's current syncer: they start again when it becomes owner.
 */
@Description("This node's copy of a memsync region: its role, geometry, replication and paging counters, migration"
        + " state, and operations on it. Notifications: ownership changes, migration phases and replica lag of this"
        + " region.")
public interface RegionMBean {
    @Description("The region's name")
    String getName();

    @Description("This copy's role: OWNER (writable, pushes to the replicas), REPLICA (read-only, fed by the owner) or"
            + " LEARNER (a migration's destination being paged in)")
    String getRole();

    @Description("Node name of the region's owner, from the region directory")
    String getOwner();

    @Description("The fencing token this copy follows; raised by every change of owner")
    long getToken();

    @Description("The epoch this copy is at: on the owner the last epoch ended by a flush, on a replica the last"
            + " epoch applied here")
    long getEpoch();

    @Description("Size of the region in bytes")
    long getSizeBytes();

    @Description("Size of a chunk in bytes: the unit that is tracked, pushed and pulled")
    int getChunkSize();

    @Description("Number of chunks in the region")
    int getChunkCount();

    @Description("On the owner: chunks found written but not pushed yet because a push failed (retried next cycle;"
            + " writes the tracker has not collected yet are not counted); -1 elsewhere")
    long getDirtyChunks();

    @Description("Chunks present in this copy: all but those a paged copy has not pulled in yet")
    long getPresentChunks();

    @Description("Present chunks over all chunks, from 0 to 1")
    double getAvailability();

    @Description("On the owner: bytes this node's syncer pushed to the replicas (0 elsewhere)")
    long getBytesPushed();

    @Description("On the owner: chunks this node's syncer pushed to the replicas (0 elsewhere)")
    long getChunksPushed();

    @Description("On the owner: push cycles completed by the syncer, background and flushes (0 elsewhere)")
    long getSyncCycles();

    @Description("On the owner: background push cycles that failed (their chunks stay pending and are retried)")
    long getSyncFailures();

    @Description("On the owner: duration of the last push cycle (collect and push) in microseconds")
    long getLastSyncMicros();

    @Description("Whether pushing is paused (pauseSync): nothing goes to the replicas and flushes fail")
    boolean isSyncPaused();

    @Description("Bytes the pager processes pulled into this copy (a paged copy: a migration destination); 0"
            + " otherwise")
    long getBytesPulled();

    @Description("Chunks the pager processes pulled into this copy, on faults and in the background; 0 if not paged")
    long getChunksPulled();

    @Description("Page faults on this copy served by its pagers (a thread touched a chunk not present yet); 0 if"
            + " not paged")
    long getFaultCount();

    @Description("Median time from a fault to the install of its chunk, in microseconds; 0 before any fault")
    long getFaultLatencyP50Micros();

    @Description("99th percentile of the time from a fault to the install of its chunk, in microseconds")
    long getFaultLatencyP99Micros();

    @Description("Longest time from a fault to the install of its chunk, in microseconds")
    long getFaultLatencyMaxMicros();

    @Description("On the owner: how many epochs (flushes) the furthest replica is behind (a replica being filled"
            + " counts every epoch); -1 on a copy that is not the owner's")
    long getReplicaLagEpochs();

    @Description("On the owner: each replica as \"name uuid lag=N\" (epochs behind); on other copies the replicas"
            + " the directory names, with the epoch each acknowledged")
    String[] getReplicas();

    @Description("How the owner finds written chunks: wp (userfaultfd write-protect), hash (CRC32C compare) or"
            + " explicit; \"none\" on a copy that is not the owner's")
    String getTracker();

    @Description("Tuning knob: milliseconds between the owner's background pushes (at least 1). Set on any copy, it"
            + " applies to this node's syncer whenever this node owns the region")
    long getSyncIntervalMillis();

    void setSyncIntervalMillis(long millis);

    @Description("Phase of the last migration of this region started on this node: PREPARING, PRECOPY, HANDOVER,"
            + " DONE, FAILED, CANCELLED, or NONE")
    String getMigrationPhase();

    @Description("Node name of the last migration's destination; empty if none was started here")
    String getMigrationDestination();

    @Description("Share of the region the last migration's destination reported paged in (0 to 1); 0 if none")
    double getMigrationDestinationAvailability();

    @Description("How long the writers were paused for the last migration's handover, in milliseconds; -1 if no"
            + " migration from this node reached it")
    double getLastMigrationPauseMillis();

    @Description(value = "Flushes the region (on its owner only): returns once the replicas acknowledged every write"
            + " made before the call, with how long that took", impact = MBeanOperationInfo.ACTION)
    String flush();

    @Description(value = "CRC32C of this copy, in hex (a copy still being paged in is paged in first)",
            impact = MBeanOperationInfo.INFO)
    String checksum();

    @Description(value = "Migrates the region's ownership to another member and waits until it is done; the owner"
            + " runs it (asked through the cluster if that is not this node) and needs a WriterControl. Returns a"
            + " one-line result with the writers' pause in milliseconds", impact = MBeanOperationInfo.ACTION_INFO)
    String migrateTo(@Param(name = "member", value = "The destination: a member's node name or uuid") String member);

    @Description(value = "Starts migrating the region's ownership to another member and returns at once; follow it"
            + " with MigrationPhase on the owner or memsync.migration.phase notifications",
            impact = MBeanOperationInfo.ACTION)
    String startMigration(@Param(name = "member", value = "The destination: a member's node name or uuid")
                          String member);

    @Description(value = "Asks the migration of this region started on this node to stop before its handover; this"
            + " node stays owner with nothing lost", impact = MBeanOperationInfo.ACTION)
    String cancelMigration();

    @Description(value = "Pauses the owner's pushes: nothing goes to the replicas and flushes fail until resumeSync;"
            + " writes are kept by the tracker meanwhile. Applies to this node's syncer while it owns the region",
            impact = MBeanOperationInfo.ACTION)
    String pauseSync();

    @Description(value = "Resumes the owner's pushes: what was written while paused goes out with the next cycle",
            impact = MBeanOperationInfo.ACTION)
    String resumeSync();
}
