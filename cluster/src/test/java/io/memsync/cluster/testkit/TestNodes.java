package io.memsync.cluster.testkit;

import io.memsync.cluster.Node;
import io.memsync.cluster.NodeConfig;
import io.memsync.cluster.WriterControl;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Loopback nodes in the test's own JVM, started together, with {@link Fixtures#SECRET}. */
public final class TestNodes {
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

    /**
     * Starts nodes named {@code names} in one cluster (named {@code cluster} and this JVM's pid), each on a port of
     * its own from {@link FreePorts} with all of them as members, and waits until each sees all of them. If any
     * fails to start, those started are closed.
     */
    public static List<Node> start(String cluster, String... names) throws Exception {
        List<String> members = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        for (String ignored : names) {
            int port = FreePorts.pick();
            ports.add(port);
            members.add("127.0.0.1:" + port);
        }
        List<Node> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < names.length; i++) {
                nodes.add(Node.start(NodeConfig.loopback(names[i], cluster + "-" + ProcessHandle.current().pid(),
                        ports.get(i), members, Fixtures.secret())));
            }
            for (Node n : nodes) {
                Fixtures.await(() -> n.clusterSize() == names.length, 60, n.name() + " never saw " + names.length
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
}
