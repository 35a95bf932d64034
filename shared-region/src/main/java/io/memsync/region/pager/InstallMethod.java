package io.memsync.region.pager;

import java.util.Locale;

/**
 * How a pager puts a fetched chunk where the application sees it. All three are atomic for the application: it
 * sees no page of a chunk before the pager has the whole chunk in place.
 */
public enum InstallMethod {
    /** UFFDIO_COPY from the pager's buffer into the application's mapping (needs MISSING on shmem only). */
    COPY,
    /** Fetch straight into the pager's own mapping of the shmem, then UFFDIO_CONTINUE (MINOR mode). */
    MAP,
    /** Fetch into the pager's buffer, pwrite it into the memfd, then UFFDIO_CONTINUE (MINOR mode). */
    WRITE;

    /** Parses "copy", "map" or "write" (case-insensitive), with an error that lists them. */
    public static InstallMethod parse(String name) {
        for (InstallMethod m : values()) {
            if (m.name().equalsIgnoreCase(name.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown install method '" + name + "': choose copy, map or write");
    }

    /** Whether the application's mapping must be registered in MINOR mode for this method. */
    public boolean needsMinor() {
        return this != COPY;
    }

    /** The name {@link #parse} reads: "copy", "map" or "write". */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
