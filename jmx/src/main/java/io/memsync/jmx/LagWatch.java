package io.memsync.jmx;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides when a replica's lag is news: once when it goes over the threshold, again only after it came back to
 * it or below. Used by one thread.
 */
final class LagWatch {
    private record Replica(String region, String member) {
    }

    private final Set<Replica> over = new HashSet<>();

    /** A replica that just went over the threshold. */
    record Crossing(String region, String member, long lag) {
    }

    /**
     * The replicas of {@code region} (member to lag) that went over {@code threshold} since the last call for it;
     * {@code lags} must hold every replica, so that one that left is forgotten.
     */
    List<Crossing> check(String region, Map<String, Long> lags, long threshold) {
        over.removeIf(r -> r.region().equals(region) && !lags.containsKey(r.member()));
        List<Crossing> crossed = new ArrayList<>();
        for (Map.Entry<String, Long> e : lags.entrySet()) {
            Replica key = new Replica(region, e.getKey());
            if (e.getValue() <= threshold) {
                over.remove(key);
            } else if (over.add(key)) {
                crossed.add(new Crossing(region, e.getKey(), e.getValue()));
            }
        }
        return crossed;
    }

    /** Forgets the regions not in {@code owned}: when one is owned here again, its lags are news again. */
    void retain(Set<String> owned) {
        over.removeIf(r -> !owned.contains(r.region()));
    }
}
