package io.memsync.cluster;

import io.memsync.cluster.control.ForgedValueException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A directory record's bytes: read back whole; anything else refused with a reason, never another exception. */
class RecordCodecTest {
    private static final RegionRecord RECORD = new RegionRecord("r-1", 42, 1 << 20, 65536, "owner-uuid", 3,
            List.of("b", "a"), Set.of("a"), Map.of("a", new RegionRecord.Held(3, 9), "b", new RegionRecord.Held(2, 1)),
            2, "dest");

    @Test
    void aRecordReadsBackWhole() throws Exception {
        assertEquals(RECORD, RecordCodec.decode(RecordCodec.encode(RECORD)));
        RegionRecord plain = RegionRecord.created("x", 1, 4096, 4096, "o", List.of(), 0, true);
        assertEquals(plain, RecordCodec.decode(RecordCodec.encode(plain)));
    }

    @Test
    void everyTruncationAndRandomBytesAreRefused() {
        byte[] bytes = RecordCodec.encode(RECORD);
        for (int n = 0; n < bytes.length; n++) {
            byte[] cut = Arrays.copyOf(bytes, n);
            assertThrows(ForgedValueException.class, () -> RecordCodec.decode(cut), "cut at " + n);
        }
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
        assertThrows(ForgedValueException.class, () -> RecordCodec.decode(longer));
        Random random = new Random(13);
        for (int i = 0; i < 20_000; i++) {
            byte[] noise = bytes.clone();
            for (int k = 0; k < 1 + random.nextInt(4); k++) {
                noise[random.nextInt(noise.length)] = (byte) random.nextInt();
            }
            try {
                RecordCodec.decode(noise);
            } catch (ForgedValueException expected) {
                // refused, with a reason
            }
        }
    }
}
