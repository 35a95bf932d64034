package io.memsync.cluster;

import io.memsync.region.track.TrackerKind;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How one node keeps a region on its host, where that differs from the defaults ({@link Node#localSettings}).
 *
 * @param file         a shmem file (on a tmpfs) that holds the region's memory here, so that applications and native
 *                     code that map it share it; null for an anonymous memfd
 * @param tracker      how the owner finds written chunks. Write-protect tracking sees writes through memsync's own
 *                     mapping only; a file other code maps and writes wants {@link TrackerKind#HASH}
 * @param pushInterval how often the owner pushes between flushes; null for the node's
 */
public record LocalRegionSettings(Path file, TrackerKind tracker, Duration pushInterval) {
    public LocalRegionSettings {
        Objects.requireNonNull(tracker, "tracker");
        if (pushInterval != null && (pushInterval.isNegative() || pushInterval.isZero())) {
            throw new IllegalArgumentException("push interval " + pushInterval + " must be positive");
        }
    }
}
