package io.memsync.bench;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code bench/run SUITE [--quick]} runs: one suite of measurements, written to
 * {@code bench/results/SUITE.json} ({@link BenchReport}). {@code --quick} runs each suite in under two minutes, for a
 * smoke test; its figures are not for comparison.
 */
public final class Suites {
    private static final List<String> NAMES = List.of("pull", "writer");

    private Suites() {
    }

    /**
     * What dirty tracking costs a writer ({@link WriterCostBenchmark}): random 8-byte writes over the whole region
     * ({@code uniform}), over a 16 MiB hot set ({@code hot-16mib}), and one word after the other
     * ({@code sequential}); untracked ({@code none}) and with each tracker, the syncer collecting every 10 ms.
     */
    static void writer(BenchReport report, boolean quick) throws Exception {
        int regionMiB = quick ? 256 : 1024;
        record Pattern(String name, String pattern, int spanMiB) {
        }
        List<Pattern> patterns = List.of(new Pattern("uniform", "uniform", 0), new Pattern("hot-16mib", "uniform", 16),
                new Pattern("sequential", "sequential", 0));
        for (Pattern p : patterns) {
            for (String tracker : List.of("none", "wp", "hash", "auto")) {
                org.openjdk.jmh.runner.options.Options options = new org.openjdk.jmh.runner.options.OptionsBuilder()
                        .include(WriterCostBenchmark.class.getName() + ".write")
                        .param("regionMiB", Integer.toString(regionMiB)).param("tracker", tracker)
                        .param("writeSpanMiB", Integer.toString(p.spanMiB())).param("pattern", p.pattern())
                        .warmupIterations(quick ? 1 : 2).warmupTime(org.openjdk.jmh.runner.options.TimeValue.seconds(
                                quick ? 1 : 2))
                        .measurementIterations(quick ? 2 : 3).measurementTime(
                                org.openjdk.jmh.runner.options.TimeValue.seconds(quick ? 1 : 2))
                        .forks(1).verbosity(org.openjdk.jmh.runner.options.VerboseMode.SILENT).build();
                double score = new org.openjdk.jmh.runner.Runner(options).runSingle().getPrimaryResult().getScore();
                java.util.Map<String, Object> params = new java.util.LinkedHashMap<>();
                params.put("pattern", p.name());
                params.put("region_mib", regionMiB);
                params.put("scan_interval_ms", 10);
                report.add(tracker, params, java.util.Map.of("writes_per_s", Math.round(score)));
            }
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
            System.out.println("usage: bench/run SUITE [--quick]   suites: " + String.join(", ", NAMES)
                    + "; writes bench/results/SUITE.json");
            System.exit(args.length == 0 ? 2 : 0);
        }
        String suite = args[0];
        boolean quick = false;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--quick")) {
                quick = true;
            } else {
                System.err.println("bench/run: unknown option " + args[i] + " (bench/run SUITE [--quick])");
                System.exit(2);
            }
        }
        BenchReport report = new BenchReport(suite);
        long start = System.nanoTime();
        switch (suite) {
            case "pull" -> PullBenchmark.run(report, quick
                    ? new PullBenchmark.Settings(64, 64, List.of(0, 20), 4, 20)
                    : new PullBenchmark.Settings(256, 64, List.of(0, 5, 20, 50), 4, 50));
            case "writer" -> writer(report, quick);
            default -> {
                System.err.println("bench/run: no suite '" + suite + "' (suites: " + String.join(", ", NAMES) + ")");
                System.exit(2);
            }
        }
        Path out = Path.of("bench", "results", suite + (quick ? "-quick" : "") + ".json");
        report.write(out);
        System.out.printf("bench/run %s: %d results in %.0f s, written to %s%n", suite, report.results().size(),
                (System.nanoTime() - start) / 1e9, out);
    }
}
