package io.memsync.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Runs the migration harness once, tiny: a row per rate and the stop-and-copy line come out. No speed is judged. */
class MigrationBenchmarkSmokeTest {

    @Test
    void harnessProducesItsRows() throws Exception {
        assumeTrue(System.getenv("MEMSYNC_SECRET") != null,
                "the destination's pager needs MEMSYNC_SECRET in the environment (the bench pom sets it)");
        String table = MigrationBenchmark.run(16, 2, new int[] {0, 500});
        assertEquals(1, table.lines().filter(l -> l.startsWith("| 0 |")).count(), table);
        assertEquals(1, table.lines().filter(l -> l.startsWith("| 500 |")).count(), table);
        assertTrue(table.contains("Stop-and-copy"), table);
    }
}
