package io.memsync.agent;

import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.FreePorts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A loopback cluster's worth of agent configuration files for the integration tests: a cluster name of its own,
 * free ports ({@link FreePorts}), the tests' secret ({@link Fixtures#SECRET}), TLS when the run asks for it
 * ({@code -Dmemsync.test.tls=required}), and a directory under /dev/shm for the region files, removed by
 * {@link #close()}.
 */
final class ItCluster implements AutoCloseable {
    final String name = "it-" + UUID.randomUUID().toString().substring(0, 8);
    final Path dir;
    final List<Integer> ports = new ArrayList<>();

    ItCluster(int nodes) throws IOException {
        dir = Files.createTempDirectory(Path.of("/dev/shm"), "memsync-it-");
        for (int i = 0; i < nodes; i++) {
            ports.add(FreePorts.pick());
        }
    }

    String members() {
        return String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList());
    }

    /** Writes node {@code index}'s configuration, with {@code regionLines} (memsync.region.* keys) added. */
    Path config(int index, String nodeName, String... regionLines) throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "memsync.cluster.name=" + name,
                "memsync.node.name=" + nodeName,
                "memsync.hazelcast.port=" + ports.get(index),
                "memsync.members=" + members(),
                "memsync.secret=" + Fixtures.SECRET));
        lines.addAll(io.memsync.cluster.testkit.TlsStores.agentKeysForTests());
        lines.addAll(List.of(regionLines));
        Path file = dir.resolve(nodeName + ".properties");
        Files.write(file, lines);
        return file;
    }

    Path file(String node, String region) throws IOException {
        Path p = dir.resolve(node).resolve(region);
        Files.createDirectories(p.getParent());
        return p;
    }

    @Override
    public void close() {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
