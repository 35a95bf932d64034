package io.memsync.region.track;

import io.memsync.region.ChunkLayout;
import io.memsync.region.linux.KernelFeatures;

import java.lang.foreign.MemorySegment;

/** Opens the tracker a {@link TrackerKind} names, resolving {@link TrackerKind#AUTO} by what the kernel offers. */
public final class Trackers {
    private Trackers() {
    }

    /** What {@link TrackerKind#AUTO} means on this machine. */
    public static TrackerKind resolve(TrackerKind kind) {
        if (kind != TrackerKind.AUTO) {
            return kind;
        }
        return KernelFeatures.get().writeProtectTrackingAvailable() ? TrackerKind.WP : TrackerKind.HASH;
    }

    /** Starts tracking writes to {@code mapping}, which {@code layout} splits into chunks. */
    public static DirtyTracker open(TrackerKind kind, MemorySegment mapping, ChunkLayout layout) {
        return switch (resolve(kind)) {
            case WP -> new WriteProtectTracker(mapping, layout);
            case HASH -> new HashTracker(mapping, layout);
            case EXPLICIT -> new ExplicitTracker(mapping, layout);
            case AUTO -> throw new AssertionError("AUTO was resolved");
        };
    }
}
