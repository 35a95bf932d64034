package io.memsync.region.pager;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.time.Duration;

/**
 * One pager process as the application sees it: started with the JVM running this code, talked to by lines over
 * its stdin and stdout (a thread of ours reads its answers; the line protocol is {@link PagerMain}'s), stopped on
 * {@link #exit}.
 */
public final class PagerProcess {
    private static final System.Logger LOG = System.getLogger(PagerProcess.class.getName());

    private final Process process;
    private final Writer commands;
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    private final Thread reader;
    private final PagerArguments.Role role;

    private PagerProcess(Process process, PagerArguments.Role role) {
        this.process = process;
        this.role = role;
        this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.reader = Thread.ofPlatform().name("memsync-pager-" + process.pid()).daemon(true).start(this::readAnswers);
    }

    /**
     * Starts a pager with {@code arguments}, with {@code environment} added to its own (secrets its source needs stay
     * off the command line); returns once it says it is ready, or fails naming why.
     */
    public static PagerProcess start(PagerArguments arguments, Map<String, String> environment, Duration timeout)
            throws IOException {
        PagerArguments.Role role = arguments.role();
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
        command.addAll(arguments.toArguments());
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putAll(environment);
        Process p = builder.start();
        PagerProcess pager = new PagerProcess(p, role);
        String ready = pager.await(PagerMain.READY, timeout);
        if (ready == null || ready.startsWith(PagerMain.ERROR)) {
            p.destroyForcibly();
            throw new IOException("the " + role.argument() + " pager did not start within " + timeout.toMillis() + " ms"
                    + (ready == null ? "" : " (" + ready + ")")
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

    /** The next answer starting with {@code prefix} or an error, skipping others; null on timeout or exit. */
    private String await(String prefix, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                String line = answers.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
                if (line != null && (line.startsWith(prefix) || line.startsWith(PagerMain.ERROR))) {
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

    /**
     * Makes chunks [from, to) missing again: the pager drops their pages and the next touch pulls them afresh. Only
     * the active pager takes it.
     */
    public void invalidate(int from, int to, Duration timeout) throws IOException {
        call(PagerMain.INVALIDATE + " " + from + " " + to, timeout);
    }

    /** Stops background pulls; faults outstanding are served until the close timeout, then failed. */
    public void beginClose(Duration timeout) throws IOException {
        call(PagerMain.CLOSE, timeout);
    }

    /** Waits until this standby says it took over from the dead active pager; false on timeout or its exit. */
    public boolean awaitTakeover(Duration timeout) {
        String line = await(PagerMain.ACTIVE, timeout);
        return line != null && line.startsWith(PagerMain.ACTIVE);
    }

    /** Sends {@code command} and waits for its {@code ok}, or throws naming what went wrong. */
    private synchronized void call(String command, Duration timeout) throws IOException {
        send(command);
        String answer = await(PagerMain.OK, timeout);
        if (answer == null) {
            throw new IOException("pager " + pid() + " did not answer '" + command + "' within " + timeout.toMillis()
                    + " ms" + (process.isAlive() ? "" : " (it has exited)"));
        }
        if (answer.startsWith(PagerMain.ERROR)) {
            throw new IOException("pager " + pid() + " refused '" + command + "': "
                    + answer.substring(PagerMain.ERROR.length()).trim());
        }
    }

    private synchronized void send(String command) throws IOException {
        commands.write(command);
        commands.write('\n');
        commands.flush();
    }

    public long pid() {
        return process.pid();
    }

    public PagerArguments.Role role() {
        return role;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Completes when the pager process has exited. */
    public CompletableFuture<?> onExit() {
        return process.onExit();
    }

    /** Asks the pager to exit, then makes sure it does. */
    public void exit(Duration timeout) {
        try {
            if (process.isAlive()) {
                send(PagerMain.EXIT);
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
