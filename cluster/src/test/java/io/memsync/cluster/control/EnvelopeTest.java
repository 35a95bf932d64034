package io.memsync.cluster.control;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sealing and opening control-plane values; the replay guard; the last verified versions. */
class EnvelopeTest {
    private static final byte[] SECRET = "memsync-test-secret-0123456789".getBytes(StandardCharsets.UTF_8);
    private final Envelope envelope = new Envelope(new ControlKey(SECRET, "c1"));

    @Test
    void aSealedValueOpensOnlyAsWhatAndWhereItWasSealed() throws Exception {
        byte[] payload = "127.0.0.1:4000".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = envelope.seal(Envelope.Kind.ENDPOINT, "uuid-1", 7, payload);
        Envelope.Opened opened = envelope.open(Envelope.Kind.ENDPOINT, "uuid-1", sealed);
        assertEquals(7, opened.version());
        assertArrayEquals(payload, opened.payload());
        assertTrue(message(() -> envelope.open(Envelope.Kind.ENDPOINT, "uuid-2", sealed)).contains("signed for"));
        assertTrue(message(() -> envelope.open(Envelope.Kind.RECORD, "uuid-1", sealed)).contains("not a RECORD"));
        assertTrue(message(() -> new Envelope(new ControlKey(SECRET, "c2")).open(Envelope.Kind.ENDPOINT, "uuid-1",
                sealed)).contains("not signed with this cluster's secret"), "another cluster's key");
        assertTrue(message(() -> envelope.open(Envelope.Kind.ENDPOINT, "uuid-1", "text")).contains("String"));
        assertTrue(message(() -> envelope.open(Envelope.Kind.ENDPOINT, "uuid-1", new byte[3])).contains("short"));
        // Every single bit flipped anywhere is refused.
        for (int i = 0; i < sealed.length * 8; i++) {
            byte[] flipped = sealed.clone();
            flipped[i / 8] ^= (byte) (1 << (i % 8));
            int bit = i;
            assertThrows(ForgedValueException.class, () -> envelope.open(Envelope.Kind.ENDPOINT, "uuid-1", flipped),
                    "bit " + bit);
        }
    }

    @Test
    void aRequestIsTakenOnceAndOnlyWithinItsWindow() throws Exception {
        ReplayGuard guard = new ReplayGuard();
        long now = 1_000_000_000L;
        byte[] nonce = {1, 2, 3};
        guard.accept(now, nonce, now);
        assertTrue(message(() -> guard.accept(now, nonce, now + 5)).contains("seen before"));
        assertTrue(message(() -> guard.accept(now - ReplayGuard.WINDOW_MILLIS - 1, new byte[] {9}, now))
                .contains("outside"));
        // Long after, the nonce is forgotten, and the request refused by its age anyway.
        long later = now + 3 * ReplayGuard.WINDOW_MILLIS;
        guard.accept(later, new byte[] {4}, later);
        assertTrue(message(() -> guard.accept(now, nonce, later)).contains("outside"));
    }

    @Test
    void anOlderVersionIsNotTaken() {
        Versions<String> v = new Versions<>();
        assertTrue(v.offer("k", 5, "five", new byte[] {5}));
        assertFalse(v.offer("k", 4, "four", new byte[] {4}));
        assertTrue(v.offer("k", 5, "five", new byte[] {5}), "the same value again");
        assertFalse(v.offer("k", 5, "other five", new byte[] {6}), "another value with the same version");
        assertTrue(v.offer("k", 6, "six", new byte[] {6}));
        assertEquals("six", v.get("k").value());
    }

    @Test
    void aFloodOfRefusalsIsCountedButNotAllLogged() {
        Forgeries f = new Forgeries("n");
        for (int i = 0; i < 1000; i++) {
            f.refused("value " + i, "test");
        }
        assertEquals(1000, f.count());
    }

    private interface Opening {
        void run() throws Exception;
    }

    private static String message(Opening o) {
        try {
            o.run();
        } catch (ForgedValueException e) {
            return e.getMessage();
        } catch (Exception e) {
            throw new AssertionError("expected a refusal, got " + e, e);
        }
        throw new AssertionError("expected a refusal, got none");
    }
}
