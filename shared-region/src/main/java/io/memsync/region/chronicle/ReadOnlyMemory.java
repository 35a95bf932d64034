package io.memsync.region.chronicle;

import net.openhft.chronicle.core.Memory;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * A Chronicle {@link Memory} that refuses every write landing in one address range and passes everything else to
 * the real one. Chronicle has no read-only native store, and its {@code Bytes} write through the store's
 * {@code memory} field directly (bypassing the store's own write methods), so guarding the store alone would let
 * some writes through: this guard sits under all of them.
 */
final class ReadOnlyMemory implements Memory {
    private final Memory delegate;
    private final long start;
    private final long end;

    ReadOnlyMemory(Memory delegate, long address, long size) {
        this.delegate = delegate;
        this.start = address;
        this.end = address + size;
    }

    private void check(long address, long length) {
        if (length > 0 && address < end && address + length > start) {
            throw ReadOnlySegmentBytesStore.refused(length + "-byte write at offset " + (address - start));
        }
    }

    // A null base means the offset is an absolute address; a non-null one is a heap object, never our range.
    private void check(Object base, long offset, long length) {
        if (base == null) {
            check(offset, length);
        }
    }

    // Reads, fences and heap-only operations: straight through.

    @Override
    public void storeFence() {
        delegate.storeFence();
    }

    @Override
    public void loadFence() {
        delegate.loadFence();
    }

    @Override
    public long allocate(long capacity) {
        return delegate.allocate(capacity);
    }

    @Override
    public long nativeMemoryUsed() {
        return delegate.nativeMemoryUsed();
    }

    @Override
    public byte readByte(Object object, long offset) {
        return delegate.readByte(object, offset);
    }

    @Override
    public byte readByte(long address) {
        return delegate.readByte(address);
    }

    @Override
    public void readBytes(long address, byte[] array, long arrayOffset, int length) {
        delegate.readBytes(address, array, arrayOffset, length);
    }

    @Override
    public short readShort(long address) {
        return delegate.readShort(address);
    }

    @Override
    public short readShort(Object object, long offset) {
        return delegate.readShort(object, offset);
    }

    @Override
    public int readInt(long address) {
        return delegate.readInt(address);
    }

    @Override
    public int readInt(Object object, long offset) {
        return delegate.readInt(object, offset);
    }

    @Override
    public long readLong(long address) {
        return delegate.readLong(address);
    }

    @Override
    public long readLong(Object object, long offset) {
        return delegate.readLong(object, offset);
    }

    @Override
    public float readFloat(long address) {
        return delegate.readFloat(address);
    }

    @Override
    public float readFloat(Object object, long offset) {
        return delegate.readFloat(object, offset);
    }

    @Override
    public double readDouble(long address) {
        return delegate.readDouble(address);
    }

    @Override
    public double readDouble(Object object, long offset) {
        return delegate.readDouble(object, offset);
    }

    @Override
    public int stopBitLength(int value) {
        return delegate.stopBitLength(value);
    }

    @Override
    public int stopBitLength(long value) {
        return delegate.stopBitLength(value);
    }

    @Override
    public long partialRead(byte[] array, int offset, int length) {
        return delegate.partialRead(array, offset, length);
    }

    @Override
    public long partialRead(long address, int length) {
        return delegate.partialRead(address, length);
    }

    @Override
    public void partialWrite(byte[] array, int offset, long value, int length) {
        delegate.partialWrite(array, offset, value, length);
    }

    @Override
    public boolean is7Bit(byte[] array, int offset, int length) {
        return delegate.is7Bit(array, offset, length);
    }

    @Override
    public boolean is7Bit(char[] chars, int offset, int length) {
        return delegate.is7Bit(chars, offset, length);
    }

    @Override
    public boolean is7Bit(long address, int length) {
        return delegate.is7Bit(address, length);
    }

    @Override
    public int pageSize() {
        return delegate.pageSize();
    }

    @Override
    public byte readVolatileByte(long address) {
        return delegate.readVolatileByte(address);
    }

    @Override
    public byte readVolatileByte(Object object, long offset) {
        return delegate.readVolatileByte(object, offset);
    }

    @Override
    public short readVolatileShort(long address) {
        return delegate.readVolatileShort(address);
    }

    @Override
    public short readVolatileShort(Object object, long offset) {
        return delegate.readVolatileShort(object, offset);
    }

    @Override
    public int readVolatileInt(long address) {
        return delegate.readVolatileInt(address);
    }

    @Override
    public int readVolatileInt(Object object, long offset) {
        return delegate.readVolatileInt(object, offset);
    }

    @Override
    public float readVolatileFloat(long address) {
        return delegate.readVolatileFloat(address);
    }

    @Override
    public float readVolatileFloat(Object object, long offset) {
        return delegate.readVolatileFloat(object, offset);
    }

    @Override
    public long readVolatileLong(long address) {
        return delegate.readVolatileLong(address);
    }

    @Override
    public long readVolatileLong(Object object, long offset) {
        return delegate.readVolatileLong(object, offset);
    }

    @Override
    public double readVolatileDouble(long address) {
        return delegate.readVolatileDouble(address);
    }

    @Override
    public double readVolatileDouble(Object object, long offset) {
        return delegate.readVolatileDouble(object, offset);
    }

    @Override
    public <E> E allocateInstance(Class<? extends E> type) throws InstantiationException {
        return delegate.allocateInstance(type);
    }

    @Override
    public long getFieldOffset(Field field) {
        return delegate.getFieldOffset(field);
    }

    @Override
    public void putObject(Object object, long offset, Object value) {
        delegate.putObject(object, offset, value);
    }

    @Override
    public <T> T getObject(Object object, long offset) {
        return delegate.getObject(object, offset);
    }

    @Override
    public int arrayBaseOffset(Class<?> type) {
        return delegate.arrayBaseOffset(type);
    }

    @Override
    public long objectFieldOffset(Field field) {
        return delegate.objectFieldOffset(field);
    }

    @Override
    public boolean safeAlignedInt(long address) {
        return delegate.safeAlignedInt(address);
    }

    @Override
    public boolean safeAlignedLong(long address) {
        return delegate.safeAlignedLong(address);
    }

    @Override
    public long address(ByteBuffer buffer) {
        return delegate.address(buffer);
    }

    // Writes: refused when the destination overlaps the guarded range.

    @Override
    public void setMemory(long address, long length, byte value) {
        check(address, length);
        delegate.setMemory(address, length, value);
    }

    @Override
    public void setMemory(Object object, long offset, long length, byte value) {
        check(object, offset, length);
        delegate.setMemory(object, offset, length, value);
    }

    @Override
    public void freeMemory(long address, long size) {
        check(address, size);
        delegate.freeMemory(address, size);
    }

    @Override
    public void writeByte(long address, byte value) {
        check(address, 1);
        delegate.writeByte(address, value);
    }

    @Override
    public void writeByte(Object object, long offset, byte value) {
        check(object, offset, 1);
        delegate.writeByte(object, offset, value);
    }

    @Override
    public void writeBytes(long address, byte[] array, int offset, int length) {
        check(address, length);
        delegate.writeBytes(address, array, offset, length);
    }

    @Override
    public void writeShort(long address, short value) {
        check(address, 2);
        delegate.writeShort(address, value);
    }

    @Override
    public void writeShort(Object object, long offset, short value) {
        check(object, offset, 2);
        delegate.writeShort(object, offset, value);
    }

    @Override
    public void writeInt(long address, int value) {
        check(address, 4);
        delegate.writeInt(address, value);
    }

    @Override
    public void writeInt(Object object, long offset, int value) {
        check(object, offset, 4);
        delegate.writeInt(object, offset, value);
    }

    @Override
    public void writeOrderedInt(long address, int value) {
        check(address, 4);
        delegate.writeOrderedInt(address, value);
    }

    @Override
    public void writeOrderedInt(Object object, long offset, int value) {
        check(object, offset, 4);
        delegate.writeOrderedInt(object, offset, value);
    }

    @Override
    public void writeLong(long address, long value) {
        check(address, 8);
        delegate.writeLong(address, value);
    }

    @Override
    public void writeLong(Object object, long offset, long value) {
        check(object, offset, 8);
        delegate.writeLong(object, offset, value);
    }

    @Override
    public void writeFloat(long address, float value) {
        check(address, 4);
        delegate.writeFloat(address, value);
    }

    @Override
    public void writeFloat(Object object, long offset, float value) {
        check(object, offset, 4);
        delegate.writeFloat(object, offset, value);
    }

    @Override
    public void writeDouble(long address, double value) {
        check(address, 8);
        delegate.writeDouble(address, value);
    }

    @Override
    public void writeDouble(Object object, long offset, double value) {
        check(object, offset, 8);
        delegate.writeDouble(object, offset, value);
    }

    @Override
    public void copyMemory(byte[] source, int sourceOffset, long address, int length) {
        check(address, length);
        delegate.copyMemory(source, sourceOffset, address, length);
    }

    @Override
    public void copyMemory(long fromAddress, long toAddress, long length) {
        check(toAddress, length);
        delegate.copyMemory(fromAddress, toAddress, length);
    }

    @Override
    public void copyMemory(Object source, long sourceOffset, long toAddress, int length) {
        check(toAddress, length);
        delegate.copyMemory(source, sourceOffset, toAddress, length);
    }

    @Override
    public void copyMemory(Object source, long sourceOffset, Object destination, long destinationOffset, int length) {
        check(destination, destinationOffset, length);
        delegate.copyMemory(source, sourceOffset, destination, destinationOffset, length);
    }

    @Override
    public void copyMemory(long fromAddress, Object destination, long destinationOffset, int length) {
        check(destination, destinationOffset, length);
        delegate.copyMemory(fromAddress, destination, destinationOffset, length);
    }

    @Override
    public void partialWrite(long address, long value, int length) {
        check(address, length);
        delegate.partialWrite(address, value, length);
    }

    @Override
    public void writeOrderedLong(long address, long value) {
        check(address, 8);
        delegate.writeOrderedLong(address, value);
    }

    @Override
    public void writeOrderedLong(Object object, long offset, long value) {
        check(object, offset, 8);
        delegate.writeOrderedLong(object, offset, value);
    }

    @Override
    public void testAndSetInt(long address, long offset, int expected, int value) {
        check(address, 4);
        delegate.testAndSetInt(address, offset, expected, value);
    }

    @Override
    public void testAndSetInt(Object object, long offset, int expected, int value) {
        check(object, offset, 4);
        delegate.testAndSetInt(object, offset, expected, value);
    }

    @Override
    public boolean compareAndSwapInt(long address, int expected, int value) {
        check(address, 4);
        return delegate.compareAndSwapInt(address, expected, value);
    }

    @Override
    public boolean compareAndSwapInt(Object object, long offset, int expected, int value) {
        check(object, offset, 4);
        return delegate.compareAndSwapInt(object, offset, expected, value);
    }

    @Override
    public boolean compareAndSwapLong(long address, long expected, long value) {
        check(address, 8);
        return delegate.compareAndSwapLong(address, expected, value);
    }

    @Override
    public boolean compareAndSwapLong(Object object, long offset, long expected, long value) {
        check(object, offset, 8);
        return delegate.compareAndSwapLong(object, offset, expected, value);
    }

    @Override
    public int getAndSetInt(long address, int value) {
        check(address, 4);
        return delegate.getAndSetInt(address, value);
    }

    @Override
    public int getAndSetInt(Object object, long offset, int value) {
        check(object, offset, 4);
        return delegate.getAndSetInt(object, offset, value);
    }

    @Override
    public void writeVolatileByte(long address, byte value) {
        check(address, 1);
        delegate.writeVolatileByte(address, value);
    }

    @Override
    public void writeVolatileByte(Object object, long offset, byte value) {
        check(object, offset, 1);
        delegate.writeVolatileByte(object, offset, value);
    }

    @Override
    public void writeVolatileShort(long address, short value) {
        check(address, 2);
        delegate.writeVolatileShort(address, value);
    }

    @Override
    public void writeVolatileShort(Object object, long offset, short value) {
        check(object, offset, 2);
        delegate.writeVolatileShort(object, offset, value);
    }

    @Override
    public void writeVolatileInt(long address, int value) {
        check(address, 4);
        delegate.writeVolatileInt(address, value);
    }

    @Override
    public void writeVolatileInt(Object object, long offset, int value) {
        check(object, offset, 4);
        delegate.writeVolatileInt(object, offset, value);
    }

    @Override
    public void writeVolatileFloat(long address, float value) {
        check(address, 4);
        delegate.writeVolatileFloat(address, value);
    }

    @Override
    public void writeVolatileFloat(Object object, long offset, float value) {
        check(object, offset, 4);
        delegate.writeVolatileFloat(object, offset, value);
    }

    @Override
    public void writeVolatileLong(long address, long value) {
        check(address, 8);
        delegate.writeVolatileLong(address, value);
    }

    @Override
    public void writeVolatileLong(Object object, long offset, long value) {
        check(object, offset, 8);
        delegate.writeVolatileLong(object, offset, value);
    }

    @Override
    public void writeVolatileDouble(long address, double value) {
        check(address, 8);
        delegate.writeVolatileDouble(address, value);
    }

    @Override
    public void writeVolatileDouble(Object object, long offset, double value) {
        check(object, offset, 8);
        delegate.writeVolatileDouble(object, offset, value);
    }

    @Override
    public int addInt(long address, int increment) {
        check(address, 4);
        return delegate.addInt(address, increment);
    }

    @Override
    public int addInt(Object object, long offset, int increment) {
        check(object, offset, 4);
        return delegate.addInt(object, offset, increment);
    }

    @Override
    public long addLong(long address, long increment) {
        check(address, 8);
        return delegate.addLong(address, increment);
    }

    @Override
    public long addLong(Object object, long offset, long increment) {
        check(object, offset, 8);
        return delegate.addLong(object, offset, increment);
    }
}
