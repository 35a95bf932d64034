/**
 * The test harness every module's tests share, shipped in the cluster module's test jar and in no production jar:
 * {@link io.memsync.cluster.testkit.Fixtures} (the one cluster secret, the one bounded wait),
 * {@link io.memsync.cluster.testkit.FreePorts} (ports for nodes started together),
 * {@link io.memsync.cluster.testkit.TestNodes} (loopback nodes in the test's JVM),
 * {@link io.memsync.cluster.testkit.NodeMain} (a node as a process driven by stdin commands, with
 * {@link io.memsync.cluster.testkit.SequenceWriter}, a replayable writer, for its migrations) and
 * {@link io.memsync.cluster.testkit.LineProcess} (a JVM of its own driven by lines). It uses only the cluster
 * module's public API. The bench module packs {@code FreePorts} into its benchmarks jar.
 */
package io.memsync.cluster.testkit;
