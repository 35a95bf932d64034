package io.memsync.demo.cache;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./demo --node NAME ...}: one cache node in the foreground, for a cluster spread over hosts. Every node of
 * the cluster gets the same {@code --members} (Hazelcast host:port of each), {@code --peers} (cache HTTP host:port of
 * each, by node name) and {@code --secret}; one of them {@code --role owner}.
 */
final class SingleNode {
    private SingleNode() {
    }

    static int run(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("expected --option value pairs, got " + args[i] + "\n" + ClusterDemo.HELP);
                return 2;
            }
            o.put(args[i].substring(2), args[++i]);
        }
        for (String required : List.of("node", "http-port", "hazelcast-port", "members", "peers")) {
            if (!o.containsKey(required)) {
                System.err.println("--" + required + " is required with --node\n" + ClusterDemo.HELP);
                return 2;
            }
        }
        String secret = o.getOrDefault("secret", System.getenv("MEMSYNC_SECRET"));
        if (secret == null) {
            System.err.println("give every node the same --secret (16+ characters) or MEMSYNC_SECRET");
            return 2;
        }
        String bind = o.getOrDefault("bind", "127.0.0.1");
        Path config = Files.createTempFile("memsync-node-" + o.get("node"), ".properties");
        Files.write(config, List.of(
                "memsync.cluster.name=" + o.getOrDefault("cluster", "memsync-demo"),
                "memsync.node.name=" + o.get("node"),
                "memsync.bind=" + bind,
                "memsync.hazelcast.port=" + o.get("hazelcast-port"),
                "memsync.members=" + o.get("members"),
                "memsync.secret=" + secret,
                "memsync.dashboard.port=" + o.getOrDefault("dashboard-port", "0"),
                "memsync.dashboard.host=" + bind,
                "memsync.region.cache.size=" + o.getOrDefault("size", "64m"),
                "memsync.region.cache.replicas=" + o.getOrDefault("replicas", "2"),
                "memsync.region.cache.role=" + o.getOrDefault("role", "replica")));
        List<String> command = new ArrayList<>(List.of(DemoNode.javaBinary(), "-Xmx512m",
                "--enable-native-access=ALL-UNNAMED"));
        command.addAll(DemoNode.CHRONICLE_FLAGS);
        command.add("-javaagent:" + Path.of(o.getOrDefault("agent-jar", "agent/target/memsync.jar")).toAbsolutePath()
                + "=config=" + config);
        command.addAll(List.of("-cp", Path.of(o.getOrDefault("demo-jar", "demo-app/target/memsync-demo.jar"))
                .toAbsolutePath().toString(), CacheNode.class.getName(), o.get("http-port"), o.get("peers")));
        System.out.println("starting cache node " + o.get("node") + " (configuration " + config + ")");
        return new ProcessBuilder(command).inheritIO().start().waitFor();
    }
}
