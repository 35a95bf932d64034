package io.memsync.region.track;

import java.util.Locale;

/**
 * The dirty-tracking methods; {@link #AUTO} switches between {@link #WP} and {@link #HASH} by what each costs (see
 * {@link AdaptiveTracker}) where the kernel offers {@code wp}, else is {@link #HASH}.
 */
public enum TrackerKind {
    /**
     * {@link #WP} or {@link #HASH}, whichever costs less for the writes seen (Linux 6.7+ with userfaultfd access;
     * otherwise {@link #HASH}).
     */
    AUTO,
    /** userfaultfd WP_ASYNC + PAGEMAP_SCAN: exact, costs a ~1 us kernel fault on a page's first write per scan. */
    WP,
    /** Per-chunk CRC32C compared with what was last sent: works everywhere, costs a pass over the region. */
    HASH,
    /** Only what the application marks with {@link DirtyTracker#mark}. */
    EXPLICIT;

    /** The configuration name: "auto", "wp", "hash" or "explicit". */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a configuration name (case-insensitive), with an error that lists the choices. */
    public static TrackerKind parse(String name) {
        if (name != null) {
            for (TrackerKind k : values()) {
                if (k.configName().equalsIgnoreCase(name.trim())) {
                    return k;
                }
            }
        }
        throw new IllegalArgumentException("unknown tracker '" + name + "': choose auto, wp, hash or explicit");
    }
}
