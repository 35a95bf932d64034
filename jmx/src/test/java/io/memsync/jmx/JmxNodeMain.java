package io.memsync.jmx;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.DataPlaneStall;
import io.memsync.cluster.Node;
import io.memsync.cluster.NodeConfig;
import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.TestNodes;

import javax.management.remote.JMXConnectorServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A node with its MBeans and a remote JMX connector on loopback, as a process of its own for
 * {@link RemoteJmxProcessTest}: {@code --name= --cluster= --port= --members= --jmx-port=}, optionally
 * {@code --jmx-ssl=true} (TLS with the keystore the {@code javax.net.ssl.*} properties name) and {@code --quorum=N}.
 * Prints {@code READY <member uuid>} once everything is up, then takes {@code create NAME BYTES CHUNK REPLICAS},
 * {@code write NAME VALUE CHUNKS} (VALUE at the start of the first CHUNKS chunks), {@code stall NAME MILLIS} (this
 * replica stops applying pushes for that long, see {@link DataPlaneStall}) and {@code exit} on stdin, each answered
 * with a line {@code ok ...} or {@code error ...}.
 */
public final class JmxNodeMain {
    private JmxNodeMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Fixtures.options(args);
        List<String> members = Arrays.asList(a.get("members").split(","));
        NodeConfig config = NodeConfig.loopback(a.get("name"), a.get("cluster"), Integer.parseInt(a.get("port")),
                members, Fixtures.secret());
        if (a.containsKey("quorum")) {
            config = config.withFlushQuorum(Integer.parseInt(a.get("quorum")));
        }
        try (Node node = Node.start(config);
             MemSyncMBeans beans = MemSyncMBeans.register(node);
             BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            JMXConnectorServer remote = MemSyncMBeans.startRemote("127.0.0.1", Integer.parseInt(a.get("jmx-port")),
                    null, Boolean.parseBoolean(a.getOrDefault("jmx-ssl", "false")));
            try {
                say("READY " + node.memberId());
                String line;
                while ((line = in.readLine()) != null) {
                    String[] w = line.trim().split("\\s+");
                    try {
                        switch (w[0]) {
                            case "create" -> {
                                // Migrations away need a writer control; this process writes only on command.
                                node.writerControl(w[1], TestNodes.NO_WRITERS);
                                node.createRegion(w[1], Long.parseLong(w[2]), Integer.parseInt(w[3]),
                                        Integer.parseInt(w[4]));
                                say("ok created " + w[1]);
                            }
                            case "stall" -> {
                                DataPlaneStall.hold(node, w[1], Long.parseLong(w[2]));
                                say("ok stalling " + w[1]);
                            }
                            case "write" -> {
                                ClusterRegion r = node.region(w[1]);
                                MemorySegment m = r.segment();
                                long chunk = r.size() / r.chunkCount();
                                for (int i = 0; i < Integer.parseInt(w[3]); i++) {
                                    m.set(JAVA_LONG, i * chunk, Long.parseLong(w[2]));
                                }
                                say("ok wrote " + w[3]);
                            }
                            case "exit" -> {
                                say("ok exit");
                                return;
                            }
                            default -> say("error unknown command '" + w[0] + "'");
                        }
                    } catch (Exception e) {
                        say("error " + e);
                    }
                }
            } finally {
                remote.stop();
            }
        }
    }

    private static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
