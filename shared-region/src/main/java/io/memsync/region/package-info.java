/**
 * The core of memsync: a {@link io.memsync.region.Region} (shmem mapped {@code MAP_SHARED}), how it splits into
 * chunks ({@link io.memsync.region.ChunkLayout}), sets of chunks, and the small interfaces through which everything
 * else talks to the outside: {@link io.memsync.region.ChunkSource}, {@link io.memsync.region.ChunkSink},
 * {@link io.memsync.region.ChunkStore}.
 * <p>
 * May use: the JDK and {@code io.memsync.region.linux}. Knows nothing of trackers (they use this package: a tracker
 * is started on a region with {@code io.memsync.region.track.Trackers#start}, and the region closes it), pagers,
 * stores, the network or Hazelcast.
 */
package io.memsync.region;
