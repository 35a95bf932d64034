package io.memsync.cluster.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a Jazzer fuzz target (a class with {@code public static void fuzzerTestOneInput(byte[])}) in a child JVM,
 * coverage-guided, bounded in runs and time, from the seeds committed beside the tests. The bounds come from
 * {@code -Dmemsync.fuzz.runs} and {@code -Dmemsync.fuzz.seconds} when given (a long run by hand), else from the
 * caller (CI's bounded run). A crash, a hang past Jazzer's own timeout or an out-of-memory fails the run with
 * Jazzer's report, and the input that caused it is kept in the work directory.
 */
public final class Fuzzing {
    private static final Pattern DONE = Pattern.compile("Done (\\d+) runs in (\\d+) second");

    /** What a run did. */
    public record Result(long runs, long seconds, String output) {
        public long perSecond() {
            return runs / Math.max(1, seconds);
        }
    }

    private Fuzzing() {
    }

    /**
     * Fuzzes {@code target} from the seeds in {@code seeds} (read, never written), at most {@code runs} inputs and
     * {@code seconds} seconds unless the system properties say otherwise; new inputs and crashes go to {@code work}.
     *
     * @throws AssertionError if Jazzer found a failing input or did not end cleanly
     */
    public static Result run(Class<?> target, Path seeds, long runs, int seconds, Path work)
            throws IOException, InterruptedException {
        long maxRuns = Long.getLong("memsync.fuzz.runs", runs);
        int maxSeconds = Integer.getInteger("memsync.fuzz.seconds", seconds);
        Path corpus = Files.createDirectories(work.resolve("corpus"));
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+EnableDynamicAgentLoading", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"),
                "com.code_intelligence.jazzer.Jazzer",
                "--target_class=" + target.getName(),
                "--instrumentation_includes=io.memsync.**",
                // The data-plane target connects to its own server on loopback, by design.
                "--disabled_hooks=com.code_intelligence.jazzer.sanitizers.ServerSideRequestForgery",
                "-runs=" + maxRuns,
                "-max_total_time=" + maxSeconds,
                "-timeout=10",
                "-rss_limit_mb=4096",
                "-print_final_stats=1",
                "-artifact_prefix=" + work.toAbsolutePath() + "/",
                corpus.toString()));
        if (Files.isDirectory(seeds)) {
            command.add(seeds.toString());
        }
        Path log = work.resolve("jazzer.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(maxSeconds + 120L, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("fuzzing " + target.getSimpleName() + " did not end within " + (maxSeconds + 120)
                    + " s:\n" + tail(log));
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError("fuzzing " + target.getSimpleName() + " found a failing input (exit "
                    + p.exitValue() + "; inputs kept in " + work + "):\n" + tail(log));
        }
        Matcher m = DONE.matcher(output);
        if (!m.find()) {
            throw new AssertionError("fuzzing " + target.getSimpleName() + " ended without its summary:\n" + tail(log));
        }
        Result r = new Result(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), output);
        System.out.println("fuzzed " + target.getSimpleName() + ": " + r.runs() + " inputs in " + r.seconds()
                + " s (" + r.perSecond() + "/s), no failure");
        return r;
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }
}
