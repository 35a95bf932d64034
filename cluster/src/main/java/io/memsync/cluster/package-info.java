/**
 * memsync nodes: regions kept in sync between JVMs on different hosts. {@link io.memsync.cluster.Node} is the
 * public face (create, mount, migrate, listen); behind it, one part per job: {@code Membership} (the embedded
 * Hazelcast member, members' names and data endpoints), {@code Copies} (the copies held here),
 * {@code OwnerPipeline} (how any copy becomes an owner's), {@code Placement} (an owner's replicas),
 * {@code Failover} (claims, promotions, demotions), {@code MigrationSource} and {@code MigrationDestination},
 * {@code Mounts}, and {@code Maintenance}, which decides per region what this node must do. One
 * {@code Conductor} thread makes every change of cluster state; {@code Workers} run the long jobs.
 * <p>
 * The {@link io.memsync.cluster.RegionDirectory} (a Hazelcast map of signed records, each change a compare-and-set)
 * is the truth about owners, tokens, replicas and what each replica holds; what a node reads from Hazelcast is
 * verified first ({@code io.memsync.cluster.control}). Owns: the control plane. Uses: the data plane
 * ({@code io.memsync.cluster.wire}), regions, trackers, syncers and lazy regions ({@code io.memsync.region.*}),
 * Hazelcast. Never imports the jmx or agent modules.
 */
package io.memsync.cluster;
