package io.memsync.cluster.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports to hand to nodes started together on one host (tests and benchmarks), which must know each other's
 * Hazelcast port before any of them listens. A port asked of the kernel with {@code bind(0)} comes from its
 * ephemeral range, from which it also gives every outgoing connection and every other {@code bind(0)} a port: in
 * the time between the pick and the node's bind, one of those may take it ("Port ... is already in use"). These
 * ports are picked below that range (read from /proc/sys/net/ipv4/ip_local_port_range), where only explicit binds
 * go, checked free on loopback, and never handed out twice by one JVM.
 * <p>
 * Test harness (the cluster module's test jar); the bench module packs it into its benchmarks jar. The demo, an
 * ordinary application that depends on no test code, has a short copy of its own ({@code DemoNode.freePort}).
 */
public final class FreePorts {
    private static final Path RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final int LOWEST = 10_000;
    private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    /** A loopback port free now, outside the kernel's ephemeral range. */
    public static int pick() throws IOException {
        int[] ephemeral = ephemeralRange();
        int from = LOWEST;
        int to = ephemeral[0];
        if (to - from < 1000) {
            // An unusual range that starts low: above it, then.
            from = ephemeral[1] + 1;
            to = 65536;
        }
        IOException last = null;
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(from, to);
            if (!GIVEN.add(port)) {
                continue;
            }
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
                return port;
            } catch (IOException inUse) {
                last = inUse;
            }
        }
        throw new IOException("no free port found in [" + from + ", " + to + ") after 200 tries", last);
    }

    private static int[] ephemeralRange() {
        try {
            String[] w = Files.readString(RANGE).trim().split("\\s+");
            return new int[] {Integer.parseInt(w[0]), Integer.parseInt(w[1])};
        } catch (IOException | RuntimeException e) {
            return new int[] {32768, 60999};
        }
    }
}
