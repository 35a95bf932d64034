package io.memsync.cluster.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A test node in a JVM of its own, driven by lines: commands go to its standard input, answers come back as lines
 * of its standard output, its standard error goes to {@code target/node-logs/NAME-TESTPID.log}. Shared with other
 * modules' tests through this module's test jar.
 */
public final class LineProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Writer in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    /** Starts {@code command} with {@code environment} added to this JVM's. */
    public LineProcess(String name, List<String> command, Map<String, String> environment) throws IOException {
        this.name = name;
        Path logs = Path.of("target", "node-logs");
        Files.createDirectories(logs);
        Path log = logs.resolve(name + "-" + ProcessHandle.current().pid() + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(environment);
        process = pb.start();
        in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread.ofPlatform().daemon(true).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // The process ended.
            }
        });
    }

    public String name() {
        return name;
    }

    public Process process() {
        return process;
    }

    /** Writes {@code command} as one line to the process. */
    public void send(String command) throws IOException {
        in.write(command + "\n");
        in.flush();
    }

    /** The next line starting with {@code prefix} (or "error"), within {@code seconds}. */
    public String await(String prefix, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line != null && (line.startsWith(prefix) || line.startsWith("error"))) {
                return line;
            }
            if (line == null && !process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue()
                        + "; see target/node-logs");
            }
        }
        throw new IllegalStateException(name + " said no '" + prefix + "' within " + seconds + " s");
    }

    /** Sends {@code command} and returns its answer, "ok ..." or "error ...". */
    public String ask(String command, int seconds) throws IOException, InterruptedException {
        send(command);
        return await("ok", seconds);
    }

    /** Asks the process to exit; kills it if it has not within {@code seconds}. */
    public void close(int seconds) {
        try {
            send("exit");
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }

    @Override
    public void close() {
        close(15);
    }
}
