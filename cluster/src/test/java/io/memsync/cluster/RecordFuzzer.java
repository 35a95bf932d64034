package io.memsync.cluster;

import io.memsync.cluster.control.ControlKey;
import io.memsync.cluster.control.Envelope;
import io.memsync.cluster.control.ForgedValueException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A Jazzer target (docs/security.md, "Fuzzing"): what a foreign member can put where directory records live. Any
 * input is refused with a reason ({@link ForgedValueException}) or is a record that reads back the same; nothing
 * else is thrown, nothing hangs; an envelope opens only with the key and place it was sealed for.
 */
public final class RecordFuzzer {
    private static final Envelope ENVELOPE = new Envelope(new ControlKey(
            "memsync-fuzz-secret-0123456789".getBytes(StandardCharsets.UTF_8), "fuzz"));

    private RecordFuzzer() {
    }

    public static void fuzzerTestOneInput(byte[] data) {
        try {
            RegionRecord r = RecordCodec.decode(data);
            RegionRecord again = RecordCodec.decode(RecordCodec.encode(r));
            if (!again.equals(r)) {
                throw new AssertionError("a record does not read back the same: " + r + " vs " + again);
            }
        } catch (ForgedValueException refused) {
            // refused with a reason
        }
        try {
            ENVELOPE.open(Envelope.Kind.RECORD, "r", data);
            throw new AssertionError("bytes nobody sealed opened as a record: " + Arrays.toString(data));
        } catch (ForgedValueException refused) {
            // refused with a reason
        }
        byte[] sealed = ENVELOPE.seal(Envelope.Kind.RECORD, "r", data.length, data);
        try {
            if (!Arrays.equals(ENVELOPE.open(Envelope.Kind.RECORD, "r", sealed).payload(), data)) {
                throw new AssertionError("a sealed payload did not open as itself");
            }
        } catch (ForgedValueException e) {
            throw new AssertionError("a sealed payload was refused: " + e.getMessage(), e);
        }
    }
}
