package io.memsync.cluster;

import io.memsync.cluster.control.ForgedValueException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A {@link RegionRecord} as the bytes inside its signed envelope: fixed fields, then counted lists, each count and
 * string bounded, so that decoding any input allocates little and either gives a record or says what is wrong.
 */
final class RecordCodec {
    /** Most members a record names in one list. */
    static final int MAX_MEMBERS = 1024;
    /** Longest string (a region's name, a member's uuid), in UTF-8 bytes. */
    static final int MAX_STRING_BYTES = 1024;
    private static final int FORMAT = 1;

    private RecordCodec() {
    }

    static byte[] encode(RegionRecord r) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeUTF(r.name());
            out.writeLong(r.id());
            out.writeLong(r.size());
            out.writeInt(r.chunkSize());
            out.writeUTF(r.owner());
            out.writeLong(r.token());
            out.writeInt(r.replicaCount());
            out.writeBoolean(r.migratingTo() != null);
            if (r.migratingTo() != null) {
                out.writeUTF(r.migratingTo());
            }
            writeStrings(out, r.replicas());
            writeStrings(out, List.copyOf(new java.util.TreeSet<>(r.serving())));
            out.writeShort(r.held().size());
            for (Map.Entry<String, RegionRecord.Held> e : new TreeMap<>(r.held()).entrySet()) {
                out.writeUTF(e.getKey());
                out.writeLong(e.getValue().token());
                out.writeLong(e.getValue().epoch());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * The record in {@code payload}.
     *
     * @throws ForgedValueException if it is not one (a record signed by this cluster always is: this guards against
     *                              a bug, and against a decoder fed anything by a fuzzer)
     */
    static RegionRecord decode(byte[] payload) throws ForgedValueException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
            if (in.readUnsignedByte() != FORMAT) {
                throw new ForgedValueException("a directory record of an unknown format");
            }
            String name = readString(in);
            long id = in.readLong();
            long size = in.readLong();
            int chunkSize = in.readInt();
            String owner = readString(in);
            long token = in.readLong();
            int replicaCount = in.readInt();
            String migratingTo = in.readBoolean() ? readString(in) : null;
            List<String> replicas = readStrings(in);
            Set<String> serving = new HashSet<>(readStrings(in));
            int heldCount = in.readUnsignedShort();
            if (heldCount > MAX_MEMBERS) {
                throw new ForgedValueException("a directory record naming " + heldCount + " members");
            }
            Map<String, RegionRecord.Held> held = new TreeMap<>();
            for (int i = 0; i < heldCount; i++) {
                held.put(readString(in), new RegionRecord.Held(in.readLong(), in.readLong()));
            }
            if (in.available() != 0) {
                throw new ForgedValueException("a directory record with " + in.available() + " bytes too many");
            }
            if (size <= 0 || chunkSize <= 0 || token < 0 || replicaCount < 0 || replicas.size() != new HashSet<>(
                    replicas).size()) {
                throw new ForgedValueException("a directory record that does not hold together (size " + size
                        + ", chunk size " + chunkSize + ", token " + token + ", replicas " + replicas + ")");
            }
            return new RegionRecord(name, id, size, chunkSize, owner, token, replicas, serving, held, replicaCount,
                    migratingTo);
        } catch (IOException e) {
            throw new ForgedValueException("a truncated directory record (" + e + ")");
        }
    }

    private static void writeStrings(DataOutputStream out, List<String> strings) throws IOException {
        out.writeShort(strings.size());
        for (String s : strings) {
            out.writeUTF(s);
        }
    }

    private static List<String> readStrings(DataInputStream in) throws IOException, ForgedValueException {
        int n = in.readUnsignedShort();
        if (n > MAX_MEMBERS) {
            throw new ForgedValueException("a directory record naming " + n + " members");
        }
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(readString(in));
        }
        return out;
    }

    private static String readString(DataInputStream in) throws IOException, ForgedValueException {
        in.mark(2);
        int length = in.readUnsignedShort();
        if (length > MAX_STRING_BYTES) {
            throw new ForgedValueException("a directory record with a string of " + length + " bytes");
        }
        in.reset();
        return in.readUTF();
    }
}
