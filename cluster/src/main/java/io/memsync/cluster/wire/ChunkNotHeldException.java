package io.memsync.cluster.wire;

import java.io.IOException;

/**
 * A peer answered a pull with {@code NOT_HELD}: it does not serve the region, or its copy is not known to hold the
 * current data (being filled, cut from its owner). The link is fine; another peer may hold the chunk.
 */
public final class ChunkNotHeldException extends IOException {
    private final int reason;

    ChunkNotHeldException(String peer, long region, int index, int reason) {
        super(peer + " does not hold chunk " + index + " of region " + Long.toHexString(region) + " for sure ("
                + (reason == Protocol.NOT_HELD_UNKNOWN_REGION ? "it does not serve the region"
                : "its copy is being filled or lost its owner") + ")");
        this.reason = reason;
    }

    /** {@link Protocol#NOT_HELD_UNKNOWN_REGION} or {@link Protocol#NOT_HELD_INCOMPLETE}. */
    public int reason() {
        return reason;
    }
}
