package io.memsync.bench;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code bench/run SUITE [--quick]} runs: one suite of measurements, written to
 * {@code bench/results/SUITE.json} ({@link BenchReport}). {@code --quick} runs each suite in under two minutes, for a
 * smoke test; its figures are not for comparison.
 */
public final class Suites {
    private static final List<String> NAMES = List.of("pull");

    private Suites() {
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
