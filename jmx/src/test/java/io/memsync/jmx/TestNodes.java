package io.memsync.jmx;

import io.memsync.cluster.FreePorts;
import io.memsync.cluster.Node;
import io.memsync.cluster.NodeConfig;
import io.memsync.cluster.WriterControl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Starting loopback nodes in this JVM, and bounded waits, for the jmx module's tests (the dashboard's too). */
public final class TestNodes {
    public static final byte[] SECRET = "jmx-test-secret-0123456789".getBytes(StandardCharsets.UTF_8);

    /** A writer control for applications that have no writer to pause (the tests write between migrations). */
    public static final WriterControl NO_WRITERS = new WriterControl() {
        @Override
        public void pause() {
        }

        @Override
        public void resume() {
        }
    };

    private TestNodes() {
    }

    public static int freePort() throws IOException {
        return FreePorts.pick();
    }

    /** Starts nodes named {@code names} in one cluster and waits until each sees all of them. */
    public static List<Node> start(String cluster, String... names) throws Exception {
        List<String> members = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        for (String ignored : names) {
            int port = freePort();
            ports.add(port);
            members.add("127.0.0.1:" + port);
        }
        List<Node> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < names.length; i++) {
                nodes.add(Node.start(NodeConfig.loopback(names[i], cluster + "-" + ProcessHandle.current().pid(),
                        ports.get(i), members, SECRET)));
            }
            for (Node n : nodes) {
                await(() -> n.clusterSize() == names.length, 60, n.name() + " never saw " + names.length
                        + " members");
            }
            return nodes;
        } catch (Exception | Error e) {
            close(nodes);
            throw e;
        }
    }

    /** Closes every node, reporting (not throwing) what fails, so that one failure does not leave others running. */
    public static void close(List<Node> nodes) {
        for (Node n : nodes) {
            try {
                n.close();
            } catch (IOException | RuntimeException e) {
                System.err.println("closing node " + n.name() + ": " + e);
            }
        }
    }

    /** Waits until {@code condition} holds, failing with {@code what} after {@code seconds}. */
    public static void await(BooleanSupplier condition, int seconds, String what) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what + " (waited " + seconds + " s)");
            Thread.sleep(20);
        }
    }
}
