package io.memsync.region.chronicle;

import io.memsync.region.Region;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class ChronicleRegionsTest {
    private static final int SIZE = 1 << 20;
    private static final String LONG_TEXT = "0123456789abcdef".repeat(16);

    private static Region region() {
        return Region.builder("chron-test").size(SIZE).create();
    }

    /** Chronicle writes in native order; the JDK layouts used here are native order too, so they must agree. */
    @Test
    void nativeOrderAssumption() {
        assertEquals(ByteOrder.nativeOrder(), JAVA_LONG.order());
    }

    @Test
    void randomAccessWritesThroughChronicleLandInTheRegion() {
        try (Region region = region()) {
            BytesStore<?, Void> store = ChronicleRegions.bytesStore(region);
            MemorySegment segment = region.segment();

            store.writeLong(8, 0x1122334455667788L);
            store.writeInt(4093, 0xCAFEBABE);              // unaligned, across a page boundary
            store.writeDouble(SIZE - 8, Math.PI);          // last 8 bytes
            store.writeByte(SIZE / 2, (byte) -3);
            long end = store.writeUtf8(1000, "héllo ✓");

            assertEquals(0x1122334455667788L, segment.get(JAVA_LONG, 8));
            assertEquals(0xCAFEBABE, segment.get(JAVA_INT_UNALIGNED, 4093));
            assertEquals(Math.PI, segment.get(JAVA_DOUBLE_UNALIGNED, SIZE - 8));
            assertEquals((byte) -3, segment.get(JAVA_BYTE, SIZE / 2));
            byte[] utf8 = "héllo ✓".getBytes(StandardCharsets.UTF_8);
            assertEquals(utf8.length, segment.get(JAVA_BYTE, 1000), "stop-bit length prefix is the UTF-8 length");
            assertArrayEquals(utf8, segment.asSlice(1001, utf8.length).toArray(JAVA_BYTE));
            assertEquals(1001 + utf8.length, end);
            assertEquals(0, segment.get(JAVA_LONG, 0), "nothing written outside the requested offsets");
        }
    }

    @Test
    void streamingBytesWriteInPlaceAndReadBackThroughTheSegment() {
        try (Region region = region()) {
            Bytes<Void> bytes = ChronicleRegions.bytesStore(region).bytesForWrite();
            bytes.writeLong(-1L).writeInt(7).writeUtf8("abc").writeStopBit(300).append(1.5);
            long written = bytes.writePosition();

            MemorySegment s = region.segment();
            assertEquals(-1L, s.get(JAVA_LONG_UNALIGNED, 0));
            assertEquals(7, s.get(JAVA_INT_UNALIGNED, 8));
            assertEquals(3, s.get(JAVA_BYTE, 12));
            assertEquals("abc", new String(s.asSlice(13, 3).toArray(JAVA_BYTE), StandardCharsets.UTF_8));
            // 300 in stop-bit encoding: low 7 bits with the continuation bit, then the rest.
            assertEquals((byte) (0x80 | (300 & 0x7F)), s.get(JAVA_BYTE, 16));
            assertEquals((byte) (300 >>> 7), s.get(JAVA_BYTE, 17));
            assertEquals("1.5", new String(s.asSlice(18, 3).toArray(JAVA_BYTE), StandardCharsets.US_ASCII));
            assertEquals(21, written);

            // And Chronicle reads its own stream back from the same memory.
            Bytes<Void> in = ChronicleRegions.bytesStore(region).bytesForRead();
            in.readLimit(written);
            assertEquals(-1L, in.readLong());
            assertEquals(7, in.readInt());
            assertEquals("abc", in.readUtf8());
            assertEquals(300, in.readStopBit());
            assertEquals(1.5, in.parseDouble());
        }
    }

    @Test
    void writesThroughTheSegmentAreVisibleToChronicle() {
        try (Region region = region()) {
            BytesStore<?, Void> store = ChronicleRegions.bytesStore(region);
            MemorySegment s = region.segment();
            s.set(JAVA_LONG, 64, 987654321L);
            byte[] utf8 = "zürich".getBytes(StandardCharsets.UTF_8);
            s.set(JAVA_BYTE, 200, (byte) utf8.length);
            MemorySegment.copy(MemorySegment.ofArray(utf8), 0, s, 201, utf8.length);

            assertEquals(987654321L, store.readLong(64));
            Bytes<Void> in = store.bytesForRead();
            in.readPosition(200);
            assertEquals("zürich", in.readUtf8());
            in.readPosition(64);
            assertEquals(987654321L, in.readLong());

            s.set(JAVA_LONG, 64, 5L);  // no copy was taken: the store sees later writes too
            assertEquals(5L, store.readLong(64));
            assertEquals(5L, store.readVolatileLong(64));
        }
    }

    @Test
    void storePointsAtTheRegionAndIsBoundedByIt() {
        try (Region region = region()) {
            BytesStore<?, Void> store = ChronicleRegions.bytesStore(region);
            assertEquals(region.segment().address(), store.addressForRead(0));
            assertEquals(SIZE, store.capacity());
            assertEquals(SIZE, store.realCapacity());
            assertTrue(store.isDirectMemory());

            // Chronicle's PointerBytesStore alone hands out Bytes with an unbounded writeLimit: running off the
            // end of the region would then write past the mapping and crash the JVM. Ours stop at the region.
            Bytes<Void> bytes = store.bytesForWrite();
            assertEquals(SIZE, bytes.writeLimit());
            assertEquals(SIZE, bytes.capacity());
            assertFalse(bytes.isElastic());
            bytes.writeSkip(SIZE - 8);
            bytes.writeLong(42L);                                   // exactly fills the region
            assertThrows(BufferOverflowException.class, () -> bytes.writeByte((byte) 1));
            assertThrows(BufferOverflowException.class, () -> bytes.writeLong(SIZE - 7, 1L));
            assertThrows(BufferOverflowException.class, () -> bytes.writeLong(SIZE, 1L));
            assertThrows(BufferOverflowException.class, () -> bytes.writeLimit(SIZE + 1L));
            bytes.clear();
            assertEquals(SIZE, bytes.writeLimit(), "clear() restores the region's bound, not an unbounded one");
            // A fixed store: Bytes must not grow into fresh memory, which would silently stop sharing.
            assertEquals(SIZE, bytes.realCapacity());
            assertTrue(bytes.bytesStore() == store, "Bytes still write to the region's store");
            assertEquals(42L, region.segment().get(JAVA_LONG, SIZE - 8));

            Bytes<Void> in = store.bytesForRead();
            assertEquals(SIZE, in.readLimit());
            in.readPosition(SIZE - 8);
            assertEquals(42L, in.readLong());
            assertThrows(BufferUnderflowException.class, in::readByte);
        }
    }

    @Test
    void chunkAndSliceStoresAddressTheirOwnPart() {
        try (Region region = region()) {
            int chunk = 3;
            BytesStore<?, Void> store = ChronicleRegions.bytesStore(region.chunk(chunk));
            assertEquals(region.layout().chunkSize(), store.capacity());
            store.bytesForWrite().writeLong(77L);
            assertEquals(77L, region.segment().get(JAVA_LONG, region.layout().offsetOf(chunk)));
            assertEquals(0L, region.segment().get(JAVA_LONG, 0));
        }
    }

    @Test
    void sharedMappingsSeeChronicleWrites() {
        Path path = Path.of("/dev/shm", "memsync-chron-test-" + ProcessHandle.current().pid());
        try (Region created = Region.builder("chron-shared").size(SIZE).sharedPath(path).create();
             Region other = Region.open(path, created.layout().chunkSize())) {
            assertTrue(created.segment().address() != other.segment().address(), "two separate mappings");
            ChronicleRegions.bytesStore(created).bytesForWrite().writeSkip(4096).writeUtf8("across mappings");
            Bytes<Void> in = ChronicleRegions.readOnlyBytesStore(other).bytesForRead();
            in.readPosition(4096);
            assertEquals("across mappings", in.readUtf8());
        }
    }

    @Test
    void readOnlyStoreReadsTheRegion() {
        try (Region region = region()) {
            BytesStore<?, Void> ro = ChronicleRegions.readOnlyBytesStore(region);
            region.segment().set(JAVA_LONG, 16, 1234L);
            assertEquals(1234L, ro.readLong(16));
            assertEquals(SIZE, ro.capacity());
            Bytes<Void> in = ro.bytesForRead();
            assertEquals(SIZE, in.readRemaining());
            in.readPosition(16);
            assertEquals(1234L, in.readLong());

            // Copying out is a read of the region, so it works; the guard stops only writes into it.
            byte[] out = new byte[8];
            ro.read(16, out, 0, 8);
            assertEquals(1234L, MemorySegment.ofArray(out).get(JAVA_LONG_UNALIGNED, 0));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment target = arena.allocate(64);
                BytesStore<?, Void> dst = ChronicleRegions.bytesStore(target);
                dst.write(0, ro, 16, 8);
                assertEquals(1234L, target.get(JAVA_LONG_UNALIGNED, 0));
                ro.bytesForRead().readPosition(16).readLimit(24).copyTo(dst);
                assertEquals(1234L, target.get(JAVA_LONG_UNALIGNED, 0));
            }
        }
    }

    @Test
    void readOnlyStoreRefusesEveryWriteAndLeavesTheMemoryAlone() {
        try (Region region = region(); Arena arena = Arena.ofConfined()) {
            MemorySegment s = region.segment();
            for (long i = 0; i < SIZE; i += 8) {
                s.set(JAVA_LONG, i, i * 0x9E3779B97F4A7C15L);
            }
            MemorySegment before = arena.allocate(SIZE).copyFrom(s);
            assertEquals(0L, s.get(JAVA_LONG, 0), "bytes [0, 8) stay zero, for the zeroOut case below");

            BytesStore<?, Void> ro = ChronicleRegions.readOnlyBytesStore(region);
            Bytes<Void> b = ro.bytesForRead();
            b.readPosition(0);
            BytesStore<?, byte[]> source = BytesStore.wrap(new byte[64]);
            Map<String, Executable> writes = new LinkedHashMap<>();
            writes.put("bytesForWrite", ro::bytesForWrite);
            writes.put("store.writeByte", () -> ro.writeByte(0, (byte) 1));
            writes.put("store.writeInt", () -> ro.writeInt(4, 1));
            writes.put("store.writeLong", () -> ro.writeLong(8, 1L));
            writes.put("store.writeOrderedLong", () -> ro.writeOrderedLong(8, 1L));
            writes.put("store.writeVolatileLong", () -> ro.writeVolatileLong(8, 1L));
            writes.put("store.writeDouble", () -> ro.writeDouble(8, 1.0));
            writes.put("store.compareAndSwapLong", () -> ro.compareAndSwapLong(8, 8 * 0x9E3779B97F4A7C15L, 1L));
            writes.put("store.compareAndSwapInt", () -> ro.compareAndSwapInt(0, 0, 1));
            writes.put("store.write(byte[])", () -> ro.write(0, new byte[16]));
            writes.put("store.write(BytesStore)", () -> ro.write(0, source, 0, 64));
            writes.put("store.writeUtf8", () -> ro.writeUtf8(0, "x"));
            writes.put("store.write8bit", () -> ro.write8bit(0, "abc", 0, 3));
            writes.put("store.write8bit(long text)", () -> ro.write8bit(0, LONG_TEXT, 0, LONG_TEXT.length()));
            writes.put("store.zeroOut", () -> ro.zeroOut(0, 64));
            writes.put("store.zeroOut(already zero)", () -> ro.zeroOut(0, 8));  // refused, though it changes nothing
            writes.put("store.move", () -> ro.move(64, 0, 64));
            writes.put("store.addressForWrite", () -> ro.addressForWrite(0));
            writes.put("bytes.writeLong", () -> b.writeLong(1L));
            writes.put("bytes.writeLong(offset)", () -> b.writeLong(0, 1L));
            writes.put("bytes.writeUtf8", () -> b.writeUtf8("hello"));
            writes.put("bytes.write8bit", () -> b.write8bit("hello"));
            writes.put("bytes.write8bit(long text)", () -> b.write8bit(LONG_TEXT));
            writes.put("bytes.append(long text)", () -> b.append(LONG_TEXT));
            writes.put("bytes.append(String)", () -> b.append("hello"));
            writes.put("bytes.append(long)", () -> b.append(123456789L));
            writes.put("bytes.append(double)", () -> b.append(3.25));
            writes.put("bytes.appendUtf8", () -> b.appendUtf8("héllo"));
            writes.put("bytes.write(byte[])", () -> b.write(new byte[32]));
            writes.put("bytes.write(BytesStore)", () -> b.write(source));
            writes.put("bytes.writeStopBit", () -> b.writeStopBit(300));
            writes.put("bytes.zeroOut", () -> b.zeroOut(0, 64));
            MemorySegment raw = arena.allocate(64);
            writes.put("bytes.unsafeWrite(address)", () -> b.unsafeWrite(raw.address(), 8));
            writes.put("bytes.append(double, places)", () -> b.append(2.5, 3));
            writes.put("bytes.append(float)", () -> b.append(2.5f));
            List<String> notRefused = new ArrayList<>();
            for (Map.Entry<String, Executable> write : writes.entrySet()) {
                b.writePosition(0);
                try {
                    write.getValue().execute();
                    notRefused.add(write.getKey());
                } catch (Throwable t) {
                    if (!isRefusal(t)) {
                        fail(write.getKey() + " failed with something other than a read-only refusal", t);
                    }
                }
            }
            assertEquals(List.of(), notRefused, "writes that went through a read-only store");
            // Untouched, a read Bytes' write position is at the end: Chronicle's own bound refuses first.
            assertThrows(BufferOverflowException.class, () -> ro.bytesForRead().writeLong(1L));
            assertEquals(-1L, before.mismatch(s), "the region is unchanged");
        }
    }

    /** A refusal is our UnsupportedOperationException, possibly wrapped by Chronicle on the way out. */
    private static boolean isRefusal(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof UnsupportedOperationException && c.getMessage() != null
                    && c.getMessage().contains("read-only Chronicle BytesStore")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void readOnlySegmentsAndHeapSegmentsAreRefusedWithAPointer() {
        try (Region region = region()) {
            IllegalArgumentException readOnly = assertThrows(IllegalArgumentException.class,
                    () -> ChronicleRegions.bytesStore(region.readOnlyView()));
            assertTrue(readOnly.getMessage().contains("readOnlyBytesStore"), readOnly.getMessage());
            // The read-only view itself is fine for a read-only store.
            region.segment().set(JAVA_LONG, 0, 9L);
            assertEquals(9L, ChronicleRegions.readOnlyBytesStore(region.readOnlyView()).readLong(0));
        }
        MemorySegment heap = MemorySegment.ofArray(new byte[64]);
        for (Executable call : new Executable[]{
                () -> ChronicleRegions.bytesStore(heap),
                () -> ChronicleRegions.readOnlyBytesStore(heap),
                () -> ChronicleRegions.readOnlyBytesStore(heap.asReadOnly())}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
            assertTrue(e.getMessage().contains("heap") && e.getMessage().contains("Region.segment()"),
                    e.getMessage());
        }
    }

    @Test
    void closedRegionsAreRefused() {
        Region region = region();
        BytesStore<?, Void> store = ChronicleRegions.bytesStore(region);
        BytesStore<?, Void> ro = ChronicleRegions.readOnlyBytesStore(region);
        MemorySegment segment = region.segment();
        region.close();

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ChronicleRegions.bytesStore(region));
        assertTrue(e.getMessage().contains("chron-test is closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> ChronicleRegions.readOnlyBytesStore(region));
        assertThrows(IllegalStateException.class, () -> ChronicleRegions.bytesStore(segment));
        // New Bytes over unmapped memory would crash the JVM on first use: they are refused instead.
        assertTrue(assertThrows(IllegalStateException.class, store::bytesForWrite).getMessage().contains("closed"));
        assertThrows(IllegalStateException.class, store::bytesForRead);
        assertThrows(IllegalStateException.class, ro::bytesForRead);
    }

    @Test
    void storeCannotBeRepointed() {
        try (Region region = region()) {
            BytesStore<?, Void> store = ChronicleRegions.bytesStore(region);
            net.openhft.chronicle.bytes.PointerBytesStore pointer =
                    assertInstanceOf(net.openhft.chronicle.bytes.PointerBytesStore.class, store);
            assertThrows(UnsupportedOperationException.class, () -> pointer.set(region.segment().address(), 8));
            assertEquals(SIZE, store.capacity());
        }
    }

    @Test
    void oneStoreServesSeveralThreads() throws Exception {
        try (Region region = region(); ExecutorService pool = Executors.newFixedThreadPool(4)) {
            BytesStore<?, Void> store = ChronicleRegions.bytesStore(region);
            int threads = 4;
            int perThread = SIZE / threads / 8;
            CountDownLatch start = new CountDownLatch(1);
            Future<?>[] done = new Future<?>[threads];
            for (int t = 0; t < threads; t++) {
                int id = t;
                done[t] = pool.submit(() -> {
                    start.await();
                    Bytes<Void> bytes = store.bytesForWrite();
                    bytes.writePosition((long) id * perThread * 8);
                    for (int i = 0; i < perThread; i++) {
                        bytes.writeLong(((long) id << 32) | i);
                    }
                    return null;
                });
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get();
            }
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < perThread; i += 997) {
                    assertEquals(((long) t << 32) | i, region.segment().get(JAVA_LONG, ((long) t * perThread + i) * 8));
                }
            }
        }
    }
}
