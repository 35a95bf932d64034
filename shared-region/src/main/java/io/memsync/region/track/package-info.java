/**
 * Dirty tracking: which chunks of a mapping were written since the last look. One interface,
 * {@link io.memsync.region.track.DirtyTracker}, three ways: {@code wp} (userfaultfd async write-protect plus
 * PAGEMAP_SCAN, exact and nearly free), {@code hash} (per-chunk CRC32C against what was last sent, works on
 * any memory), {@code explicit} (the application says what it wrote).
 */
package io.memsync.region.track;
