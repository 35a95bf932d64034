/**
 * An optional adapter to Chronicle Bytes: {@link io.memsync.region.chronicle.ChronicleRegions} shows a region's
 * memory to code written against Chronicle's {@code BytesStore} and {@code Bytes}, in place. Only this package
 * needs net.openhft:chronicle-bytes (an optional dependency) and Chronicle's JVM flags; the rest of memsync
 * uses neither.
 */
package io.memsync.region.chronicle;
