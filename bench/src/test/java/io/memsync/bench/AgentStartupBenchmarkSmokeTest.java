package io.memsync.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** One launch without and one with the agent: the harness runs and reports a node that joined. */
class AgentStartupBenchmarkSmokeTest {
    @Test
    @Timeout(180)
    void measuresOneLaunchEach() throws Exception {
        String table = AgentStartupBenchmark.run(Path.of("../agent/target/memsync.jar"), 1);
        assertTrue(table.contains("| with agent | "), table);
        assertTrue(!table.contains("| -1 |"), "every figure measured: " + table);
    }
}
