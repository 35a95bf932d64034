package io.memsync.cluster;

import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.FreePorts;
import io.memsync.cluster.testkit.LineProcess;
import io.memsync.cluster.testkit.NodeMain;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A {@link NodeMain} in its own JVM, driven line by line; the cluster secret is {@link Fixtures#SECRET}. */
final class NodeProcess implements AutoCloseable {
    private final LineProcess process;
    final String name;
    final int port;

    NodeProcess(String name, int port, List<String> members) throws IOException {
        this(name, List.of(), "127.0.0.1", port, members, List.of());
    }

    NodeProcess(String name, List<String> prefix, String host, int port, List<String> members) throws IOException {
        this(name, prefix, host, port, members, List.of());
    }

    /**
     * A node bound to {@code host}, started behind {@code prefix} (for example {@code ip netns exec NS}), with more
     * {@link NodeMain} options. Its log goes to {@code target/node-logs/NAME-TESTPID.log}.
     */
    NodeProcess(String name, List<String> prefix, String host, int port, List<String> members, List<String> options)
            throws IOException {
        this(name, prefix, host, port, members, options, Map.of());
    }

    /** As above, with more environment variables (for example TLS: {@code TlsStores.environment}). */
    NodeProcess(String name, List<String> prefix, String host, int port, List<String> members, List<String> options,
                Map<String, String> environment) throws IOException {
        this.name = name;
        this.port = port;
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "java.se",
                "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.management/sun.management=ALL-UNNAMED",
                "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), NodeMain.class.getName(),
                "--name=" + name, "--cluster=test-" + ProcessHandle.current().pid(), "--host=" + host,
                "--port=" + port,
                "--members=" + String.join(",", members)));
        cmd.addAll(options);
        Map<String, String> env = new java.util.HashMap<>(io.memsync.cluster.testkit.TlsStores.environmentForTests());
        env.putAll(environment);
        env.put("MEMSYNC_SECRET", Fixtures.SECRET);
        process = new LineProcess(name, cmd, env);
    }

    /** The next line starting with {@code prefix} (or an error), within {@code seconds}. */
    String await(String prefix, int seconds) throws InterruptedException {
        return process.await(prefix, seconds);
    }

    /**
     * Starts {@code count} loopback nodes with {@code options} (added to {@code nodes} as they start), waits until
     * each sees all of them and Hazelcast's partitions have their backups (a test may then kill or pause one);
     * returns their member ids in order.
     */
    static List<String> startCluster(List<NodeProcess> nodes, String prefix, int count, List<String> options)
            throws Exception {
        return startCluster(nodes, prefix, count, options, Map.of());
    }

    /** As above, each node with more environment variables ({@code environment}). */
    static List<String> startCluster(List<NodeProcess> nodes, String prefix, int count, List<String> options,
                                     Map<String, String> environment) throws Exception {
        List<Integer> ports = new ArrayList<>();
        List<String> members = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ports.add(FreePorts.pick());
            members.add("127.0.0.1:" + ports.get(i));
        }
        for (int i = 0; i < count; i++) {
            nodes.add(new NodeProcess(prefix + i, List.of(), "127.0.0.1", ports.get(i), members, options,
                    environment));
        }
        List<String> ids = new ArrayList<>();
        for (NodeProcess n : nodes) {
            ids.add(n.awaitReady(90));
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        for (NodeProcess n : nodes) {
            while (!n.call("members", 10).equals("ok members " + count)) {
                assertTrue(System.nanoTime() < deadline, n.name + " never saw " + count + " members");
                Thread.sleep(100);
            }
        }
        for (NodeProcess n : nodes) {
            n.call("safe 60", 70);
        }
        return ids;
    }

    /** Polls with {@code command} until the answer contains {@code expected}, within 60 s; returns the answer. */
    String awaitAnswer(String command, String expected, String what) throws Exception {
        long until = System.nanoTime() + 60_000_000_000L;
        String answer;
        while (!(answer = ask(command, 30)).contains(expected)) {
            assertTrue(System.nanoTime() < until, what + " within 60 s; last answer: " + answer);
            Thread.sleep(100);
        }
        return answer;
    }

    /** Waits for the node to start; returns its member id. */
    String awaitReady(int seconds) throws InterruptedException {
        String line = await("ready", seconds);
        if (!line.startsWith("ready ")) {
            throw new IllegalStateException(name + " did not start: " + line);
        }
        return line.substring("ready ".length()).trim();
    }

    /** Sends {@code command}; returns its answer, failing on an error answer. */
    String call(String command, int seconds) throws IOException, InterruptedException {
        String answer = process.ask(command, seconds);
        if (!answer.startsWith("ok")) {
            throw new AssertionError(name + ": '" + command + "' -> " + answer);
        }
        return answer;
    }

    Process process() {
        return process.process();
    }

    /** Sends {@code command} and returns its answer, ok or error (for commands expected to fail). */
    String ask(String command, int seconds) throws IOException, InterruptedException {
        return process.ask(command, seconds);
    }

    /** Stops (SIGSTOP) or resumes (SIGCONT) the process: a paused machine, as far as its peers can tell. */
    void signal(String signal) throws IOException, InterruptedException {
        long pid = process.process().pid();
        int status = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor();
        if (status != 0) {
            throw new IOException("kill -" + signal + " " + pid + " exited with " + status);
        }
    }

    @Override
    public void close() {
        process.close(15);
    }
}
