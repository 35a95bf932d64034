package io.memsync.demo.cache;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One cache node the demo starts: a JVM running {@link CacheNode} with {@code -javaagent:memsync.jar}, its ports,
 * its configuration file and its log; and the HTTP calls the walkthrough makes to it.
 */
final class DemoNode implements AutoCloseable {
    /** What Chronicle Bytes needs on JDK 25 (JVM.md): the cache encodes its entries with it. */
    static final List<String> CHRONICLE_FLAGS = List.of("--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
            "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    final String name;
    final int hazelcastPort = freePort();
    final int httpPort = freePort();
    final int jmxPort = freePort();
    final int dashboardPort;
    final Path log;
    private Process process;

    DemoNode(String name, int dashboardPort, Path dir) throws IOException {
        this.name = name;
        this.dashboardPort = dashboardPort > 0 ? dashboardPort : freePort();
        this.log = dir.resolve(name + ".log");
    }

    String http() {
        return "127.0.0.1:" + httpPort;
    }

    String dashboard() {
        return "http://127.0.0.1:" + dashboardPort + "/";
    }

    /** Starts the JVM with {@code config} for the agent; its output goes to {@link #log}. */
    void start(Path agentJar, Path demoJar, Path config, String peers) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx512m", "--enable-native-access=ALL-UNNAMED"));
        command.addAll(CHRONICLE_FLAGS);
        command.add("-javaagent:" + agentJar.toAbsolutePath() + "=config=" + config.toAbsolutePath());
        command.addAll(List.of("-cp", demoJar.toAbsolutePath().toString(), CacheNode.class.getName(),
                Integer.toString(httpPort), peers));
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    /** kill -9: the node dies without a word, as a crashed host would. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** An HTTP call to this node: status and body (status 0 if the node did not answer). */
    Reply call(String method, String path, String body) {
        try {
            HttpRequest r = HttpRequest.newBuilder(URI.create("http://" + http() + path))
                    .timeout(Duration.ofSeconds(30))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body)).build();
            HttpResponse<String> response = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
            return new Reply(response.statusCode(), response.body());
        } catch (IOException e) {
            return new Reply(0, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Reply(0, "interrupted");
        }
    }

    /** The last lines of the node's log, for error messages. */
    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    record Reply(int status, String body) {
        boolean ok() {
            return status == 200;
        }

        /** A number field of a flat JSON body. */
        double number(String field) {
            int at = body.indexOf("\"" + field + "\":");
            if (at < 0) {
                throw new IllegalStateException("no " + field + " in " + body);
            }
            int start = at + field.length() + 3;
            int end = start;
            while (end < body.length() && "-0123456789.eE".indexOf(body.charAt(end)) >= 0) {
                end++;
            }
            return Double.parseDouble(body.substring(start, end));
        }

        String text(String field) {
            int at = body.indexOf("\"" + field + "\":\"");
            if (at < 0) {
                throw new IllegalStateException("no " + field + " in " + body);
            }
            int start = at + field.length() + 4;
            return body.substring(start, body.indexOf('"', start));
        }
    }

    static String javaBinary() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /**
     * A loopback port free now, below the kernel's ephemeral range (32768 and up by default): a port from
     * {@code bind(0)} could be taken by an outgoing connection before the node binds it. The launcher does not
     * carry memsync's cluster classes, and the demo depends on no test code: hence this short copy of the test kit's
     * {@code io.memsync.cluster.testkit.FreePorts} (in the cluster module's test jar).
     */
    static int freePort() throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = java.util.concurrent.ThreadLocalRandom.current().nextInt(20_000, 32_000);
            if (!GIVEN.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 1);
                return port;
            } catch (IOException inUse) {
                last = inUse;
            }
        }
        throw new IOException("no free port found in [20000, 32000) after 200 tries", last);
    }

    private static final java.util.Set<Integer> GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();
}
