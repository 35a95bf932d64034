package io.memsync.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the replication harness once on 16 MiB: every row comes out with a throughput. No speed is judged. */
class ReplicationBenchmarkSmokeTest {

    @Test
    void harnessProducesEveryRow() throws Exception {
        String table = ReplicationBenchmark.run(16, 4, 1);
        assertEquals(3, table.lines().filter(l -> l.matches("\\| .* \\| \\d+ MB/s \\| .*")).count(), table);
        assertTrue(table.contains("memsync / IMap:"), table);
    }
}
