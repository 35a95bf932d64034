package io.memsync.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One suite's results, as {@code bench/run} writes them to {@code bench/results/SUITE.json}: the suite, when it
 * started, the machine (cores, kernel, JDK, load), and one entry per measurement with its parameters and metrics.
 */
public final class BenchReport {
    private final String suite;
    private final String started = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    private final Map<String, Object> machine = new LinkedHashMap<>();
    private final List<Map<String, Object>> results = new ArrayList<>();

    public BenchReport(String suite) {
        this.suite = suite;
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("kernel", System.getProperty("os.version"));
        machine.put("jdk", System.getProperty("java.vm.name") + " " + Runtime.version());
        machine.put("load_at_start", load());
    }

    /** Adds a result: {@code params} and {@code metrics} in the order given. */
    public synchronized void add(String name, Map<String, ?> params, Map<String, ?> metrics) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name", name);
        r.put("params", new LinkedHashMap<>(params));
        r.put("metrics", new LinkedHashMap<>(metrics));
        results.add(r);
        System.out.println("  " + name + " " + params + " -> " + metrics);
    }

    /** The results so far, each a map of name, params and metrics. */
    public synchronized List<Map<String, Object>> results() {
        return List.copyOf(results);
    }

    /** Writes the report as JSON to {@code file} (its directory made if missing). */
    public synchronized void write(Path file) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("suite", suite);
        root.put("started", started);
        machine.put("load_at_end", load());
        root.put("machine", machine);
        root.put("results", results);
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), root);
    }

    /** The one-minute load average, or -1 where /proc/loadavg cannot be read. */
    static double load() {
        try {
            return Double.parseDouble(Files.readAllLines(Path.of("/proc/loadavg")).getFirst().split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
