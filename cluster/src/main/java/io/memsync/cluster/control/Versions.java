package io.memsync.cluster.control;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last verified value under each key, with its version: a value older than it (a replay of a once valid one, or
 * a late event) is not taken, so the state a node acts on never goes back.
 *
 * @param <T> the decoded value
 */
public final class Versions<T> {
    /** A verified value: its version, the value, and the bytes it came in. */
    public record Entry<T>(long version, T value, byte[] raw) {
    }

    private final ConcurrentHashMap<String, Entry<T>> last = new ConcurrentHashMap<>();

    /**
     * Takes {@code value}, verified, as the one under {@code key} unless a newer one is known: true if it is now the
     * last (newer than what was known, or the very same bytes), false if it is older.
     */
    public boolean offer(String key, long version, T value, byte[] raw) {
        boolean[] taken = {false};
        last.compute(key, (k, known) -> {
            if (known == null || version > known.version()) {
                taken[0] = true;
                return new Entry<>(version, value, raw);
            }
            taken[0] = version == known.version() && Arrays.equals(raw, known.raw());
            return known;
        });
        return taken[0];
    }

    /** The last verified value under {@code key}, or null. */
    public Entry<T> get(String key) {
        return last.get(key);
    }

    /** Forgets {@code key} if its last value is {@code entry} (the value was removed by its writer). */
    public void forget(String key, Entry<T> entry) {
        last.remove(key, entry);
    }

    /** Every last verified value. */
    public java.util.Collection<Entry<T>> all() {
        return last.values();
    }
}
