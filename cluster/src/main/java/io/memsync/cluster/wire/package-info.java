/**
 * The data plane: memsync's binary protocol over TCP (docs/protocol.md). A {@link io.memsync.cluster.wire.DataServer}
 * serves regions to authenticated peers; a {@link io.memsync.cluster.wire.PeerLink} is one authenticated connection
 * to such a server, over which {@link io.memsync.cluster.wire.ReplicaSink} pushes chunks with epoch barriers and
 * {@link io.memsync.cluster.wire.RemoteChunkSource} pulls them. Chunk bytes go between mapped memory and the socket
 * without passing through the Java heap.
 */
package io.memsync.cluster.wire;
