/**
 * The data plane: memsync's binary protocol over TCP (docs/protocol.md). A {@link io.memsync.cluster.wire.DataServer}
 * serves regions to authenticated peers; a {@link io.memsync.cluster.wire.PeerLink} is one authenticated connection
 * to such a server, over which {@link io.memsync.cluster.wire.ReplicaSink} pushes chunks with epoch barriers and
 * {@link io.memsync.cluster.wire.RemoteChunkSource} pulls them. Chunk bytes go between mapped memory and the socket
 * without passing through the Java heap. {@link io.memsync.cluster.wire.LinkSecurity} says how a connection is
 * protected: the secret handshake, TLS 1.3 ({@link io.memsync.cluster.wire.TlsConfig}; keys from
 * {@link io.memsync.cluster.wire.TlsKeyMaker}) and what the handshake is bound to.
 */
package io.memsync.cluster.wire;
