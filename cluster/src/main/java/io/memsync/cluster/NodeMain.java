package io.memsync.cluster;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A node as a process, driven by one command per line on stdin (for tests, benchmarks and the demo):
 * {@code create NAME BYTES CHUNK REPLICAS}, {@code write NAME SEED COUNT [FROM TO]}, {@code flush NAME},
 * {@code checksum NAME [FROM TO]} (chunk ranges), {@code role NAME}, {@code has NAME}, {@code mount NAME PULLERS},
 * {@code mountsum NAME FROM TO} (checksum through the lazy mount), {@code members}, {@code exit}. Each is answered by one line, {@code ok ...} or
 * {@code error ...}. The cluster secret comes from the environment variable {@code MEMSYNC_SECRET} (never the
 * command line, which other users can read).
 * <p>
 * Options: {@code --name= --cluster= --host= --port= --members=host:port,... --data-port= --sync-ms=
 * --flush-timeout-ms= --quorum=} (replicas a flush needs, -1: all) {@code --maintenance-ms= --min-cluster-size=}.
 */
public final class NodeMain {
    private NodeMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 3) {
                throw new IllegalArgumentException("argument '" + arg + "' is not --key=value");
            }
            a.put(arg.substring(2, eq), arg.substring(eq + 1));
        }
        String secret = System.getenv("MEMSYNC_SECRET");
        if (secret == null) {
            throw new IllegalArgumentException("set MEMSYNC_SECRET to the cluster secret (at least 16 bytes)");
        }
        List<String> members = a.getOrDefault("members", "").isEmpty() ? List.of()
                : Arrays.asList(a.get("members").split(","));
        NodeConfig config = new NodeConfig(a.getOrDefault("name", "node"), a.getOrDefault("cluster", "memsync"),
                a.getOrDefault("host", "127.0.0.1"), Integer.parseInt(a.getOrDefault("port", "5701")), members,
                Integer.parseInt(a.getOrDefault("data-port", "0")), secret.getBytes(StandardCharsets.UTF_8),
                Duration.ofMillis(Long.parseLong(a.getOrDefault("sync-ms", "2"))),
                Duration.ofMillis(Long.parseLong(a.getOrDefault("flush-timeout-ms", "10000"))),
                Integer.parseInt(a.getOrDefault("quorum", "-1")),
                Duration.ofMillis(Long.parseLong(a.getOrDefault("maintenance-ms", "1000"))),
                Integer.parseInt(a.getOrDefault("min-cluster-size", "1")));
        try (Node node = Node.start(config);
             BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            say("ready " + node.memberId());
            String line;
            while ((line = in.readLine()) != null) {
                String[] w = line.trim().split("\\s+");
                try {
                    switch (w[0]) {
                        case "create" -> {
                            ClusterRegion r = node.createRegion(w[1], Long.parseLong(w[2]), Integer.parseInt(w[3]),
                                    Integer.parseInt(w[4]));
                            say("ok created " + r.name());
                        }
                        case "write" -> {
                            ClusterRegion r = require(node, w[1]);
                            MemorySegment m = area(r, w, 4);
                            SplittableRandom random = new SplittableRandom(Long.parseLong(w[2]));
                            long count = Long.parseLong(w[3]);
                            for (long i = 0; i < count; i++) {
                                m.set(JAVA_LONG, random.nextLong(m.byteSize() / 8) * 8, random.nextLong());
                            }
                            say("ok wrote " + count);
                        }
                        case "role" -> {
                            ClusterRegion r = require(node, w[1]);
                            say("ok role " + (r.isOwner() ? "owner" : "replica") + " token " + r.token());
                        }
                        case "flush" -> {
                            require(node, w[1]).flush();
                            say("ok flushed");
                        }
                        case "checksum" -> {
                            ClusterRegion r = node.awaitRegion(w[1], Duration.ofSeconds(30));
                            if (r == null) {
                                say("error no copy of region " + w[1] + " here");
                            } else {
                                String sum = w.length > 2 ? Long.toHexString(crc(area(r, w, 2)))
                                        : Long.toHexString(r.checksum());
                                say("ok checksum " + sum + " epoch " + r.appliedEpoch());
                            }
                        }
                        case "members" -> say("ok members " + node.clusterSize());
                        case "has" -> say("ok has " + (node.region(w[1]) != null ? "yes" : "no"));
                        case "mount" -> {
                            node.mount(w[1], Integer.parseInt(w[2]), false);
                            say("ok mounted " + w[1]);
                        }
                        case "mountsum" -> {
                            var mounted = node.mounted(w[1]);
                            if (mounted == null) {
                                say("error region " + w[1] + " is not mounted here");
                            } else {
                                long chunk = mounted.layout().chunkSize();
                                MemorySegment m = mounted.segment().asSlice(Long.parseLong(w[2]) * chunk,
                                        (Long.parseLong(w[3]) - Long.parseLong(w[2])) * chunk);
                                say("ok mountsum " + Long.toHexString(crc(m)) + " present "
                                        + mounted.status().presentChunks());
                            }
                        }
                        case "exit" -> {
                            say("ok exit");
                            return;
                        }
                        default -> say("error unknown command '" + w[0] + "'");
                    }
                } catch (Exception e) {
                    say("error " + e.getMessage());
                }
            }
        }
    }

    /** Chunks [FROM, TO) of the region when words {@code at} and {@code at + 1} give them, else all of it. */
    private static MemorySegment area(ClusterRegion r, String[] w, int at) {
        MemorySegment m = r.segment();
        if (w.length <= at + 1) {
            return m;
        }
        long chunk = m.byteSize() / r.chunkCount();
        long from = Long.parseLong(w[at]) * chunk;
        long to = Long.parseLong(w[at + 1]) * chunk;
        return m.asSlice(from, to - from);
    }

    private static long crc(MemorySegment m) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(m.asByteBuffer());
        return crc.getValue();
    }

    private static ClusterRegion require(Node node, String name) {
        ClusterRegion r = node.awaitRegion(name, Duration.ofSeconds(30));
        if (r == null) {
            throw new IllegalArgumentException("no copy of region " + name + " on this node");
        }
        return r;
    }

    private static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
