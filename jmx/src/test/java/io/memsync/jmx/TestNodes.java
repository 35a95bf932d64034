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

/** Starting loopback nodes in this JVM, and bounded waits. */
final class TestNodes {
    static final byte[] SECRET = "jmx-test-secret-0123456789".getBytes(StandardCharsets.UTF_8);

    /** A writer control for applications that have no writer to pause (the tests write between migrations). */
    static final WriterControl NO_WRITERS = new WriterControl() {
        @Override
        public void pause() {
        }

        @Override
        public void resume() {
        }
    };

    private TestNodes() {
    }

    static int freePort() throws IOException {
        return FreePorts.pick();
    }

    /** Starts nodes named {@code names} in one cluster and waits until each sees all of them. */
    static List<Node> start(String cluster, String... names) throws Exception {
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
            for (Node n : nodes) {
                n.close();
            }
            throw e;
        }
    }

    /** Waits until {@code condition} holds, failing with {@code what} after {@code seconds}. */
    static void await(BooleanSupplier condition, int seconds, String what) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what + " (waited " + seconds + " s)");
            Thread.sleep(20);
        }
    }
}
