package io.memsync.agent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A test application in a JVM of its own, driven by lines on its standard input; its output lines are collected
 * (and copied to a log file under target/app-logs) so that tests can wait for answers.
 */
final class AppProcess implements AutoCloseable {
    static final Path AGENT_JAR = Path.of(System.getProperty("memsync.agent.jar", "target/memsync.jar"));
    static final Path TEST_CLASSES = Path.of(System.getProperty("memsync.test.classes", "target/test-classes"));
    static final Path IT_LIBS = Path.of(System.getProperty("memsync.it.libs", "target/it-libs"));
    static final String JAVA = ProcessHandle.current().info().command().orElse("java");

    private final String name;
    private final Process process;
    private final Writer in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> all = java.util.Collections.synchronizedList(new ArrayList<>());

    private AppProcess(String name, Process process) throws IOException {
        this.name = name;
        this.process = process;
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Path log = Path.of("target", "app-logs", name + "-" + ProcessHandle.current().pid() + ".log");
        Files.createDirectories(log.getParent());
        Writer logWriter = Files.newBufferedWriter(log);
        Thread.ofPlatform().daemon(true).name("app-output-" + name).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8)); logWriter) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                    all.add(line);
                    logWriter.write(line + "\n");
                    logWriter.flush();
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
    }

    /** Starts {@code main} with the test classes (and {@code extraClassPath}) and the given JVM options. */
    static AppProcess start(String name, List<String> jvmOptions, String extraClassPath, String main,
                            String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(JAVA);
        command.add("-Xmx256m");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(TEST_CLASSES + (extraClassPath == null ? "" : ":" + extraClassPath));
        command.add(main);
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove("MEMSYNC_SECRET");
        return new AppProcess(name, pb.start());
    }

    /** -javaagent with the given agent arguments. */
    static String agent(String args) {
        return "-javaagent:" + AGENT_JAR.toAbsolutePath() + (args.isEmpty() ? "" : "=" + args);
    }

    /** Closes the application's standard input: the test applications' {@code main} then returns. */
    void endInput() throws IOException {
        in.close();
    }

    long pid() {
        return process.pid();
    }

    /** Sends a command and returns its answer: the next line that is not a log line. */
    String ask(String command, Duration timeout) throws IOException, InterruptedException {
        in.write(command + "\n");
        in.flush();
        return await(l -> l.startsWith("ok") || l.startsWith("value") || l.startsWith("error")
                || l.startsWith("timeout") || l.startsWith("mismatch") || l.startsWith("role") || l.startsWith("bye"),
                timeout);
    }

    /** The next output line that matches, or an AssertionError with the output so far. */
    String await(java.util.function.Predicate<String> wanted, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
            if (line == null) {
                throw new AssertionError(name + ": no expected line within " + timeout.toMillis() + " ms"
                        + (process.isAlive() ? "" : " (exited with " + process.exitValue() + ")") + "; output:\n"
                        + String.join("\n", tail()));
            }
            if (wanted.test(line)) {
                return line;
            }
        }
    }

    /** Waits until some output line so far matches, without consuming lines; the line. */
    String awaitOutput(java.util.function.Predicate<String> wanted, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (String line : output()) {
                if (wanted.test(line)) {
                    return line;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + ": no such line within " + timeout.toMillis() + " ms; output:\n"
                        + String.join("\n", tail()));
            }
            Thread.sleep(20);
        }
    }

    String awaitLine(String prefix, Duration timeout) throws InterruptedException {
        return await(l -> l.startsWith(prefix), timeout);
    }

    /** Waits for the process to exit; its exit status. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " did not exit within " + timeout.toMillis() + " ms; output:\n"
                    + String.join("\n", tail()));
        }
        return process.waitFor();
    }

    List<String> output() {
        synchronized (all) {
            return List.copyOf(all);
        }
    }

    private List<String> tail() {
        List<String> out = output();
        return out.subList(Math.max(0, out.size() - 60), out.size());
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
