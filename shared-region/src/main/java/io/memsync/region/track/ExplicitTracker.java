package io.memsync.region.track;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSet;

import java.lang.foreign.MemorySegment;

/** Reports exactly the ranges the application {@link #mark marks}: no kernel help, no scanning. */
public final class ExplicitTracker extends AbstractTracker {

    public ExplicitTracker(MemorySegment mapping, ChunkLayout layout) {
        super(mapping, layout);
    }

    @Override
    public TrackerKind kind() {
        return TrackerKind.EXPLICIT;
    }

    @Override
    protected void collectWrites(ChunkSet dirty) {
        // Marks are everything this tracker knows; AbstractTracker has drained them.
    }
}
