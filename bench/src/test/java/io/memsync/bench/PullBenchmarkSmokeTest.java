package io.memsync.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs {@code bench/run pull}'s measurements once, tiny, and writes them as JSON: every name comes out for each RTT
 * with its metrics, and the file reads back. No speed is judged.
 */
class PullBenchmarkSmokeTest {

    @Test
    void everyMeasurementComesOutAndTheJsonReadsBack() throws Exception {
        BenchReport report = new BenchReport("pull");
        PullBenchmark.run(report, new PullBenchmark.Settings(16, 64, List.of(0, 2), 2, 4));
        Set<String> names = report.results().stream().map(r -> (String) r.get("name")).collect(Collectors.toSet());
        assertEquals(Set.of("raw-stream", "memsync-stream", "memsync-pullers", "first-touch", "second-mount",
                "memsync-stream-lz4"), names);
        for (Map<String, Object> r : report.results()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> metrics = (Map<String, Object>) r.get("metrics");
            assertTrue(!metrics.isEmpty(), "metrics of " + r);
            if (metrics.containsKey("mb_per_s")) {
                assertTrue(((Number) metrics.get("mb_per_s")).doubleValue() > 0, r.toString());
            }
        }
        Path file = Files.createTempFile("pull", ".json");
        try {
            report.write(file);
            Map<?, ?> back = new com.fasterxml.jackson.databind.ObjectMapper().readValue(file.toFile(), Map.class);
            assertEquals("pull", back.get("suite"));
            assertEquals(report.results().size(), ((List<?>) back.get("results")).size());
            assertTrue(((Map<?, ?>) back.get("machine")).containsKey("kernel"));
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
