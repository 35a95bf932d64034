package io.memsync.cluster.control;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Seals and opens control-plane values. An envelope is, big-endian: the magic {@code "MSC1"}, a kind, the key it is
 * stored under (UTF-8, a short length first), a version, the payload (an int length first), and an HMAC-SHA256 of
 * everything before it. Binding the kind and key means a value signed as one thing (a record of region a) cannot be
 * passed off as another (a record of region b, or an endpoint). Opening checks everything before it reads anything.
 */
public final class Envelope {
    public static final int MAGIC = 0x4D534331;
    /** Longest key, in bytes. */
    public static final int MAX_KEY_BYTES = 1024;
    /** Largest payload, in bytes. */
    public static final int MAX_PAYLOAD_BYTES = 1 << 20;
    private static final int HEADER = 4 + 1 + 2;

    /** What a value is: a kind is signed with it. */
    public enum Kind {
        /** A region's directory record, under the region's name. */
        RECORD,
        /** A member's data-plane address, under its member uuid. */
        ENDPOINT,
        /** How much of a region a migration's destination holds. */
        PAGING,
        /** A request to another member (a migration, a checksum). */
        REQUEST,
        /** A member saying it leaves the cluster in order, under "leaving/" and its member uuid. */
        LEAVING
    }

    /** An opened envelope: its version and payload. */
    public record Opened(long version, byte[] payload) {
    }

    private final ControlKey key;

    public Envelope(ControlKey key) {
        this.key = key;
    }

    /** {@code payload} sealed as a {@code kind} stored under {@code storedUnder}, with {@code version}. */
    public byte[] seal(Kind kind, String storedUnder, long version, byte[] payload) {
        byte[] k = storedUnder.getBytes(StandardCharsets.UTF_8);
        if (k.length > MAX_KEY_BYTES || payload.length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("a control-plane value too large to sign: key " + k.length
                    + " bytes, payload " + payload.length);
        }
        int signed = HEADER + k.length + 8 + 4 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(signed + ControlKey.MAC_BYTES);
        b.putInt(MAGIC).put((byte) kind.ordinal()).putShort((short) k.length).put(k).putLong(version)
                .putInt(payload.length).put(payload);
        b.put(key.mac(b.array(), 0, signed));
        return b.array();
    }

    /**
     * Opens {@code raw}, what was read from under {@code storedUnder}, as a {@code kind}.
     *
     * @throws ForgedValueException if it is not an envelope, not signed with this cluster's key, or not a
     *                              {@code kind} for {@code storedUnder}
     */
    public Opened open(Kind kind, String storedUnder, Object raw) throws ForgedValueException {
        if (!(raw instanceof byte[] bytes)) {
            throw new ForgedValueException(raw == null ? "no value" : "a " + raw.getClass().getName()
                    + " where memsync keeps its own signed bytes");
        }
        if (bytes.length < HEADER + 8 + 4 + ControlKey.MAC_BYTES) {
            throw new ForgedValueException("a value of " + bytes.length + " bytes: too short to be memsync's");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt() != MAGIC) {
            throw new ForgedValueException("not a memsync control-plane value (bad magic)");
        }
        int signed = bytes.length - ControlKey.MAC_BYTES;
        byte[] mac = Arrays.copyOfRange(bytes, signed, bytes.length);
        if (!key.verify(bytes, 0, signed, mac)) {
            throw new ForgedValueException("not signed with this cluster's secret");
        }
        int k = b.get();
        int keyLength = b.getShort() & 0xffff;
        if (k != kind.ordinal() || keyLength > signed - b.position() - 12) {
            throw new ForgedValueException("signed, but not a " + kind + " (a value of another kind moved here)");
        }
        String under = new String(bytes, b.position(), keyLength, StandardCharsets.UTF_8);
        b.position(b.position() + keyLength);
        if (!under.equals(storedUnder)) {
            throw new ForgedValueException("signed for '" + under + "', found under '" + storedUnder + "'");
        }
        long version = b.getLong();
        int length = b.getInt();
        if (length != signed - b.position()) {
            throw new ForgedValueException("signed, but its payload length does not match");
        }
        byte[] payload = Arrays.copyOfRange(bytes, b.position(), signed);
        return new Opened(version, payload);
    }
}
