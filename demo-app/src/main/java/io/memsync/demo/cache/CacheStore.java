package io.memsync.demo.cache;

import io.memsync.region.chronicle.ChronicleRegions;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * A string key-value table laid out in a memory region, as an application would put a cache in shared memory: an
 * open-addressing hash table of fixed 256-byte slots, each entry encoded with Chronicle Bytes.
 * <pre>
 * slot: [0, 4) CRC32C of [4, 256) | [4] state: 0 empty, 1 live, 2 deleted | [5, ...) key, value (Chronicle UTF-8)
 * </pre>
 * A slot never straddles a chunk (chunks are multiples of 256 bytes), and the checksum makes a slot read while a
 * chunk is being applied on a replica detectable: such a read is retried. Writes happen on the region's owner only;
 * the caller serializes them.
 */
public final class CacheStore {
    public static final int SLOT = 256;
    public static final int MAX_KEY_BYTES = 64;
    public static final int MAX_VALUE_BYTES = 160;
    private static final int PROBES = 64;
    private static final byte EMPTY = 0;
    private static final byte LIVE = 1;
    private static final byte DELETED = 2;

    private CacheStore() {
    }

    /** The value of {@code key} in {@code memory}, or null. */
    public static String get(MemorySegment memory, String key) {
        long slots = memory.byteSize() / SLOT;
        long home = home(key, slots);
        BytesStore<?, Void> store = ChronicleRegions.readOnlyBytesStore(memory.isReadOnly() ? memory
                : memory.asReadOnly());
        for (int p = 0; p < PROBES; p++) {
            long off = ((home + p) % slots) * SLOT;
            for (int attempt = 0; ; attempt++) {
                byte state = memory.get(ValueLayout.JAVA_BYTE, off + 4);
                if (state == EMPTY && memory.get(ValueLayout.JAVA_INT_UNALIGNED, off) == 0) {
                    return null;
                }
                String[] entry = state == LIVE ? read(store, off) : null;
                if (consistent(memory, off)) {
                    if (entry != null && entry[0].equals(key)) {
                        return entry[1];
                    }
                    break;
                }
                if (attempt == 100) {
                    throw new IllegalStateException("slot " + off / SLOT + " stays inconsistent: the region is "
                            + "not a cache, or it is corrupt");
                }
                Thread.onSpinWait();
            }
        }
        return null;
    }

    /** Stores {@code key} = {@code value}; false if the key's neighbourhood is full. Owner only. */
    public static boolean put(MemorySegment memory, String key, String value) {
        check(key, value);
        long slots = memory.byteSize() / SLOT;
        long home = home(key, slots);
        BytesStore<?, Void> store = ChronicleRegions.bytesStore(memory);
        long free = -1;
        for (int p = 0; p < PROBES; p++) {
            long off = ((home + p) % slots) * SLOT;
            byte state = memory.get(ValueLayout.JAVA_BYTE, off + 4);
            if (state == LIVE && read(store, off)[0].equals(key)) {
                write(memory, store, off, key, value);
                return true;
            }
            if (state != LIVE && free < 0) {
                free = off;
            }
            if (state == EMPTY) {
                break;
            }
        }
        if (free < 0) {
            return false;
        }
        write(memory, store, free, key, value);
        return true;
    }

    /** Removes {@code key}; false if it was absent. Owner only. */
    public static boolean delete(MemorySegment memory, String key) {
        long slots = memory.byteSize() / SLOT;
        long home = home(key, slots);
        BytesStore<?, Void> store = ChronicleRegions.bytesStore(memory);
        for (int p = 0; p < PROBES; p++) {
            long off = ((home + p) % slots) * SLOT;
            byte state = memory.get(ValueLayout.JAVA_BYTE, off + 4);
            if (state == EMPTY) {
                return false;
            }
            if (state == LIVE && read(store, off)[0].equals(key)) {
                memory.asSlice(off + 5, SLOT - 5).fill((byte) 0);
                memory.set(ValueLayout.JAVA_BYTE, off + 4, DELETED);
                seal(memory, off);
                return true;
            }
        }
        return false;
    }

    /** Live entries: a pass over every slot. */
    public static long count(MemorySegment memory) {
        long n = 0;
        for (long off = 4; off < memory.byteSize(); off += SLOT) {
            n += memory.get(ValueLayout.JAVA_BYTE, off) == LIVE ? 1 : 0;
        }
        return n;
    }

    static void check(String key, String value) {
        if (key == null || key.isEmpty() || key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("a key is 1 to " + MAX_KEY_BYTES + " bytes of UTF-8");
        }
        if (value == null || value.getBytes(StandardCharsets.UTF_8).length > MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("a value is at most " + MAX_VALUE_BYTES + " bytes of UTF-8");
        }
    }

    private static void write(MemorySegment memory, BytesStore<?, Void> store, long off, String key, String value) {
        memory.asSlice(off + 5, SLOT - 5).fill((byte) 0);
        Bytes<Void> out = store.bytesForWrite();
        out.writePosition(off + 5);
        out.writeUtf8(key);
        out.writeUtf8(value);
        memory.set(ValueLayout.JAVA_BYTE, off + 4, LIVE);
        seal(memory, off);
    }

    private static String[] read(BytesStore<?, Void> store, long off) {
        Bytes<Void> in = store.bytesForRead();
        in.readPosition(off + 5);
        String key = in.readUtf8();
        String value = in.readUtf8();
        return new String[] {key == null ? "" : key, value == null ? "" : value};
    }

    private static void seal(MemorySegment memory, long off) {
        memory.set(ValueLayout.JAVA_INT_UNALIGNED, off, crc(memory, off));
    }

    private static boolean consistent(MemorySegment memory, long off) {
        return memory.get(ValueLayout.JAVA_INT_UNALIGNED, off) == crc(memory, off);
    }

    private static int crc(MemorySegment memory, long off) {
        CRC32C crc = new CRC32C();
        crc.update(memory.asSlice(off + 4, SLOT - 4).asByteBuffer());
        return (int) crc.getValue();
    }

    private static long home(String key, long slots) {
        long h = key.hashCode() * 0x9E3779B97F4A7C15L;
        return Math.floorMod(h ^ (h >>> 29), slots);
    }
}
