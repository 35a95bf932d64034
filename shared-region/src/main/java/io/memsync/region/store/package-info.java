/**
 * Chunk stores: memory, a single file, a directory with a file per chunk. Each is a
 * {@link io.memsync.region.ChunkSource} and a {@link io.memsync.region.ChunkSink};
 * {@link io.memsync.region.store.RegionImages} saves a region to one and loads it back.
 */
package io.memsync.region.store;
