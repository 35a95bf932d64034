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
 * What {@code -javaagent:memsync.jar} costs a small application in memory, threads and file descriptors: the same
 * application ({@link CostProbe}: 64 MiB mapped from a tmpfs file, every page written) without the agent, with it
 * and one region (a one-node cluster, no replica), and with ten regions, launched alternately; medians of resident
 * anonymous memory, resident memory, threads and descriptors, some seconds after the node is ready (2 by default;
 * idle threads end after 30 to 60 s). Usage: {@code AgentCostBenchmark [--agent-jar agent/target/memsync.jar]
 * [--launches 5] [--settle-seconds 2]}; prints Markdown.
 */
public final class AgentCostBenchmark {
    private static final long SIZE = 64L << 20;
    private static final int MANY = 10;

    private AgentCostBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of("agent/target/memsync.jar");
        int launches = 5;
        long settle = 2;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--agent-jar" -> jar = Path.of(args[i + 1]);
                case "--launches" -> launches = Integer.parseInt(args[i + 1]);
                case "--settle-seconds" -> settle = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (options: --agent-jar PATH, --launches N, --settle-seconds S)");
            }
        }
        System.out.print(run(jar, launches, settle));
    }

    public static String run(Path agentJar, int launches, long settleSeconds) throws Exception {
        if (!Files.isRegularFile(agentJar)) {
            throw new IllegalArgumentException(agentJar + " does not exist: build it with ./mvnw -pl agent -am package "
                    + "or pass --agent-jar");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        String classPath = probeDirectory().toString();
        Path dir = Files.createTempDirectory(Path.of("/dev/shm"), "memsync-cost-");
        long[][] without = new long[launches][];
        long[][] one = new long[launches][];
        long[][] many = new long[launches][];
        try {
            for (int i = 0; i < launches; i++) {
                without[i] = launch(java, classPath, null, dir, 1, i, settleSeconds);
                one[i] = launch(java, classPath, agentJar, dir, 1, i, settleSeconds);
                many[i] = launch(java, classPath, agentJar, dir, MANY, i, settleSeconds);
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
        long[] w = medians(without);
        long[] o = medians(one);
        long[] m = medians(many);
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "What the agent costs an application (%d launches each, medians, %d s "
                + "after the node is ready; 64 MiB mapped per region, one node, no replica):%n%n", launches,
                settleSeconds));
        b.append("| | anonymous resident MiB | resident MiB | threads | file descriptors |\n|---|---|---|---|---|\n");
        row(b, "without the agent (1 file)", w);
        row(b, "with the agent, 1 region", o);
        row(b, "with the agent, " + MANY + " regions", m);
        b.append(String.format(Locale.ROOT, "%nadded by the agent with one region: %.1f MiB anonymous, %d threads, %d "
                        + "descriptors; each further region: %.2f MiB anonymous, %.1f threads, %.1f descriptors%n",
                (o[0] - w[0]) / 1024.0, o[2] - w[2], o[3] - w[3], (m[0] - o[0]) / 1024.0 / (MANY - 1),
                (m[2] - o[2]) / (double) (MANY - 1), (m[3] - o[3]) / (double) (MANY - 1)));
        return b.toString();
    }

    private static void row(StringBuilder b, String what, long[] v) {
        b.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %d | %d |%n", what, v[0] / 1024.0, v[1] / 1024.0,
                v[2], v[3]));
    }

    private static long[] medians(long[][] runs) {
        long[] out = new long[4];
        for (int k = 0; k < 4; k++) {
            long[] column = new long[runs.length];
            for (int i = 0; i < runs.length; i++) {
                column[i] = runs[i][k];
            }
            Arrays.sort(column);
            out[k] = column[column.length / 2];
        }
        return out;
    }

    private static Path probeDirectory() throws java.io.IOException {
        Path dir = Files.createTempDirectory("memsync-cost-probe");
        String resource = CostProbe.class.getName().replace('.', '/') + ".class";
        Path file = dir.resolve(resource);
        Files.createDirectories(file.getParent());
        try (var in = AgentCostBenchmark.class.getClassLoader().getResourceAsStream(resource)) {
            Files.copy(java.util.Objects.requireNonNull(in, resource), file);
        }
        file.toFile().deleteOnExit();
        return dir;
    }

    /** RssAnon KiB, VmRSS KiB, threads, descriptors of one launch with {@code regions} files. */
    private static long[] launch(String java, String classPath, Path agentJar, Path dir, int regions, int run,
                                 long settleSeconds) throws Exception {
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-Dcost.settle.ms=" + settleSeconds * 1000));
        List<String> files = new ArrayList<>();
        StringBuilder keys = new StringBuilder();
        for (int r = 0; r < regions; r++) {
            Path f = dir.resolve("r" + r + "-" + run + "-" + (agentJar == null ? "plain" : regions));
            Files.deleteIfExists(f);
            files.add(f.toString());
            keys.append(",region.r").append(r).append(".path=").append(f).append(",region.r").append(r)
                    .append(".replicas=0");
        }
        if (agentJar != null) {
            command.add("-javaagent:" + agentJar.toAbsolutePath() + "=cluster.name=cost-"
                    + ProcessHandle.current().pid() + "-" + run + ",hazelcast.port=" + FreePorts.pick()
                    + ",secret=cost-benchmark-secret-0123" + keys);
        }
        command.addAll(List.of("-cp", classPath, CostProbe.class.getName(), Long.toString(SIZE)));
        command.addAll(files);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        long[] out = null;
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                if (line.startsWith("cost ")) {
                    out = Arrays.stream(line.substring(5).split(" ")).mapToLong(Long::parseLong).toArray();
                }
            }
        }
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0 || out == null) {
            p.destroyForcibly();
            throw new IllegalStateException("probe failed: " + command + "\n" + String.join("\n", lines));
        }
        return out;
    }
}
