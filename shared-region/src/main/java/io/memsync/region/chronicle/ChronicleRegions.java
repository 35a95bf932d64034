package io.memsync.region.chronicle;

import io.memsync.region.Region;
import net.openhft.chronicle.bytes.BytesStore;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Exposes a memsync {@link Region} (or any native {@link MemorySegment}) as a Chronicle Bytes {@link BytesStore},
 * zero-copy: the store points at the mapped memory itself, so a write through Chronicle is at once visible in
 * {@link Region#segment()} and the other way round.
 * <pre>{@code
 * BytesStore<?, Void> store = ChronicleRegions.bytesStore(region);
 * Bytes<Void> bytes = store.bytesForWrite();
 * bytes.writeLong(42).writeUtf8("hello");
 * }</pre>
 * <b>Lifetime.</b> A store must not be used after its region (or the segment's arena) is closed. Chronicle
 * accesses memory by raw address, outside the checks that make a closed {@code MemorySegment} throw, so a store
 * used after close can crash the JVM or read and write whatever is mapped there next. {@code bytesForWrite()} and
 * {@code bytesForRead()} refuse once the memory is gone; nothing else can.
 * <p>
 * <b>Bounds.</b> As in Chronicle itself, {@code Bytes} check their limits (capacity is the segment's size) but the
 * store's own offset methods ({@code store.writeLong(offset, v)}) do not: prefer {@code Bytes} for untrusted
 * offsets.
 * <p>
 * <b>Threads.</b> A store may be shared by threads; each thread makes its own {@code Bytes}, which are not
 * thread-safe. Chronicle Bytes on JDK 25 needs the JVM flags listed in docs/chronicle.md.
 */
public final class ChronicleRegions {

    private ChronicleRegions() {
    }

    /** A writable store over the whole of {@code region}'s memory; capacity is {@link Region#size()}. */
    public static BytesStore<?, Void> bytesStore(Region region) {
        return bytesStore(open(region).segment());
    }

    /** A store over {@code region}'s {@link Region#readOnlyView()}: reads work, writes throw. */
    public static BytesStore<?, Void> readOnlyBytesStore(Region region) {
        return readOnlyBytesStore(open(region).readOnlyView());
    }

    /**
     * A writable store over a native segment, such as a {@link Region#chunk(int)} or a slice of a region.
     *
     * @throws IllegalArgumentException if the segment is on the heap or read-only
     * @throws IllegalStateException if the segment's memory was already released
     */
    public static BytesStore<?, Void> bytesStore(MemorySegment segment) {
        check(segment);
        if (segment.isReadOnly()) {
            throw new IllegalArgumentException("segment is read-only (such as Region.readOnlyView()): a writable "
                    + "BytesStore would bypass that; use ChronicleRegions.readOnlyBytesStore(segment), or pass a "
                    + "writable segment such as Region.segment()");
        }
        return new SegmentBytesStore(segment);
    }

    /**
     * A store over a native segment (writable or read-only) that refuses writes with
     * {@link UnsupportedOperationException}: {@code bytesForWrite()}, the store's write methods and writes through
     * its {@code bytesForRead()} all throw, and the memory is left as it was.
     *
     * @throws IllegalArgumentException if the segment is on the heap
     * @throws IllegalStateException if the segment's memory was already released
     */
    public static BytesStore<?, Void> readOnlyBytesStore(MemorySegment segment) {
        check(segment);
        return new ReadOnlySegmentBytesStore(segment);
    }

    private static Region open(Region region) {
        Objects.requireNonNull(region, "region");
        if (region.isClosed()) {
            throw new IllegalStateException("region " + region.name() + " is closed: make a BytesStore from an open "
                    + "region");
        }
        return region;
    }

    private static void check(MemorySegment segment) {
        Objects.requireNonNull(segment, "segment");
        if (!segment.isNative()) {
            // Chronicle's native stores take a raw address, which a heap segment does not have.
            throw new IllegalArgumentException("segment is on the Java heap, not native memory: pass "
                    + "Region.segment(), a slice of it, or a segment from an Arena; for a byte[] use Chronicle's own "
                    + "BytesStore.wrap(byte[])");
        }
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("segment's memory was already released (its region or arena is closed)");
        }
    }
}
