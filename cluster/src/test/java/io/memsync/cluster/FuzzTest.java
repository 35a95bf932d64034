package io.memsync.cluster;

import io.memsync.cluster.testkit.Fuzzing;
import io.memsync.cluster.wire.FrameFuzzer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CI's bounded run of the cluster's fuzz targets (docs/security.md has the long runs and their figures): the
 * directory record decoder and envelope, and the data server's frame decoder and handshake over TCP. Each starts
 * from the seeds in src/test/resources/fuzz. A long run by hand: {@code -Dmemsync.fuzz.seconds=600
 * -Dmemsync.fuzz.runs=100000000}.
 */
@Timeout(1800)
class FuzzTest {

    @Test
    void directoryRecords(@TempDir Path work) throws Exception {
        Fuzzing.Result r = Fuzzing.run(RecordFuzzer.class, Path.of("src/test/resources/fuzz/records"), 200_000, 30,
                work);
        assertTrue(r.runs() > 1000, r.runs() + " runs");
    }

    @Test
    void dataPlaneFramesAndHandshake(@TempDir Path work) throws Exception {
        Fuzzing.Result r = Fuzzing.run(FrameFuzzer.class, Path.of("src/test/resources/fuzz/frames"), 20_000, 30,
                work);
        assertTrue(r.runs() > 100, r.runs() + " runs");
    }
}
