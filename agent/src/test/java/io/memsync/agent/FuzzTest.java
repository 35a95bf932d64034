package io.memsync.agent;

import io.memsync.cluster.testkit.Fuzzing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** CI's bounded run of the configuration parser's fuzz target (docs/security.md has the long run). */
@Timeout(1800)
class FuzzTest {

    @Test
    void agentConfiguration(@TempDir Path work) throws Exception {
        Fuzzing.Result r = Fuzzing.run(ConfigFuzzer.class, Path.of("src/test/resources/fuzz/config"), 200_000, 30,
                work);
        assertTrue(r.runs() > 1000, r.runs() + " runs");
    }
}
