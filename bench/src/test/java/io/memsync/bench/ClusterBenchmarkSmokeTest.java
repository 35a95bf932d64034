package io.memsync.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Runs the cluster harness once, tiny: a lag row and a mount row come out. No speed is judged. */
class ClusterBenchmarkSmokeTest {

    @Test
    void harnessProducesItsRows() throws Exception {
        assumeTrue(System.getenv("MEMSYNC_SECRET") != null,
                "the remote mount's pager needs MEMSYNC_SECRET in the environment (the bench pom sets it)");
        String table = ClusterBenchmark.run(4, 1, new int[] {200}, new int[] {0});
        assertEquals(1, table.lines().filter(l -> l.startsWith("| 200 |")).count(), table);
        assertEquals(2, table.lines().filter(l -> l.startsWith("| 0 ms |")).count(), table);
    }
}
