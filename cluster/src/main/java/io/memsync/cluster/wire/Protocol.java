package io.memsync.cluster.wire;

import java.nio.ByteBuffer;

/**
 * Frame layout and constants of memsync's data plane, version 4 (docs/protocol.md). Every frame starts with an
 * 8-byte header: {@code u32 length} (of everything after this field), {@code u8 version}, {@code u8 type},
 * {@code u16 reserved}. Integers are big-endian.
 */
public final class Protocol {
    public static final byte VERSION = 4;
    public static final int HEADER_BYTES = 8;
    /** What {@code length} counts beyond the fixed fields: version, type and the reserved field. */
    static final int LENGTH_BASE = 4;

    public static final byte HELLO = 1;
    public static final byte CHALLENGE = 2;
    public static final byte AUTH = 3;
    public static final byte AUTH_OK = 4;
    public static final byte CHUNK = 5;
    public static final byte EPOCH_END = 6;
    public static final byte ACK = 7;
    public static final byte REQUEST = 8;
    public static final byte CHUNK_DATA = 9;
    public static final byte ERROR = 10;
    /** Owner to replica: with every chunk sent before it on this connection, the replica holds the whole region. */
    public static final byte FILLED = 11;
    /** Answer to a REQUEST for a chunk the server cannot vouch for: the requester asks another peer. */
    public static final byte NOT_HELD = 12;
    /**
     * Puller to server: send these chunks of a region, back to back, in this order ({@code u64 want}, {@code u64
     * region}, {@code u32 pairs}, {@code u32 accepts}, then {@code pairs} times {@code u32 from, u32 to}); replaces
     * what an earlier want on the connection still had to send. {@code accepts}: the chunk encodings the puller
     * takes besides plain bytes ({@link #STREAM_LZ4}).
     */
    public static final byte STREAM_WANT = 13;
    /**
     * Server to puller: one chunk of a want ({@code u64 want}, {@code u64 region}, {@code u32 index}, {@code u8
     * flags}, then the chunk's bytes, none when {@link #STREAM_ZERO} is set, or an LZ4 block of them when
     * {@link #STREAM_LZ4} is).
     */
    public static final byte STREAM_CHUNK = 14;
    /**
     * Server to puller: a want is done ({@code u64 want}, {@code u64 region}, {@code u32 sent}, {@code u16 reason}):
     * every chunk was sent, or, with a reason, none more will be (the region is not served here or not whole).
     */
    public static final byte STREAM_END = 15;

    public static final int NONCE_BYTES = 32;
    public static final int PROOF_BYTES = 32;
    public static final int MAX_NAME_BYTES = 255;
    public static final int MAX_MESSAGE_BYTES = 1024;
    /** Largest frame accepted before authentication: a HELLO with the longest name. */
    public static final int MAX_UNAUTHENTICATED_FRAME = LENGTH_BASE + NONCE_BYTES + 1 + 2 + MAX_NAME_BYTES;

    /** Fixed fields after the header. */
    public static final int CHUNK_FIELDS = 8 + 8 + 8 + 4;
    public static final int EPOCH_END_FIELDS = 8 + 8 + 8;
    public static final int ACK_FIELDS = 8 + 8;
    public static final int REQUEST_FIELDS = 8 + 8 + 4;
    public static final int CHUNK_DATA_FIELDS = 8 + 8 + 4;
    public static final int FILLED_FIELDS = 8 + 8;
    public static final int NOT_HELD_FIELDS = 8 + 8 + 4 + 2;
    public static final int STREAM_WANT_FIELDS = 8 + 8 + 4 + 4;
    public static final int STREAM_CHUNK_FIELDS = 8 + 8 + 4 + 1;
    public static final int STREAM_END_FIELDS = 8 + 8 + 4 + 2;
    /** Most ranges one STREAM_WANT carries. */
    public static final int MAX_WANT_PAIRS = 4096;
    /** STREAM_CHUNK flag: the chunk is all zeros, and no bytes follow. */
    public static final int STREAM_ZERO = 1;
    /**
     * STREAM_CHUNK flag: the bytes that follow are an LZ4 block that decompresses to the whole chunk; STREAM_WANT
     * {@code accepts} bit: the puller takes such chunks.
     */
    public static final int STREAM_LZ4 = 2;

    /** NOT_HELD reasons. */
    public static final int NOT_HELD_UNKNOWN_REGION = 1;
    public static final int NOT_HELD_INCOMPLETE = 2;

    public static final int E_VERSION = 1;
    public static final int E_AUTH = 2;
    public static final int E_MALFORMED = 3;
    public static final int E_UNKNOWN_REGION = 4;
    public static final int E_BAD_INDEX = 5;
    public static final int E_STALE_TOKEN = 6;
    public static final int E_NOT_REPLICA = 7;
    public static final int E_UNAVAILABLE = 8;
    public static final int E_TOO_BIG = 9;

    private Protocol() {
    }

    /** Writes a header for a frame of {@code bodyBytes} after the header. */
    static void header(ByteBuffer b, byte type, int bodyBytes) {
        b.putInt(LENGTH_BASE + bodyBytes).put(VERSION).put(type).putShort((short) 0);
    }

    public static String typeName(int type) {
        return switch (type) {
            case HELLO -> "HELLO";
            case CHALLENGE -> "CHALLENGE";
            case AUTH -> "AUTH";
            case AUTH_OK -> "AUTH_OK";
            case CHUNK -> "CHUNK";
            case EPOCH_END -> "EPOCH_END";
            case ACK -> "ACK";
            case REQUEST -> "REQUEST";
            case CHUNK_DATA -> "CHUNK_DATA";
            case ERROR -> "ERROR";
            case FILLED -> "FILLED";
            case NOT_HELD -> "NOT_HELD";
            case STREAM_WANT -> "STREAM_WANT";
            case STREAM_CHUNK -> "STREAM_CHUNK";
            case STREAM_END -> "STREAM_END";
            default -> "type " + type;
        };
    }

    public static String errorName(int code) {
        return switch (code) {
            case E_VERSION -> "E_VERSION";
            case E_AUTH -> "E_AUTH";
            case E_MALFORMED -> "E_MALFORMED";
            case E_UNKNOWN_REGION -> "E_UNKNOWN_REGION";
            case E_BAD_INDEX -> "E_BAD_INDEX";
            case E_STALE_TOKEN -> "E_STALE_TOKEN";
            case E_NOT_REPLICA -> "E_NOT_REPLICA";
            case E_UNAVAILABLE -> "E_UNAVAILABLE";
            case E_TOO_BIG -> "E_TOO_BIG";
            default -> "error " + code;
        };
    }
}
