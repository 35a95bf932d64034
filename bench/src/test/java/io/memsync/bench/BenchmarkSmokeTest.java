package io.memsync.bench;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs every benchmark once, in a forked JVM as a real run does, with tiny settings (16 MiB region, no warm-up,
 * one 150 ms iteration): proves the benchmarks are generated, set up, measure something and tear down cleanly
 * (a tracker finding the wrong chunks fails its run). Says nothing about performance.
 */
class BenchmarkSmokeTest {

    private static Collection<RunResult> run(Class<?> benchmark, String... params) throws RunnerException {
        OptionsBuilder options = new OptionsBuilder();
        options.include("^" + benchmark.getName().replace(".", "\\.") + "\\.")
                .forks(1)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(150))
                .shouldFailOnError(true)
                .param("regionMiB", "16");
        for (int i = 0; i < params.length; i += 2) {
            options.param(params[i], params[i + 1]);
        }
        Options built = options.build();
        return new Runner(built).run();
    }

    private static Set<String> checkResults(Collection<RunResult> results) {
        Set<String> trackers = new TreeSet<>();
        for (RunResult r : results) {
            double score = r.getPrimaryResult().getScore();
            String tracker = r.getParams().getParam("tracker");
            assertTrue(score > 0 && Double.isFinite(score), tracker + ": score " + score);
            assertTrue(r.getPrimaryResult().getSampleCount() > 0, tracker + ": no samples");
            trackers.add(tracker);
        }
        return trackers;
    }

    @Test
    void trackerScanRunsForEveryTracker() throws RunnerException {
        Collection<RunResult> results = run(TrackerScanBenchmark.class, "dirtyPercent", "1");
        assertEquals(Set.of("hash", "wp"), checkResults(results));
    }

    @Test
    void writerCostRunsForEveryTracker() throws RunnerException {
        Collection<RunResult> results = run(WriterCostBenchmark.class, "scanIntervalMs", "10");
        assertEquals(Set.of("hash", "none", "wp"), checkResults(results));
    }

    @Test
    void regionReadRuns() throws RunnerException {
        Collection<RunResult> results = run(RegionReadBenchmark.class);
        assertEquals(1, results.size());
        RunResult r = results.iterator().next();
        assertTrue(r.getPrimaryResult().getScore() > 0, "score " + r.getPrimaryResult().getScore());
    }
}
