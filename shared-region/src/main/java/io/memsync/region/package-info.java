/**
 * The core of memsync: a {@link io.memsync.region.Region} (shmem mapped {@code MAP_SHARED}), how it splits into
 * chunks ({@link io.memsync.region.ChunkLayout}), sets of chunks, and the small interfaces through which everything
 * else talks to the outside: {@link io.memsync.region.ChunkSource}, {@link io.memsync.region.ChunkSink},
 * {@link io.memsync.region.ChunkStore}.
 * <p>
 * May use: the JDK and {@code io.memsync.region.linux}; {@code io.memsync.region.track} for
 * {@link io.memsync.region.Region#startTracking} (a cycle being removed). Knows nothing of pagers, stores, the
 * network or Hazelcast.
 */
package io.memsync.region;
