package io.memsync.region.chronicle;

import net.openhft.chronicle.bytes.PointerBytesStore;
import net.openhft.chronicle.bytes.VanillaBytes;
import net.openhft.chronicle.core.io.ClosedIllegalStateException;

import java.lang.foreign.MemorySegment;

/**
 * A Chronicle store over a native {@link MemorySegment}'s memory, in place. Chronicle reaches the memory by raw
 * address, so it cannot see the segment's scope: new {@code Bytes} are refused once the segment is gone, but
 * {@code Bytes} made before then are not, and must not be used after it.
 */
class SegmentBytesStore extends PointerBytesStore {
    /** Held so that memory freed by the garbage collector (an automatic arena) lives as long as this store. */
    private final MemorySegment segment;

    SegmentBytesStore(MemorySegment segment) {
        this.segment = segment;
        super.set(segment.address(), segment.byteSize());
        // Chronicle may insist that a reference-counted resource stays on one thread; a store over shared memory
        // is meant for many (each making its own Bytes), as the segment is.
        singleThreadedCheckDisabled(true);
    }

    final void checkAlive() {
        if (!segment.scope().isAlive()) {
            throw new ClosedIllegalStateException("the memory behind this BytesStore was released (its memsync region "
                    + "or arena is closed); make a new store from an open region with ChronicleRegions");
        }
    }

    /** Refused: a store bound to a segment must not be re-pointed at other memory. */
    @Override
    public void set(long address, long capacity) {
        throw new UnsupportedOperationException("this BytesStore is bound to a MemorySegment and cannot be re-pointed; "
                + "make another with ChronicleRegions, or use BytesStore.nativePointer() for a re-pointable one");
    }

    /** Bytes over the whole segment, bounded by it; refused once the segment's memory is gone. */
    @Override
    public VanillaBytes<Void> bytesForWrite() {
        checkAlive();
        VanillaBytes<Void> bytes = super.bytesForWrite();
        // PointerBytesStore (2026.4) starts its Bytes with writeLimit Bytes.MAX_CAPACITY, so a stream running off
        // the end would write past the mapping (a SIGSEGV here). Bytes.writeLimit(long) and clear() cap at
        // capacity(), so this bound holds for the life of the Bytes.
        bytes.writeLimit(realCapacity());
        return bytes;
    }
}
