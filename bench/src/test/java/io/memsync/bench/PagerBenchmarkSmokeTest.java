package io.memsync.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the pager harness once on a 16 MiB region: every row is produced and holds figures. No speed is judged. */
class PagerBenchmarkSmokeTest {

    @Test
    void harnessProducesEveryRow() throws Exception {
        String table = PagerBenchmark.run(16, new int[] {64}, new int[] {0, 2}, 100, 1);
        List<String> rows = table.lines().filter(l -> l.startsWith("| 64 KiB")).toList();
        assertEquals(3, rows.size(), table);
        assertTrue(rows.get(0).contains("eager copy"), table);
        assertTrue(rows.get(1).contains("pager, 0 pullers"), table);
        assertTrue(rows.get(2).contains("pager, 2 pullers"), table);
        for (String row : rows) {
            assertTrue(row.matches(".*\\| \\d+ ms \\|.*"), "a whole-region read time in: " + row);
        }
    }
}
