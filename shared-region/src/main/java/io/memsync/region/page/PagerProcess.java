package io.memsync.region.page;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.time.Duration;

/**
 * One pager process as the application sees it: started with the JVM running this code, talked to by lines over
 * its stdin and stdout (a thread of ours reads its answers), stopped on {@link #exit}.
 */
final class PagerProcess {
    private static final System.Logger LOG = System.getLogger(PagerProcess.class.getName());

    private final Process process;
    private final Writer commands;
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    private final Thread reader;
    private final String role;

    private PagerProcess(Process process, String role) {
        this.process = process;
        this.role = role;
        this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.reader = Thread.ofPlatform().name("memsync-pager-" + process.pid()).daemon(true).start(this::readAnswers);
    }

    /** Starts a pager with {@code arguments} (see {@link PagerMain}); returns once it says it is ready. */
    static PagerProcess start(String role, List<String> arguments, Duration timeout) throws IOException {
        return start(role, arguments, java.util.Map.of(), timeout);
    }

    /** As above, with {@code environment} added to the pager's (secrets its source needs stay off the command line). */
    static PagerProcess start(String role, List<String> arguments, java.util.Map<String, String> environment,
                              Duration timeout) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-Xms16m");
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.add("-Xss512k");
        command.add("-cp");
        command.add(classPath());
        command.add(PagerMain.class.getName());
        command.add("--role=" + role);
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putAll(environment);
        Process p = builder.start();
        PagerProcess pager = new PagerProcess(p, role);
        String ready = pager.await("ready", timeout);
        if (ready == null) {
            p.destroyForcibly();
            throw new IOException("the " + role + " pager did not start within " + timeout.toMillis() + " ms"
                    + (p.isAlive() ? "" : " (it exited with status " + exitValue(p) + "; its errors are above)"));
        }
        return pager;
    }

    private static String exitValue(Process p) {
        try {
            return Integer.toString(p.waitFor(1, TimeUnit.SECONDS) ? p.exitValue() : -1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /**
     * The pager's class path: where this class came from, then the application's class path, so that sources
     * provided by other jars (the cluster's network source) are found by the pager too.
     */
    private static String classPath() {
        String own;
        try {
            own = Path.of(PagerMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            own = null;
        }
        String app = System.getProperty("java.class.path", "");
        return own == null ? app : app.isEmpty() ? own : own + java.io.File.pathSeparator + app;
    }

    private void readAnswers() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                answers.add(line);
            }
        } catch (IOException e) {
            // The pager is gone; callers see it through isAlive() and timeouts.
        }
    }

    /** The next answer starting with {@code prefix}, skipping others; null on timeout or exit. */
    String await(String prefix, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                String line = answers.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
                if (line != null && (line.startsWith(prefix) || line.startsWith("error"))) {
                    return line;
                }
                if (line == null && !process.isAlive() && answers.isEmpty()) {
                    return null;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Sends {@code command} and returns its answer, or throws naming what went wrong. */
    synchronized String call(String command, String expect, Duration timeout) throws IOException {
        send(command);
        String answer = await(expect, timeout);
        if (answer == null) {
            throw new IOException("pager " + pid() + " did not answer '" + command + "' within " + timeout.toMillis()
                    + " ms" + (process.isAlive() ? "" : " (it has exited)"));
        }
        if (answer.startsWith("error")) {
            throw new IOException("pager " + pid() + " refused '" + command + "': " + answer.substring(5).trim());
        }
        return answer;
    }

    synchronized void send(String command) throws IOException {
        commands.write(command);
        commands.write('\n');
        commands.flush();
    }

    long pid() {
        return process.pid();
    }

    String role() {
        return role;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Process process() {
        return process;
    }

    /** Asks the pager to exit, then makes sure it does. */
    void exit(Duration timeout) {
        try {
            if (process.isAlive()) {
                send("exit");
            }
        } catch (IOException e) {
            // Already gone.
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "pager " + pid() + " did not exit; killing it");
                process.destroyForcibly().waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        reader.interrupt();
    }
}
