package io.memsync.bench;

import io.memsync.cluster.testkit.FreePorts;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What {@code -javaagent:memsync.jar} costs an application's start: JVMs launched alternately without and with the
 * agent (a one-node cluster, one region), timing the JVM's uptime when {@code main} starts, the launch to exit of
 * the whole process, and, with the agent, when the node has joined (it joins in the background, after main
 * started). Usage: {@code AgentStartupBenchmark [--agent-jar agent/target/memsync.jar] [--launches 10]}; prints
 * Markdown with medians.
 */
public final class AgentStartupBenchmark {
    private AgentStartupBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of("agent/target/memsync.jar");
        int launches = 10;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--agent-jar" -> jar = Path.of(args[i + 1]);
                case "--launches" -> launches = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (options: --agent-jar PATH, --launches N)");
            }
        }
        System.out.print(run(jar, launches));
    }

    public static String run(Path agentJar, int launches) throws Exception {
        if (!Files.isRegularFile(agentJar)) {
            throw new IllegalArgumentException(agentJar + " does not exist: build it with ./mvnw -pl agent -am package "
                    + "or pass --agent-jar");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        // The probe alone on the class path: with memsync's own unrelocated classes there (this jar has them), the
        // application's copies would shadow the agent's.
        String classPath = probeDirectory().toString();
        long[] mainWithout = new long[launches];
        long[] mainWith = new long[launches];
        long[] wallWithout = new long[launches];
        long[] wallWith = new long[launches];
        long[] joined = new long[launches];
        for (int i = 0; i < launches; i++) {
            long[] without = launch(List.of(java, "-cp", classPath, StartupProbe.class.getName()));
            mainWithout[i] = without[0];
            wallWithout[i] = without[2];
            int port = FreePorts.pick();
            String args = "cluster.name=startup-" + ProcessHandle.current().pid() + "-" + i + ",hazelcast.port=" + port
                    + ",secret=startup-benchmark-secret,region.probe.size=1m,region.probe.replicas=0";
            long[] with = launch(List.of(java, "--enable-native-access=ALL-UNNAMED",
                    "-javaagent:" + agentJar.toAbsolutePath() + "=" + args, "-cp", classPath,
                    StartupProbe.class.getName()));
            mainWith[i] = with[0];
            joined[i] = with[1];
            wallWith[i] = with[2];
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Agent start-up cost, %d launches each, medians (ms):%n%n", launches));
        b.append("| | JVM uptime at main | node joined (uptime) | launch to exit |\n|---|---|---|---|\n");
        b.append(String.format(Locale.ROOT, "| without agent | %d | - | %d |%n", median(mainWithout),
                median(wallWithout)));
        b.append(String.format(Locale.ROOT, "| with agent | %d | %d | %d |%n", median(mainWith), median(joined),
                median(wallWith)));
        b.append(String.format(Locale.ROOT, "%nmain starts %d ms later with the agent (%.2fx)%n",
                median(mainWith) - median(mainWithout), (double) median(mainWith) / Math.max(1, median(mainWithout))));
        return b.toString();
    }

    private static Path probeDirectory() throws java.io.IOException {
        Path dir = Files.createTempDirectory("memsync-startup-probe");
        String resource = StartupProbe.class.getName().replace('.', '/') + ".class";
        Path file = dir.resolve(resource);
        Files.createDirectories(file.getParent());
        try (var in = AgentStartupBenchmark.class.getClassLoader().getResourceAsStream(resource)) {
            Files.copy(java.util.Objects.requireNonNull(in, resource), file);
        }
        file.toFile().deleteOnExit();
        return dir;
    }

    /** Uptime at main, uptime when joined (-1 without agent), launch-to-exit wall time. */
    private static long[] launch(List<String> command) throws Exception {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        long[] out = {-1, -1, -1};
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                if (line.startsWith("main ")) {
                    out[0] = Long.parseLong(line.substring(5));
                } else if (line.startsWith("joined ")) {
                    out[1] = Long.parseLong(line.substring(7));
                }
            }
        }
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0 || out[0] < 0) {
            p.destroyForcibly();
            throw new IllegalStateException("probe failed: " + command + "\n" + String.join("\n", lines));
        }
        out[2] = (System.nanoTime() - start) / 1_000_000;
        return out;
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
