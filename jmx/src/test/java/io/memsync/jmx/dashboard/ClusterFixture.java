package io.memsync.jmx.dashboard;

import io.memsync.cluster.FreePorts;
import io.memsync.cluster.Node;
import io.memsync.cluster.NodeConfig;
import io.memsync.cluster.WriterControl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loopback nodes in this JVM for the dashboard's tests, and bounded waits. */
final class ClusterFixture {
    static final byte[] SECRET = "dashboard-test-secret-0123456789".getBytes(StandardCharsets.UTF_8);

    /** For regions whose tests write only between migrations: nothing to pause. */
    static final WriterControl NO_WRITERS = new WriterControl() {
        @Override
        public void pause() {
        }

        @Override
        public void resume() {
        }
    };

    private ClusterFixture() {
    }

    /** Starts nodes named {@code names} in one cluster, each configured by {@code tune}, and waits until all see all. */
    static List<Node> start(String cluster, UnaryOperator<NodeConfig> tune, String... names) throws Exception {
        List<String> members = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        for (String ignored : names) {
            ports.add(FreePorts.pick());
            members.add("127.0.0.1:" + ports.getLast());
        }
        List<Node> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < names.length; i++) {
                nodes.add(Node.start(tune.apply(NodeConfig.loopback(names[i], cluster + "-"
                        + ProcessHandle.current().pid(), ports.get(i), members, SECRET))));
            }
            for (Node n : nodes) {
                await(() -> n.clusterSize() == names.length, 60, n.name() + " never saw " + names.length + " members");
            }
            return nodes;
        } catch (Exception | Error e) {
            close(nodes);
            throw e;
        }
    }

    static void close(List<Node> nodes) {
        for (Node n : nodes) {
            try {
                n.close();
            } catch (IOException | RuntimeException e) {
                System.err.println("closing node " + n.name() + ": " + e);
            }
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
