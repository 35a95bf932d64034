package io.memsync.jmx;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A replica's lag is news once per crossing of the threshold. */
class LagWatchTest {

    @Test
    void aCrossingIsToldOnceAndAgainOnlyAfterTheReplicaCaughtUp() {
        LagWatch watch = new LagWatch();
        assertEquals(List.of(), watch.check("r", Map.of("x", 2L, "y", 0L), 2));
        assertEquals(List.of(new LagWatch.Crossing("r", "x", 3)), watch.check("r", Map.of("x", 3L, "y", 0L), 2));
        assertEquals(List.of(), watch.check("r", Map.of("x", 5L, "y", 0L), 2), "told twice");
        assertEquals(List.of(), watch.check("r", Map.of("x", 1L, "y", 0L), 2));
        assertEquals(List.of(new LagWatch.Crossing("r", "x", 4)), watch.check("r", Map.of("x", 4L), 2));
        // A replica that left and came back, or a region owned again, is news again.
        assertEquals(List.of(), watch.check("r", Map.of("y", 0L), 2));
        assertEquals(List.of(new LagWatch.Crossing("r", "x", 4)), watch.check("r", Map.of("x", 4L), 2));
        watch.retain(Set.of());
        assertEquals(List.of(new LagWatch.Crossing("r", "x", 4)), watch.check("r", Map.of("x", 4L), 2));
        // Regions are watched apart.
        assertEquals(List.of(new LagWatch.Crossing("s", "x", 9)), watch.check("s", Map.of("x", 9L), 2));
    }
}
