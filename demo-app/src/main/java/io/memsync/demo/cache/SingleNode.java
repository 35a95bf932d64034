package io.memsync.demo.cache;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ./demo --node NAME ...}: one cache node in the foreground, for a cluster spread over hosts. Every node of
 * the cluster gets the same {@code --members} (Hazelcast host:port of each), {@code --peers} (cache HTTP host:port of
 * each, by node name) and {@code --secret}; one of them {@code --role owner}. Parsed by picocli.
 */
@Command(name = "./demo --node", synopsisHeading = "usage: ", mixinStandardHelpOptions = true,
        description = "Runs one cache node (a JVM with -javaagent:memsync.jar) in the foreground, to join a cluster "
                + "spread over hosts.")
final class SingleNode implements Callable<Integer> {
    @Option(names = "--node", required = true, paramLabel = "NAME", description = "this node's name")
    String node;
    @Option(names = "--http-port", required = true, paramLabel = "P", description = "the cache's HTTP port")
    int httpPort;
    @Option(names = "--hazelcast-port", required = true, paramLabel = "P", description = "memsync's Hazelcast port")
    int hazelcastPort;
    @Option(names = "--members", required = true, paramLabel = "H:P,...", description = "every node's Hazelcast "
            + "host:port")
    String members;
    @Option(names = "--peers", required = true, paramLabel = "NAME=H:P,...", description = "every node's cache HTTP "
            + "host:port, by name")
    String peers;
    @Option(names = "--secret", paramLabel = "S", description = "the cluster secret, 16+ characters (default: "
            + "MEMSYNC_SECRET)")
    String secret = System.getenv("MEMSYNC_SECRET");
    @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1", description = "the address to listen "
            + "on (default ${DEFAULT-VALUE})")
    String bind;
    @Option(names = "--cluster", defaultValue = "memsync-demo", description = "the cluster's name (default "
            + "${DEFAULT-VALUE})")
    String cluster;
    @Option(names = "--dashboard-port", paramLabel = "P", defaultValue = "0", description = "memsync's dashboard "
            + "(default: none)")
    int dashboardPort;
    @Option(names = "--size", defaultValue = "64m", description = "the cache region's size (default ${DEFAULT-VALUE})")
    String size;
    @Option(names = "--replicas", defaultValue = "2", description = "replicas of the cache (default "
            + "${DEFAULT-VALUE})")
    int replicas;
    @Option(names = "--role", defaultValue = "replica", description = "owner or replica (default ${DEFAULT-VALUE})")
    String role;
    @Option(names = "--agent-jar", defaultValue = "agent/target/memsync.jar", description = "memsync.jar")
    Path agentJar;
    @Option(names = "--demo-jar", defaultValue = "demo-app/target/memsync-demo.jar", description = "the cache "
            + "application's jar")
    Path demoJar;

    static int run(String[] args) {
        return new CommandLine(new SingleNode()).execute(args);
    }

    @Override
    public Integer call() throws Exception {
        if (secret == null) {
            System.err.println("give every node the same --secret (16+ characters) or MEMSYNC_SECRET");
            return 2;
        }
        Path config = Files.createTempFile("memsync-node-" + node, ".properties");
        Files.write(config, List.of(
                "memsync.cluster.name=" + cluster,
                "memsync.node.name=" + node,
                "memsync.bind=" + bind,
                "memsync.hazelcast.port=" + hazelcastPort,
                "memsync.members=" + members,
                "memsync.secret=" + secret,
                "memsync.dashboard.port=" + dashboardPort,
                "memsync.dashboard.host=" + bind,
                "memsync.region.cache.size=" + size,
                "memsync.region.cache.replicas=" + replicas,
                "memsync.region.cache.role=" + role));
        List<String> command = new ArrayList<>(List.of(DemoNode.javaBinary(), "-Xmx512m",
                "--enable-native-access=ALL-UNNAMED"));
        command.addAll(DemoNode.CHRONICLE_FLAGS);
        command.add("-javaagent:" + agentJar.toAbsolutePath() + "=config=" + config);
        command.addAll(List.of("-cp", demoJar.toAbsolutePath().toString(), CacheNode.class.getName(),
                Integer.toString(httpPort), peers));
        System.out.println("starting cache node " + node + " (configuration " + config + ")");
        return new ProcessBuilder(command).inheritIO().start().waitFor();
    }
}
