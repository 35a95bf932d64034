package io.memsync.cluster;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A second host for process tests: a network namespace of its own, joined to the test's namespace by a veth pair
 * this creates (addresses 10.232.N.1 on the test's side, 10.232.N.2 inside, which exist nowhere else) and
 * {@link #close()} removes. The link can be rate-limited with {@code tbf} ({@code netem} is not in this kernel) and
 * cut, to partition the host from the rest. Needs root.
 */
final class NetNamespace implements AutoCloseable {
    private static final AtomicInteger NEXT = new AtomicInteger();

    final String name;
    /** The test's side of the link: nodes in the test's namespace bind here to reach the namespace. */
    final String hostAddress;
    /** The address inside the namespace. */
    final String address;
    private final String hostDevice;
    private final String device;

    /** Whether this process may create namespaces (root, with the {@code ip} and {@code tc} tools). */
    static boolean available() {
        return "root".equals(System.getProperty("user.name"))
                && new java.io.File("/usr/sbin/ip").canExecute() && new java.io.File("/usr/sbin/tc").canExecute();
    }

    NetNamespace() throws IOException, InterruptedException {
        long pid = ProcessHandle.current().pid();
        int n = NEXT.incrementAndGet();
        int subnet = (int) ((pid * 7 + n) % 250) + 1;
        this.name = "memsync-" + pid + "-" + n;
        this.hostAddress = "10.232." + subnet + ".1";
        this.address = "10.232." + subnet + ".2";
        this.hostDevice = "ms" + (pid % 10000) + "h" + n;
        this.device = "ms" + (pid % 10000) + "n" + n;
        try {
            run("ip", "netns", "add", name);
            run("ip", "link", "add", hostDevice, "type", "veth", "peer", "name", device);
            run("ip", "link", "set", device, "netns", name);
            run("ip", "addr", "add", hostAddress + "/24", "dev", hostDevice);
            run("ip", "-n", name, "addr", "add", address + "/24", "dev", device);
            run("ip", "link", "set", hostDevice, "up");
            run("ip", "-n", name, "link", "set", device, "up");
            run("ip", "-n", name, "link", "set", "lo", "up");
            // Everything leaves through the link: a peer in the test's namespace may connect from any of its
            // addresses (the kernel picks the source), and the answer must find its way back.
            run("ip", "-n", name, "route", "add", "default", "via", hostAddress);
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The command prefix that runs a process inside the namespace. */
    List<String> exec() {
        return List.of("ip", "netns", "exec", name);
    }

    /**
     * Limits what the test's side sends into the namespace to {@code rate} (tc syntax: "8mbit"), with a short queue
     * so that Hazelcast's heartbeats are not held behind a fill.
     */
    void limit(String rate) throws IOException, InterruptedException {
        run("tc", "qdisc", "replace", "dev", hostDevice, "root", "tbf", "rate", rate, "burst", "16kb",
                "latency", "20ms");
    }

    /** Lifts {@link #limit}. */
    void unlimit() throws IOException, InterruptedException {
        run("tc", "qdisc", "del", "dev", hostDevice, "root");
    }

    /**
     * Cuts the link: the namespace is partitioned from everything else. Its own end goes down, so that the test's
     * side keeps its route to it (packets sent to the namespace are lost, as on a dead link, instead of leaving by
     * another interface with another source address that would outlive the cut in half-open connections).
     */
    void cut() throws IOException, InterruptedException {
        run("ip", "-n", name, "link", "set", device, "down");
    }

    /** Restores the link {@link #cut} cut. */
    void heal() throws IOException, InterruptedException {
        run("ip", "-n", name, "link", "set", device, "up");
        run("ip", "-n", name, "route", "replace", "default", "via", hostAddress);
    }

    static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " hung");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + p.exitValue() + "): " + out.trim());
        }
    }

    @Override
    public void close() {
        // Deleting the namespace deletes the pair too, so the first may find nothing: either is fine.
        for (String[] command : new String[][] {{"ip", "link", "del", hostDevice}, {"ip", "netns", "del", name}}) {
            try {
                run(command);
            } catch (IOException ignored) {
                // Gone already.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
