package io.memsync.cluster.testkit;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.MigrationOptions;
import io.memsync.cluster.MigrationProgress;
import io.memsync.cluster.MigrationResult;
import io.memsync.cluster.Node;
import io.memsync.cluster.NodeConfig;
import io.memsync.cluster.wire.TlsConfig;

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
 * A node as a process, driven by one command per line on stdin: the tests' node JVM (the cluster module's
 * {@code NodeProcess} starts it with the test class path). Test harness, in the cluster module's test jar, not in
 * any production jar. Commands:
 * {@code create NAME BYTES CHUNK REPLICAS}, {@code write NAME SEED COUNT [FROM TO]}, {@code flush NAME},
 * {@code checksum NAME [FROM TO]} (chunk ranges), {@code role NAME}, {@code has NAME}, {@code mount NAME PULLERS},
 * {@code mountsum NAME FROM TO} (checksum through the lazy mount), {@code members}, {@code data} (the data
 * plane's address and the connections it refused), {@code safe [SECONDS]} (waits
 * until Hazelcast's partitions have their backups), {@code exit}; for migrations
 * {@code writeloop NAME WRITES_PER_S} (a {@link SequenceWriter} that runs while this node owns the region),
 * {@code stoploop NAME}, {@code expect NAME} (the region holds exactly the writes made), {@code resumed NAME},
 * {@code migrate NAME MEMBER [MIN_ROUNDS MAX_ROUNDS MAX_DIRTY [MIN_AVAILABILITY]]} (in the background),
 * {@code migration NAME} (waits for its result), {@code acquire NAME [MIN_AVAILABILITY]} (asks the owner to migrate
 * the region here; with 0, the default, a managed mount), {@code cancel NAME}, {@code progress NAME},
 * {@code availability NAME}, {@code applied NAME} (chunks pushed into this copy, whether it answers pulls); for
 * failures, a {@link LedgerWriter}: {@code ledger NAME WRITES_PER_S FLUSH_MS}, {@code ledgered NAME},
 * {@code ledgerstop NAME}, {@code ledgercheck NAME FLUSHED} (this copy holds the first FLUSHED writes); {@code idle NAME} (a migration of
 * NAME from here has no writers to pause). Each is
 * answered by one line, {@code ok ...} or {@code error ...}. The cluster secret
 * comes from the environment variable {@code MEMSYNC_SECRET} (never the command line, which other users can read), and
 * TLS for the data plane from {@code MEMSYNC_TLS*} ({@link TlsConfig#fromEnvironment}).
 * <p>
 * Options: {@code --name= --cluster= --host= --port= --members=host:port,... --data-port= --sync-ms=
 * --flush-timeout-ms= --quorum=} (replicas a flush needs, -1: all) {@code --maintenance-ms= --min-cluster-size=
 * --migration-pullers=}.
 */
public final class NodeMain {
    private NodeMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Fixtures.options(args);
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
                Integer.parseInt(a.getOrDefault("min-cluster-size", "1")),
                Integer.parseInt(a.getOrDefault("migration-pullers", "4")),
                TlsConfig.fromEnvironment(System.getenv()), true);
        try (Node node = Node.start(config);
             BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            Map<String, SequenceWriter> writers = new HashMap<>();
            Map<String, LedgerWriter> ledgers = new HashMap<>();
            Map<String, java.util.concurrent.CompletableFuture<MigrationResult>> migrations = new HashMap<>();
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
                                String sum = w.length > 2 ? Long.toHexString(ClusterRegion.crc32c(area(r, w, 2)))
                                        : Long.toHexString(r.checksum());
                                say("ok checksum " + sum + " epoch " + r.appliedEpoch());
                            }
                        }
                        case "members" -> say("ok members " + node.clusterSize());
                        case "safe" -> say(node.awaitClusterSafe(Duration.ofSeconds(Long.parseLong(w.length > 1 ? w[1]
                                : "60"))) ? "ok safe" : "error the cluster's partitions are still migrating");
                        case "has" -> say("ok has " + (node.region(w[1]) != null ? "yes" : "no"));
                        case "data" -> say("ok data " + node.dataAddress().getAddress().getHostAddress() + " "
                                + node.dataAddress().getPort() + " refused " + node.connectionsRefused());
                        case "mount" -> {
                            node.mount(w[1], Integer.parseInt(w[2]), false);
                            say("ok mounted " + w[1]);
                        }
                        case "mounttouch" -> {
                            // Mounts NAME with PULLERS (unless "-") and at once reads the first word of each listed
                            // chunk, in order; answers how many of the mount's first touches waited so far.
                            if (!w[2].equals("-")) {
                                node.mount(w[1], Integer.parseInt(w[2]), false);
                            }
                            var mounted = node.mounted(w[1]);
                            if (mounted == null) {
                                say("error region " + w[1] + " is not mounted here");
                            } else {
                                long sum = 0;
                                for (String c : w[3].split(",")) {
                                    sum += mounted.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG,
                                            mounted.layout().offsetOf(Integer.parseInt(c)));
                                }
                                say("ok mounttouch waited " + mounted.status().touches() + " sum " + sum);
                            }
                        }
                        case "mountsum" -> {
                            var mounted = node.mounted(w[1]);
                            if (mounted == null) {
                                say("error region " + w[1] + " is not mounted here");
                            } else {
                                long chunk = mounted.layout().chunkSize();
                                MemorySegment m = mounted.segment().asSlice(Long.parseLong(w[2]) * chunk,
                                        (Long.parseLong(w[3]) - Long.parseLong(w[2])) * chunk);
                                say("ok mountsum " + Long.toHexString(ClusterRegion.crc32c(m)) + " present "
                                        + mounted.status().presentChunks());
                            }
                        }
                        case "writeloop" -> {
                            SequenceWriter sw = new SequenceWriter(node, w[1], Long.parseLong(w[2]));
                            SequenceWriter old = writers.put(w[1], sw);
                            if (old != null) {
                                old.stop();
                            }
                            sw.start();
                            say("ok writing " + w[1]);
                        }
                        case "stoploop" -> {
                            SequenceWriter sw = writers.remove(w[1]);
                            if (sw == null) {
                                say("error no writer for " + w[1] + " here");
                            } else {
                                sw.stop();
                                ClusterRegion r = require(node, w[1]);
                                say("ok stopped " + r.segment().get(JAVA_LONG, 0)
                                        + (sw.failure() != null ? " failure " + sw.failure() : ""));
                            }
                        }
                        case "resumed" -> {
                            SequenceWriter sw = writers.get(w[1]);
                            say(sw == null ? "error no writer for " + w[1] + " here"
                                    : "ok resumed gained " + sw.gainedAtNanos() + " first-write "
                                    + sw.resumedAtNanos());
                        }
                        case "expect" -> {
                            ClusterRegion r = require(node, w[1]);
                            long count = r.segment().get(JAVA_LONG, 0);
                            long want = SequenceWriter.expected(r.size(), r.size() / r.chunkCount(), count);
                            long got = r.checksum();
                            say(want == got ? "ok expect " + count + " writes " + Long.toHexString(got)
                                    : "error expect mismatch after " + count + " writes: region "
                                    + Long.toHexString(got) + ", replay " + Long.toHexString(want));
                        }
                        case "migrate" -> {
                            MigrationOptions options = MigrationOptions.defaults();
                            if (w.length > 5) {
                                options = options.withRounds(Integer.parseInt(w[3]), Integer.parseInt(w[4]))
                                        .withMaxDirtyChunks(Integer.parseInt(w[5]));
                            }
                            if (w.length > 6) {
                                options = options.withMinAvailability(Double.parseDouble(w[6]),
                                        Duration.ofSeconds(60));
                            }
                            MigrationOptions chosen = options;
                            String region = w[1];
                            String destination = w[2];
                            java.util.concurrent.CompletableFuture<MigrationResult> done =
                                    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                                        try {
                                            return node.migrate(region, destination, chosen);
                                        } catch (java.io.IOException e) {
                                            throw new java.io.UncheckedIOException(e);
                                        }
                                    });
                            migrations.put(region, done);
                            say("ok migrating " + region);
                        }
                        case "acquire" -> {
                            double share = w.length > 2 ? Double.parseDouble(w[2]) : 0.0;
                            MigrationResult m = node.acquire(w[1], MigrationOptions.defaults()
                                    .withMinAvailability(share, Duration.ofSeconds(60)));
                            say("ok acquired pause-us " + m.pauseNanos() / 1000 + " paused-at "
                                    + m.pauseStartNanos() + " rounds " + m.rounds());
                        }
                        case "migration" -> {
                            var done = migrations.get(w[1]);
                            if (done == null) {
                                say("error no migration of " + w[1] + " started here");
                            } else {
                                try {
                                    MigrationResult m = done.get(120, java.util.concurrent.TimeUnit.SECONDS);
                                    say("ok migrated pause-us " + m.pauseNanos() / 1000 + " paused-at "
                                            + m.pauseStartNanos() + " rounds " + m.rounds()
                                            + " final " + m.finalChunks() + " chunks " + m.chunksSent()
                                            + " total-ms " + m.totalNanos() / 1_000_000);
                                } catch (java.util.concurrent.ExecutionException e) {
                                    say("error migration " + e.getCause().getMessage().replace('\n', ' '));
                                }
                            }
                        }
                        case "cancel" -> {
                            MigrationProgress p = node.migration(w[1]);
                            if (p == null) {
                                say("error no migration of " + w[1] + " here");
                            } else {
                                p.cancel();
                                say("ok cancelling " + p);
                            }
                        }
                        case "progress" -> {
                            MigrationProgress p = node.migration(w[1]);
                            say(p == null ? "error no migration of " + w[1] + " here" : "ok progress "
                                    + p.phase() + " rounds " + p.rounds() + " chunks " + p.chunksSent()
                                    + " destination " + String.format("%.3f", p.destinationAvailability()));
                        }
                        case "availability" -> {
                            ClusterRegion r = node.region(w[1]);
                            say(r == null ? "ok availability none" : "ok availability "
                                    + String.format("%.3f", r.availability()) + " role "
                                    + r.role().name().toLowerCase() + " token " + r.token());
                        }
                        case "applied" -> {
                            ClusterRegion r = node.region(w[1]);
                            say(r == null ? "ok applied none" : "ok applied " + r.chunksApplied()
                                    + " serves-pulls " + r.servesPulls() + " role "
                                    + r.role().name().toLowerCase());
                        }
                        case "ledger" -> {
                            ClusterRegion r = require(node, w[1]);
                            if (!r.isOwner()) {
                                say("error region " + w[1] + " is not owned here");
                            } else {
                                LedgerWriter old = ledgers.put(w[1], new LedgerWriter(r, Long.parseLong(w[2]),
                                        Long.parseLong(w[3])));
                                if (old != null) {
                                    old.stop();
                                }
                                say("ok ledger " + ledgers.get(w[1]).report());
                            }
                        }
                        case "ledgered" -> {
                            LedgerWriter l = ledgers.get(w[1]);
                            say(l == null ? "error no ledger writer for " + w[1] + " here" : "ok ledger " + l.report());
                        }
                        case "ledgerstop" -> {
                            LedgerWriter l = ledgers.remove(w[1]);
                            if (l == null) {
                                say("error no ledger writer for " + w[1] + " here");
                            } else {
                                l.stop();
                                say("ok ledger " + l.report());
                            }
                        }
                        case "ledgercheck" -> {
                            ClusterRegion r = require(node, w[1]);
                            long chunk = r.size() / r.chunkCount();
                            String wrong = LedgerWriter.check(r.segment(), chunk, Long.parseLong(w[2]));
                            say(wrong == null ? "ok ledger holds " + LedgerWriter.held(r.segment(), chunk)
                                    : "error ledger " + wrong);
                        }
                        case "idle" -> {
                            // The application's writers are idle: a migration's handover has nothing to pause.
                            node.writerControl(w[1], TestNodes.NO_WRITERS);
                            say("ok idle " + w[1]);
                        }
                        case "exit" -> {
                            say("ok exit");
                            return;
                        }
                        default -> say("error unknown command '" + w[0] + "'");
                    }
                } catch (Exception | InternalError e) {
                    // InternalError: a page that could not be paged in from anywhere (the pager poisoned it).
                    say("error " + e.getClass().getSimpleName() + ": " + e.getMessage());
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
