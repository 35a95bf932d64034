package io.memsync.cluster;

import java.lang.foreign.ValueLayout;

/**
 * For tests of other modules: writes a copy's memory the way something other than memsync would (a process writing
 * a replica's file), which memsync's own views refuse on a replica.
 */
public final class BehindTheBack {
    private BehindTheBack() {
    }

    /** Writes {@code value} at {@code offset} of {@code copy}'s memory, bypassing memsync. */
    public static void write(ClusterRegion copy, long offset, long value) {
        copy.region().segment().set(ValueLayout.JAVA_LONG_UNALIGNED, offset, value);
    }
}
