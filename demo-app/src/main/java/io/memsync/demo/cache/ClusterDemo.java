package io.memsync.demo.cache;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The README's first command: three cache nodes ({@link CacheNode}, each a JVM with {@code -javaagent:memsync.jar})
 * on loopback, and a walkthrough of what memsync does for them, each step with the figure it measured: loading the
 * cache, replication to the replicas, a flush, a lazy remote mount, a live migration under load, and a failover
 * after killing the owner. Then it leaves the cluster and the dashboards running until Ctrl-C.
 * <pre>
 * ClusterDemo [--short] [--exit] [--tls] [--entries N] [--work-dir DIR] [--agent-jar PATH] [--demo-jar PATH]
 * ClusterDemo --node NAME --http-port P --hazelcast-port P --members H:P,... --peers NAME=H:P,... [--bind ADDR]
 *             [--role owner|replica] [--dashboard-port P] [--secret S]   (one node, in the foreground)
 * </pre>
 */
public final class ClusterDemo {
    /** What the walkthrough measured; every figure comes from the running cluster. */
    public record Summary(int entries, long loadMs, double replicationLagP50Ms, double replicationLagMaxMs,
                          long flushUs, int copiesIdentical, long mountFirstTouchUs, long mountFullMs,
                          boolean mountVerified, double migrationPauseMs, long putsDuringMigration,
                          long putsFailedDuringMigration, String newOwnerAfterMigration, long failoverMs,
                          String ownerAfterFailover, int flushedEntries, int flushedEntriesPresent) {
    }

    record Options(boolean shortMode, boolean exit, int entries, Path workDir, Path agentJar, Path demoJar,
                   boolean tls) {
    }

    private final Options options;
    private final PrintStream out;
    private final List<DemoNode> nodes = new ArrayList<>();
    /** The directory of the TLS key stores, once made (--tls). */
    private Path tlsKeys;
    private final String secret = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));

    ClusterDemo(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        if (Arrays.asList(args).contains("--node")) {
            System.exit(SingleNode.run(args));
        }
        Options o = parse(args);
        ClusterDemo demo = new ClusterDemo(o, System.out);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            demo.stopAll();
            stopped.countDown();
        }));
        try {
            demo.run();
        } catch (Exception e) {
            System.err.println("demo failed: " + e.getMessage());
            demo.stopAll();
            System.exit(1);
        }
        if (o.exit()) {
            demo.stopAll();
            System.exit(0);
        }
        System.out.println("\nThe cluster and its dashboards keep running; Ctrl-C stops every process the demo "
                + "started.");
        stopped.await();
    }

    /** The demo's options, parsed by picocli; {@code ./demo --help} prints them. */
    @picocli.CommandLine.Command(name = "./demo", synopsisHeading = "usage: ", mixinStandardHelpOptions = true,
            description = {"Starts three cache nodes on loopback (JVMs with -javaagent:memsync.jar) and walks through "
                    + "replication, a flush, a lazy remote mount, a live migration under load and a failover, printing "
                    + "what each measured; then leaves the cluster and the dashboards running until Ctrl-C.",
                    "./demo --node NAME ... runs one cache node in the foreground, to join a cluster from another "
                    + "host (./demo --node x --help)."})
    static final class Command {
        @picocli.CommandLine.Option(names = "--short", description = "smaller regions and fewer entries (what CI "
                + "runs)")
        boolean shortMode;
        @picocli.CommandLine.Option(names = "--exit", description = "stop the cluster at the end instead of waiting "
                + "for Ctrl-C")
        boolean exit;
        @picocli.CommandLine.Option(names = "--tls", description = "make TLS keys (memsync.jar tls-keys) and require "
                + "TLS on the data plane")
        boolean tls;
        @picocli.CommandLine.Option(names = "--entries", paramLabel = "N", description = "entries to load (default "
                + "50000, 5000 with --short)")
        int entries = -1;
        @picocli.CommandLine.Option(names = "--work-dir", paramLabel = "DIR", description = "where the nodes' files "
                + "and logs go (default: a new temporary directory)")
        Path work;
        @picocli.CommandLine.Option(names = "--agent-jar", paramLabel = "PATH", defaultValue = "agent/target/memsync.jar",
                description = "memsync.jar (default ${DEFAULT-VALUE})")
        Path agent;
        @picocli.CommandLine.Option(names = "--demo-jar", paramLabel = "PATH",
                defaultValue = "demo-app/target/memsync-demo.jar", description = "the cache application's jar (default "
                + "${DEFAULT-VALUE})")
        Path demoJar;
    }

    static Options parse(String[] args) {
        Command c = new Command();
        picocli.CommandLine cl = new picocli.CommandLine(c);
        try {
            cl.parseArgs(args);
        } catch (picocli.CommandLine.ParameterException e) {
            System.err.println("demo: " + e.getMessage());
            cl.usage(System.err);
            System.exit(2);
        }
        if (cl.isUsageHelpRequested() || cl.isVersionHelpRequested()) {
            cl.usage(System.out);
            System.exit(0);
        }
        return new Options(c.shortMode, c.exit, c.entries > 0 ? c.entries : c.shortMode ? 5_000 : 50_000, c.work,
                c.agent, c.demoJar, c.tls);
    }

    /** Starts the cluster and walks through it; returns what it measured. The nodes keep running. */
    Summary run() throws Exception {
        for (Path jar : List.of(options.agentJar(), options.demoJar())) {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: build with ./mvnw -B -DskipTests package "
                        + "(./demo does), or pass --agent-jar/--demo-jar");
            }
        }
        Path dir = options.workDir() != null ? Files.createDirectories(options.workDir())
                : Files.createTempDirectory("memsync-demo-");
        if (options.tls()) {
            step("Making TLS keys for a, b and c (java -jar memsync.jar tls-keys): the data plane will require TLS");
            makeTlsKeys(Files.createTempDirectory(dir, "tls-"));
        }
        step("Starting three cache nodes (a, b, c) on loopback, each a JVM with -javaagent:memsync.jar");
        for (String name : List.of("a", "b", "c")) {
            nodes.add(new DemoNode(name, 0, dir));
        }
        String members = String.join(",", nodes.stream().map(n -> "127.0.0.1:" + n.hazelcastPort).toList());
        String peers = String.join(",", nodes.stream().map(n -> n.name + "=" + n.http()).toList());
        long start = System.nanoTime();
        for (DemoNode n : nodes) {
            Path config = dir.resolve(n.name + ".properties");
            Files.write(config, config(n, members));
            n.start(options.agentJar(), options.demoJar(), config, peers);
        }
        for (DemoNode n : nodes) {
            awaitReady(n);
        }
        DemoNode a = node("a");
        DemoNode b = node("b");
        DemoNode c = node("c");
        say("cluster up in %d ms: region cache (%s) owned by a, replicated to b and c; region catalog (%s) on a",
                ms(start), cacheSize(), catalogSize());
        say("logs and configurations: %s; dashboards: %s, %s, %s", dir, a.dashboard(), b.dashboard(), c.dashboard());

        step("Loading the cache on its owner");
        int entries = options.entries();
        DemoNode.Reply load = a.call("POST", "/load?count=" + entries + "&prefix=key-", null);
        expectOk(load, a, "loading");
        long loadMs = (long) load.number("ms");
        say("%d entries written into the region in %d ms (%.0f puts/s), each encoded with Chronicle Bytes", entries,
                loadMs, entries * 1000.0 / Math.max(1, loadMs));

        step("Replication: a put on the owner, read back on a replica");
        double[] lags = new double[options.shortMode() ? 20 : 50];
        for (int i = 0; i < lags.length; i++) {
            String key = "probe-" + i;
            long t0 = System.nanoTime();
            expectOk(a.call("PUT", "/cache/" + key, "v" + i), a, "a put on a");
            while (!b.call("GET", "/cache/" + key, null).body().equals("v" + i)) {
                if (System.nanoTime() - t0 > 10_000_000_000L) {
                    throw new IllegalStateException(key + " did not reach b within 10 s");
                }
                LockSupport.parkNanos(200_000);
            }
            lags[i] = (System.nanoTime() - t0) / 1e6;
        }
        double[] sorted = lags.clone();
        Arrays.sort(sorted);
        say("%d puts on a, each read back from b's own copy as soon as it shows there: p50 %.1f ms, max %.1f ms "
                + "from sending the put to reading it on the replica (HTTP both ways included; pushes every 2 ms)",
                lags.length, sorted[sorted.length / 2], sorted[sorted.length - 1]);
        DemoNode.Reply forwardedPut = c.call("PUT", "/cache/via-c", "forwarded");
        expectOk(forwardedPut, c, "a put sent to c");
        say("a put sent to replica c is forwarded to the owner: \"%s\"", forwardedPut.body());

        step("Flush: the owner waits until both replicas acknowledged everything written");
        DemoNode.Reply flush = a.call("POST", "/flush", null);
        expectOk(flush, a, "flush");
        long flushUs = (long) flush.number("us");
        Map<String, String> sums = checksums(a, "cache");
        int identical = new TreeSet<>(sums.values()).size() == 1 ? sums.size() : 0;
        say("flush returned in %.2f ms; CRC32C of the region on every member: %s -> %s", flushUs / 1000.0, sums,
                identical > 0 ? identical + " copies identical" : "COPIES DIFFER");

        step("Remote mount: c maps the catalog lazily, pulling pages from a on first touch and in the background");
        DemoNode.Reply mount = c.call("POST", "/mount/catalog", null);
        expectOk(mount, c, "mount");
        long firstTouchUs = (long) mount.number("firstTouchUs");
        say("mounted in %d ms; first touch served in %d us", (long) mount.number("mountMs"), firstTouchUs);
        long mountStart = System.nanoTime();
        double availability = 0;
        double printed = -1;
        DemoNode.Reply status = null;
        while (availability < 1.0) {
            status = c.call("GET", "/mount/catalog", null);
            expectOk(status, c, "mount status");
            availability = status.number("availability");
            if (availability - printed >= 0.2 || availability >= 1.0) {
                say("  availability %3.0f%% after %d ms", availability * 100, ms(mountStart));
                printed = availability;
            }
            if (ms(mountStart) > 180_000) {
                throw new IllegalStateException("the mount did not fill within 3 minutes: " + status.body());
            }
            LockSupport.parkNanos(50_000_000);
        }
        long mountFullMs = ms(mountStart);
        boolean verified = status.body().contains("\"verified\":true");
        say("all of the catalog is on c after %d ms; its content %s", mountFullMs,
                verified ? "checks out page by page" : "DOES NOT MATCH what a wrote");

        step("Live migration: the cache moves from a to b while clients keep writing");
        LoadGenerator generator = new LoadGenerator(List.of(a, b, c));
        generator.start();
        LockSupport.parkNanos(500_000_000);
        String result;
        try (JMXConnector jmx = jmx(a)) {
            MBeanServerConnection s = jmx.getMBeanServerConnection();
            ObjectName region = new ObjectName("io.memsync:type=Region,name=cache");
            result = String.valueOf(s.invoke(region, "migrateTo", new Object[] {"b"},
                    new String[] {String.class.getName()}));
        }
        LockSupport.parkNanos(500_000_000);
        generator.stop();
        double pause = pauseFrom(result);
        String owner = b.call("GET", "/stats", null).text("owner");
        say("%s", result);
        say("writers paused %.2f ms; %d puts went through during the run, %d failed; the owner is now %s", pause,
                generator.ok.get(), generator.failed.get(), owner);

        step("Failover: kill -9 the owner; a replica takes over with everything flushed");
        expectOk(a.call("POST", "/flush", null), a, "flush before the failover");
        List<String> flushedLive = new ArrayList<>(generator.acknowledged);
        DemoNode victim = node(owner);
        long killed = System.nanoTime();
        victim.kill();
        DemoNode survivor = null;
        String newOwner = null;
        while (newOwner == null) {
            for (DemoNode n : nodes) {
                if (n != victim) {
                    DemoNode.Reply st = n.call("GET", "/stats", null);
                    if (st.ok() && st.text("role").equals("owner")) {
                        survivor = n;
                        newOwner = n.name;
                    }
                }
            }
            if (ms(killed) > 60_000) {
                throw new IllegalStateException("no replica took over within 60 s");
            }
            LockSupport.parkNanos(20_000_000);
        }
        long failoverMs = ms(killed);
        DemoNode.Reply check = survivor.call("POST", "/check?count=" + entries + "&prefix=key-", null);
        expectOk(check, survivor, "check");
        int present = (int) check.number("present");
        for (int i = 0; i < lags.length; i++) {
            present += survivor.call("GET", "/cache/probe-" + i, null).body().equals("v" + i) ? 1 : 0;
        }
        for (String key : flushedLive) {
            present += survivor.call("GET", "/cache/" + key, null).body().equals(LoadGenerator.value(key)) ? 1 : 0;
        }
        int flushed = entries + lags.length + flushedLive.size();
        say("%s killed; %s owns the cache %d ms later (a killed process drops its connections at once; a silent "
                + "host is noticed within ~5 s); it holds %d of the %d flushed entries", victim.name, newOwner,
                failoverMs, present, flushed);

        Summary summary = new Summary(entries, loadMs, sorted[sorted.length / 2], sorted[sorted.length - 1], flushUs,
                identical, firstTouchUs, mountFullMs, verified, pause, generator.ok.get(), generator.failed.get(),
                owner, failoverMs, newOwner, flushed, present);
        printSummary(summary);
        return summary;
    }

    private void printSummary(Summary s) {
        step("Summary");
        say("| job | measured |");
        say("|---|---|");
        say("| load | %d entries in %d ms |", s.entries(), s.loadMs());
        say("| replication (put to visible on a replica) | p50 %.1f ms, max %.1f ms |", s.replicationLagP50Ms(),
                s.replicationLagMaxMs());
        say("| flush to two replicas | %.2f ms; %d copies identical |", s.flushUs() / 1000.0, s.copiesIdentical());
        say("| lazy remote mount of %s | first touch %d us; whole region in %d ms; content %s |", catalogSize(),
                s.mountFirstTouchUs(), s.mountFullMs(), s.mountVerified() ? "verified" : "WRONG");
        say("| live migration a -> %s under load | writers paused %.2f ms; %d puts, %d failed |",
                s.newOwnerAfterMigration(), s.migrationPauseMs(), s.putsDuringMigration(),
                s.putsFailedDuringMigration());
        say("| failover (kill -9 the owner) | %s took over in %d ms; %d of %d flushed entries present |",
                s.ownerAfterFailover(), s.failoverMs(), s.flushedEntriesPresent(), s.flushedEntries());
        for (DemoNode n : nodes) {
            if (n.alive()) {
                say("dashboard of %s: %s   (cache API: http://%s/stats)", n.name, n.dashboard(), n.http());
            }
        }
    }

    /** Runs the agent jar's tls-keys command, as a user would, into {@code keys}. */
    private void makeTlsKeys(Path keys) throws IOException, InterruptedException {
        long start = System.nanoTime();
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                options.agentJar().toAbsolutePath().toString(), "tls-keys", keys.toAbsolutePath().toString(), "a", "b",
                "c");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("tls-keys failed: " + output);
        }
        tlsKeys = keys.toAbsolutePath();
        say("keys made in %d ms in %s (a CA, trust.p12, a.p12, b.p12, c.p12, password)", ms(start), keys);
    }

    private List<String> config(DemoNode n, String members) {
        List<String> lines = new ArrayList<>(List.of(
                "memsync.cluster.name=memsync-demo-" + ProcessHandle.current().pid(),
                "memsync.node.name=" + n.name,
                "memsync.hazelcast.port=" + n.hazelcastPort,
                "memsync.members=" + members,
                "memsync.secret=" + secret,
                "memsync.jmx.port=" + n.jmxPort,
                "memsync.dashboard.port=" + n.dashboardPort,
                "memsync.push.interval.ms=2",
                "memsync.region.cache.size=" + cacheSize(),
                "memsync.region.cache.replicas=2",
                "memsync.region.cache.role=" + (n.name.equals("a") ? "owner" : "replica")));
        if (tlsKeys != null) {
            lines.addAll(List.of("memsync.tls=required",
                    "memsync.tls.keystore=" + tlsKeys.resolve(n.name + ".p12"),
                    "memsync.tls.truststore=" + tlsKeys.resolve("trust.p12"),
                    "memsync.tls.keystore.password.file=" + tlsKeys.resolve("password")));
        }
        if (n.name.equals("a")) {
            lines.addAll(List.of("memsync.region.catalog.size=" + catalogSize(),
                    "memsync.region.catalog.replicas=0", "memsync.region.catalog.role=owner"));
        }
        return lines;
    }

    private String cacheSize() {
        return options.shortMode() ? "8m" : "64m";
    }

    private String catalogSize() {
        return options.shortMode() ? "64m" : "512m";
    }

    private void awaitReady(DemoNode n) {
        long start = System.nanoTime();
        while (!n.call("GET", "/stats", null).ok()) {
            if (!n.alive()) {
                throw new IllegalStateException("node " + n.name + " exited:\n" + n.tail());
            }
            if (ms(start) > 180_000) {
                throw new IllegalStateException("node " + n.name + " not ready within 3 minutes:\n" + n.tail());
            }
            LockSupport.parkNanos(100_000_000);
        }
    }

    private Map<String, String> checksums(DemoNode n, String region) throws Exception {
        try (JMXConnector jmx = jmx(n)) {
            String[] lines = (String[]) jmx.getMBeanServerConnection().invoke(new ObjectName("io.memsync:type=Node"),
                    "checksums", new Object[] {region}, new String[] {String.class.getName()});
            Map<String, String> out = new LinkedHashMap<>();
            for (String line : lines) {
                int eq = line.indexOf('=');
                out.put(line.substring(0, eq), line.substring(eq + 1));
            }
            return out;
        }
    }

    private static JMXConnector jmx(DemoNode n) throws IOException {
        return JMXConnectorFactory.connect(new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + n.jmxPort
                + "/jmxrmi"));
    }

    /** The pause from a migration's one-line result ("... paused 2.71 ms ..."). */
    static double pauseFrom(String result) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("paused ([0-9.]+) ms").matcher(result);
        if (!m.find()) {
            throw new IllegalStateException("the migration did not report its pause: " + result);
        }
        return Double.parseDouble(m.group(1));
    }

    private DemoNode node(String name) {
        return nodes.stream().filter(n -> n.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no node " + name));
    }

    private static void expectOk(DemoNode.Reply r, DemoNode n, String what) {
        if (!r.ok()) {
            throw new IllegalStateException(what + " on " + n.name + " failed (" + r.status() + "): " + r.body()
                    + "\nlast lines of its log:\n" + n.tail());
        }
    }

    List<DemoNode> liveNodes() {
        return nodes.stream().filter(DemoNode::alive).toList();
    }

    void stopAll() {
        nodes.forEach(DemoNode::close);
    }

    private void step(String title) {
        out.println();
        out.println("==> " + title);
    }

    private void say(String format, Object... args) {
        out.println(String.format(Locale.ROOT, format, args));
    }

    private static long ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** Clients writing through every node (they forward to the owner) while the cache migrates. */
    static final class LoadGenerator {
        final AtomicLong ok = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
        private final List<DemoNode> targets;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();

        LoadGenerator(List<DemoNode> targets) {
            this.targets = targets;
        }

        static String value(String key) {
            return "v-" + key;
        }

        void start() {
            for (int t = 0; t < 2; t++) {
                int id = t;
                threads.add(Thread.ofPlatform().daemon(true).name("demo-load-" + t).start(() -> {
                    for (long i = 0; running.get(); i++) {
                        DemoNode target = targets.get((int) (i % targets.size()));
                        String key = "live-" + id + "-" + i;
                        boolean done = false;
                        // A write that lands while ownership moves may be refused with 503: a client retries.
                        for (int attempt = 0; attempt < 20 && !done; attempt++) {
                            DemoNode.Reply r = target.call("PUT", "/cache/" + key, value(key));
                            done = r.ok();
                            if (!done) {
                                LockSupport.parkNanos(5_000_000);
                            }
                        }
                        if (done) {
                            ok.incrementAndGet();
                            acknowledged.add(key);
                        } else {
                            failed.incrementAndGet();
                        }
                    }
                }));
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
        }
    }
}
