package io.memsync.region.chronicle;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.VanillaBytes;

import java.lang.foreign.MemorySegment;

/**
 * A {@link SegmentBytesStore} that refuses writes. Chronicle has no read-only native store, so the refusal is
 * layered: {@link #bytesForWrite()} and {@link #addressForWrite} fail up front (raw-address writers such as
 * {@code Bytes.unsafeWrite} and {@code Bytes.append(double, int)} start there), and a {@link ReadOnlyMemory} under
 * the store catches the writes that go through its {@code memory} field, which {@code Bytes} also use directly.
 * The tests show each layer catching writes the other misses.
 */
final class ReadOnlySegmentBytesStore extends SegmentBytesStore {

    ReadOnlySegmentBytesStore(MemorySegment segment) {
        super(segment);
        memory = new ReadOnlyMemory(memory, segment.address(), segment.byteSize());
    }

    static UnsupportedOperationException refused(String what) {
        return new UnsupportedOperationException("read-only Chronicle BytesStore over memsync memory: " + what
                + " refused; read with bytesForRead(), or write through ChronicleRegions.bytesStore(...)");
    }

    /** Refused: this store is read-only. */
    @Override
    public VanillaBytes<Void> bytesForWrite() {
        throw refused("bytesForWrite()");
    }

    /** Bytes positioned for reading the whole store; writing through them is refused. */
    @Override
    public Bytes<Void> bytesForRead() {
        // What BytesStore.bytesForRead() does, minus its call to our bytesForWrite(), which refuses.
        VanillaBytes<Void> bytes = super.bytesForWrite();
        bytes.readLimit(writeLimit());
        bytes.readPosition(start());
        return bytes;
    }

    /** Refused: a raw address for writing would bypass every other guard. */
    @Override
    public long addressForWrite(long offset) {
        throw refused("addressForWrite(" + offset + ")");
    }

    /** Refused, as {@link #addressForWrite}. */
    @Override
    public long addressForWritePosition() {
        throw refused("addressForWritePosition()");
    }

    /** Refused for any non-empty range. */
    @Override
    public ReadOnlySegmentBytesStore zeroOut(long start, long end) {
        // zeroOut skips words that are already zero, so through the guard alone it would fail only sometimes.
        if (end > start) {
            throw refused("zeroOut(" + start + ", " + end + ")");
        }
        return this;
    }
}
