package io.memsync.region.store;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSource;

import java.io.IOException;

/**
 * Opens sources of a kind {@link ChunkSources} does not know itself, found with {@link java.util.ServiceLoader}:
 * how higher layers (the cluster's network source) plug into a pager process, which knows only specs.
 */
public interface ChunkSourceProvider {

    /** The spec prefix this provider opens, for example {@code "tcp"} for {@code tcp:...}. */
    String kind();

    /** Opens the source named by {@code location} (the spec after {@code kind:} and before {@code ?}). */
    ChunkSource open(String location, ChunkLayout layout) throws IOException;
}
