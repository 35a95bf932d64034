package io.memsync.cluster.control;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;

/**
 * Refuses a request seen before: each carries the time it was issued and a random nonce; one issued more than
 * {@link #WINDOW_MILLIS} from now (either way: clocks of hosts differ) is refused, and so is a nonce already seen
 * within the window. Remembers at most {@link #MAX_REMEMBERED} nonces; beyond that it refuses until old ones expire,
 * so a flood of valid requests cannot grow it without bound.
 */
public final class ReplayGuard {
    public static final long WINDOW_MILLIS = 120_000;
    public static final int MAX_REMEMBERED = 100_000;

    private record Seen(long issuedAt, ByteBuffer nonce) {
    }

    private final ArrayDeque<Seen> order = new ArrayDeque<>();
    private final Set<ByteBuffer> seen = new HashSet<>();

    /**
     * Takes a request issued at {@code issuedAtMillis} with {@code nonce}, now {@code nowMillis}.
     *
     * @throws ForgedValueException if it is outside the window, was seen before, or too many are remembered
     */
    public synchronized void accept(long issuedAtMillis, byte[] nonce, long nowMillis) throws ForgedValueException {
        if (Math.abs(nowMillis - issuedAtMillis) > WINDOW_MILLIS) {
            throw new ForgedValueException("issued " + (nowMillis - issuedAtMillis) / 1000 + " s ago: outside the "
                    + WINDOW_MILLIS / 1000 + " s a request is valid (a replay, or the hosts' clocks differ)");
        }
        while (!order.isEmpty() && order.peekFirst().issuedAt() < nowMillis - 2 * WINDOW_MILLIS) {
            seen.remove(order.pollFirst().nonce());
        }
        ByteBuffer key = ByteBuffer.wrap(nonce.clone());
        if (seen.contains(key)) {
            throw new ForgedValueException("a request seen before (a replay)");
        }
        if (seen.size() >= MAX_REMEMBERED) {
            throw new ForgedValueException("more than " + MAX_REMEMBERED + " requests within "
                    + 2 * WINDOW_MILLIS / 1000 + " s: refused until older ones expire");
        }
        seen.add(key);
        order.addLast(new Seen(Math.max(issuedAtMillis, nowMillis), key));
    }
}
