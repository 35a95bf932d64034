package io.memsync.region.track;

import io.memsync.region.ChunkLayout;
import io.memsync.region.Region;
import io.memsync.region.linux.KernelFeatures;
import io.memsync.region.linux.LinuxException;

import java.lang.foreign.MemorySegment;

/**
 * Opens the tracker a {@link TrackerKind} names. {@link TrackerKind#AUTO} means the system property
 * {@value #PROPERTY} when it is set (an operator's override), else the best the kernel offers: the
 * {@link AdaptiveTracker}, which switches between {@code wp} and {@code hash} by what each costs here, unless
 * {@code wp} is missing, or must lock its range (a kernel whose PAGEMAP_SCAN can miss dropped writes) and the
 * locked-memory limit refuses; then {@code hash}.
 */
public final class Trackers {
    private static final System.Logger LOG = System.getLogger(Trackers.class.getName());
    /** System property that overrides what {@link TrackerKind#AUTO} picks: auto, wp, hash or explicit. */
    public static final String PROPERTY = "memsync.tracker";

    private Trackers() {
    }

    /** What {@link TrackerKind#AUTO} means here; a named kind means itself. */
    public static TrackerKind resolve(TrackerKind kind) {
        if (kind != TrackerKind.AUTO) {
            return kind;
        }
        String override = System.getProperty(PROPERTY);
        if (override != null) {
            TrackerKind chosen;
            try {
                chosen = TrackerKind.parse(override);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("-D" + PROPERTY + "=" + override + ": " + e.getMessage(), e);
            }
            if (chosen != TrackerKind.AUTO) {
                return chosen;
            }
        }
        return KernelFeatures.get().writeProtectTrackingAvailable() ? TrackerKind.WP : TrackerKind.HASH;
    }

    /**
     * Starts tracking writes to {@code region} with {@code kind} ({@link TrackerKind#AUTO} picks the best the kernel
     * offers). The region closes the tracker when it closes; closing it earlier is allowed.
     */
    public static DirtyTracker start(Region region, TrackerKind kind) {
        DirtyTracker tracker = open(kind, region.segment(), region.layout(), region.fileDescriptor(), region.name());
        try {
            return region.closeWith(tracker);
        } catch (IllegalStateException closed) {
            tracker.close();
            throw closed;
        }
    }

    /** Starts tracking writes to {@code mapping}, which {@code layout} splits into chunks. */
    public static DirtyTracker open(TrackerKind kind, MemorySegment mapping, ChunkLayout layout) {
        return open(kind, mapping, layout, -1);
    }

    /**
     * Starts tracking writes to {@code mapping} of the file {@code fd} (mapped from offset 0; -1 if unknown),
     * which lets the hash tracker skip the file's holes instead of reading (and so allocating) them.
     */
    public static DirtyTracker open(TrackerKind kind, MemorySegment mapping, ChunkLayout layout, int fd) {
        return open(kind, mapping, layout, fd, "0x" + Long.toHexString(mapping.address()));
    }

    private static DirtyTracker open(TrackerKind kind, MemorySegment mapping, ChunkLayout layout, int fd,
                                     String name) {
        TrackerKind resolved = resolve(kind);
        if (kind == TrackerKind.AUTO && resolved == TrackerKind.WP) {
            try {
                return new AdaptiveTracker(mapping, layout, fd, name);
            } catch (LinuxException e) {
                if (!e.call().equals("mlock2")) {
                    throw e;
                }
                // A kernel that can miss dropped writes, and a locked-memory limit too small for the range.
                LOG.log(System.Logger.Level.WARNING, "tracker AUTO: 'wp' is unusable here (" + e.getMessage()
                        + "); tracking with 'hash' instead");
                return new HashTracker(mapping, layout, fd);
            }
        }
        return switch (resolved) {
            case WP -> new WriteProtectTracker(mapping, layout);
            case HASH -> new HashTracker(mapping, layout, fd);
            case EXPLICIT -> new ExplicitTracker(mapping, layout);
            case AUTO -> throw new AssertionError("AUTO was resolved");
        };
    }
}
