package io.memsync.agent;

import io.memsync.agent.MemSyncConfig.RegionConfig;
import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.LocalRegionSettings;
import io.memsync.cluster.Node;
import io.memsync.cluster.RegionRecord;
import io.memsync.Writers;
import io.memsync.cluster.WriterControl;
import io.memsync.jmx.MemSyncMBeans;
import io.memsync.jmx.dashboard.Dashboard;
import io.memsync.region.page.LazyRegion;

import javax.management.remote.JMXConnectorServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The agent's state in one JVM: the configuration, the node (started on a thread of its own so that the
 * application's {@code main} is not held up by the cluster join), its MBeans, and the mappings of region files the
 * application made. There is at most one per JVM ({@link #current()}).
 */
public final class AgentRuntime implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AgentRuntime.class.getName());
    private static volatile AgentRuntime current;

    private final MemSyncConfig config;
    private final CompletableFuture<Node> node = new CompletableFuture<>();
    private final MappedFiles mapped = new MappedFiles();
    private final long startNanos = System.nanoTime();
    private volatile MemSyncMBeans mbeans;
    private volatile JMXConnectorServer remoteJmx;
    private volatile Dashboard dashboard;
    private volatile long readyNanos;
    private volatile ApplicationExit exit;
    private final java.util.concurrent.atomic.AtomicBoolean leaving = new java.util.concurrent.atomic.AtomicBoolean();
    private final CompletableFuture<Void> left = new CompletableFuture<>();
    /** Regions whose file the application has not created yet, by name. */
    private final Map<String, RegionConfig> awaitingFile = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * The agent's one thread for light periodic work ({@code memsync-agent-NODE}): watching for the application's
     * end, adopting the files it creates, the JMX monitor, trimming the native heap after start-up. Every thread
     * memsync adds is one the application pays for.
     */
    private final ScheduledExecutorService housekeeping;
    private volatile ScheduledFuture<?> adopting;

    private AgentRuntime(MemSyncConfig config) {
        this.config = config;
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                .name("memsync-agent-" + config.nodeName()).daemon(true).unstarted(r));
    }

    /** Starts memsync in this JVM, once; the node joins its cluster in the background. */
    static synchronized AgentRuntime start(MemSyncConfig config) {
        if (current != null) {
            throw new IllegalStateException("memsync runs in this JVM already (" + current.config + "): it is "
                    + "loaded once, by -javaagent or by attach");
        }
        AgentRuntime runtime = new AgentRuntime(config);
        current = runtime;
        Thread.ofPlatform().name("memsync-start").daemon(true).start(runtime::startNode);
        // System.exit, SIGTERM, SIGINT: leave in order (Hazelcast's own shutdown hook is off: memsync leaves first).
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("memsync-shutdown").unstarted(runtime::leave));
        // main returned and the application's own threads ended: what would end the JVM without memsync.
        runtime.exit = ApplicationExit.start(runtime.housekeeping, runtime::isMemsyncThread, runtime::leave);
        return runtime;
    }

    /** The runtime of this JVM, or null if the agent is not loaded. */
    public static AgentRuntime current() {
        return current;
    }

    /** The runtime, or an error that says how to load the agent. */
    public static AgentRuntime require() {
        AgentRuntime r = current;
        if (r == null) {
            throw new IllegalStateException("memsync is not running in this JVM: start it with "
                    + "-javaagent:memsync.jar=config=<file>, or attach it with java -jar memsync.jar attach <pid>");
        }
        return r;
    }

    public MemSyncConfig config() {
        return config;
    }

    private void startNode() {
        Node n = null;
        try {
            Map<String, LocalRegionSettings> settings = new LinkedHashMap<>();
            for (RegionConfig r : config.regions().values()) {
                if (r.path() != null) {
                    java.nio.file.Files.createDirectories(r.path().getParent());
                }
                settings.put(r.name(), new LocalRegionSettings(r.path(), r.tracker(), r.pushInterval()));
            }
            n = Node.start(config.nodeConfig(), settings);
            n.antiEntropy(config.antiEntropyInterval(), config.antiEntropyBytes());
            mbeans = MemSyncMBeans.register(n, ManagementFactory.getPlatformMBeanServer(), housekeeping);
            if (config.dashboardPort() > 0) {
                dashboard = Dashboard.start(n, config.dashboardHost(), config.dashboardPort(),
                        config.jmxPasswordFile());
                LOG.log(System.Logger.Level.INFO, "memsync: dashboard of node " + config.nodeName() + " at http://"
                        + config.dashboardHost() + ":" + dashboard.address().getPort() + "/");
            }
            if (config.jmxPort() > 0) {
                remoteJmx = MemSyncMBeans.startRemote(config.jmxHost(), config.jmxPort(), config.jmxPasswordFile(),
                        config.jmxSsl());
            }
            // Before the regions open: memsync's own mappings of the files are not the application's.
            findNativeMappings();
            for (RegionConfig r : config.regions().values()) {
                n.writerControl(r.name(), new UnpausedWriters(r.name()));
                open(n, r);
            }
            readyNanos = System.nanoTime();
            synchronized (leaving) {
                // Ready, unless the application ended while the node joined: then it leaves at once (after a last
                // flush of what the application wrote meanwhile).
                if (!leaving.get()) {
                    node.complete(n);
                }
            }
            if (!node.isDone()) {
                leaveNow(n);
                left.complete(null);
                node.completeExceptionally(new IllegalStateException("the application ended while memsync started"));
                return;
            }
            LOG.log(System.Logger.Level.INFO, "memsync: node " + config.nodeName() + " ready in "
                    + (readyNanos - startNanos) / 1_000_000 + " ms (" + n.clusterSize() + " members; regions "
                    + config.regions().keySet() + ")");
            for (long seconds : NativeHeap.TRIM_AFTER_READY_SECONDS) {
                housekeeping.schedule(NativeHeap::trim, seconds, TimeUnit.SECONDS);
            }
        } catch (Throwable e) {
            LOG.log(System.Logger.Level.ERROR, "memsync: node " + config.nodeName() + " failed to start: "
                    + (e instanceof ConfigException ? e.getMessage() : e.toString()));
            LOG.log(System.Logger.Level.DEBUG, "memsync: the failed start", e);
            node.completeExceptionally(e);
            left.complete(null);
            try {
                closeOperatorSurface();
            } catch (Exception suppressed) {
                LOG.log(System.Logger.Level.WARNING, "memsync: closing after a failed start: " + suppressed);
            }
            if (n != null) {
                closeQuietly(n);
            }
            if (exit != null) {
                exit.close();
            }
            housekeeping.shutdown();
        }
    }

    /**
     * Creates the region or waits to be given a copy, as its role says. A region whose file the application has not
     * created yet waits for it ({@link #adoptFiles}) unless {@code memsync.region.NAME.create} says memsync creates
     * it: an application that makes its own file (with its own header) must find no file of memsync's there first.
     */
    private void open(Node n, RegionConfig r) throws IOException {
        RegionRecord existing = n.directory().get(r.name());
        if (existing != null) {
            if (r.size() > 0 && existing.size() != r.size() || existing.chunkSize() != r.chunkSize()) {
                throw new ConfigException("memsync.region." + r.name() + ".size", r.size() + " (chunk "
                        + r.chunkSize() + ")", "the cluster has this region with " + existing.size() + " bytes in "
                        + existing.chunkSize() + "-byte chunks: configure the same on every node");
            }
            if (r.role() == MemSyncConfig.Role.OWNER && !existing.owner().equals(n.memberId())) {
                LOG.log(System.Logger.Level.WARNING, "memsync: region " + r.name() + " is configured with role "
                        + "owner here but the cluster has it owned by " + existing.owner() + ": following it");
            }
            return;
        }
        if (r.role() == MemSyncConfig.Role.REPLICA) {
            return;
        }
        if (r.path() != null && !r.create() && fileSize(r.path()) <= 0) {
            awaitingFile.put(r.name(), r);
            LOG.log(System.Logger.Level.INFO, "memsync: region " + r.name() + " waits for the application to create "
                    + "and map " + r.path() + ", and adopts it then (memsync.region." + r.name() + ".create=true "
                    + "would have memsync create it)");
            if (adopting == null) {
                adopting = housekeeping.scheduleWithFixedDelay(this::adoptFiles, 0, 100, TimeUnit.MILLISECONDS);
            }
            return;
        }
        create(n, r);
    }

    private void create(Node n, RegionConfig r) throws IOException {
        long size = r.size();
        long file = r.path() == null ? -1 : fileSize(r.path());
        if (file > 0) {
            long chunks = (file + r.chunkSize() - 1) / r.chunkSize();
            if (size == 0) {
                size = chunks * r.chunkSize();
            } else if (size < file) {
                throw new ConfigException("memsync.region." + r.name() + ".size", Long.toString(r.size()),
                        "smaller than " + r.path() + " (" + file + " bytes): configure at least the file's size, or "
                        + "leave the size out to take the file's");
            }
            if (size > file) {
                LOG.log(System.Logger.Level.INFO, "memsync: region " + r.name() + " grows " + r.path() + " from "
                        + file + " to " + size + " bytes (" + (r.size() == 0 ? "the file's size rounded up to whole "
                        + r.chunkSize() + "-byte chunks" : "memsync.region." + r.name() + ".size") + ")");
            }
        }
        try {
            n.createRegion(r.name(), size, r.chunkSize(), r.replicas(), true);
            LOG.log(System.Logger.Level.INFO, "memsync: created region " + r.name() + " (" + size + " bytes"
                    + (file > 0 ? ", adopting " + r.path() + " with its content" : r.path() != null ? ", file "
                    + r.path() : "") + "), owned here");
        } catch (IllegalArgumentException e) {
            if (r.role() == MemSyncConfig.Role.OWNER || n.directory().get(r.name()) == null) {
                throw e;
            }
            // Another node with role auto created it at the same time: this one follows it.
        }
    }

    /** The file's size, or -1 if it does not exist. */
    private static long fileSize(Path path) {
        try {
            return java.nio.file.Files.size(path);
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Adopts each region file the application creates: once it exists, is not empty and is mapped in this process
     * (so the application has sized it and written what it writes first), the region is created over it.
     */
    private void adoptFiles() {
        if (awaitingFile.isEmpty() || leaving.get()) {
            ScheduledFuture<?> a = adopting;
            if (a != null) {
                a.cancel(false);
            }
            return;
        }
        Node n = node.isDone() && !node.isCompletedExceptionally() ? node.getNow(null) : null;
        for (RegionConfig r : List.copyOf(awaitingFile.values())) {
            if (n == null || fileSize(r.path()) <= 0 || ProcMaps.of(r.path()).isEmpty()
                    && mapped.all().stream().noneMatch(m -> m.region().equals(r.name()))) {
                continue;
            }
            awaitingFile.remove(r.name());
            try {
                if (n.directory().get(r.name()) == null) {
                    create(n, r);
                }
                findNativeMappings();
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "memsync: region " + r.name() + " could not adopt " + r.path()
                        + ": " + e.getMessage());
            }
        }
    }

    private synchronized void findNativeMappings() {
        for (RegionConfig r : config.regions().values()) {
            if (r.path() != null) {
                for (ProcMaps.Mapping m : ProcMaps.of(r.path())) {
                    if (mapped.find(m.start()) == null) {
                        mapped.add(new MappedFiles.Mapping(r.name(), m.start(), m.size(), m.offset(),
                                "found in /proc/self/maps"));
                        LOG.log(System.Logger.Level.INFO, "memsync: " + r.path() + " is mapped in this process at 0x"
                                + Long.toHexString(m.start()) + " (" + m.size() + " bytes): synchronized as region "
                                + r.name());
                    }
                }
            }
        }
    }

    /** The node, once it has joined and opened its regions. */
    public Node awaitNode() {
        try {
            return node.get(config.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("memsync node " + config.nodeName() + " did not join cluster "
                    + config.clusterName() + " within " + config.startTimeout().toMillis() + " ms "
                    + "(memsync.start.timeout.ms): check memsync.members " + config.members() + " and that they run");
        } catch (ExecutionException e) {
            throw new IllegalStateException("memsync node " + config.nodeName() + " failed to start: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the memsync node", e);
        }
    }

    /** Milliseconds from the agent's start to the node being ready, or -1 while it starts. */
    public long startMillis() {
        return readyNanos == 0 ? -1 : (readyNanos - startNanos) / 1_000_000;
    }

    /** This node's copy of region {@code name}, waiting for it within the start timeout. */
    public ClusterRegion copy(String name) {
        RegionConfig r = config.regions().get(name);
        if (r == null) {
            throw new IllegalArgumentException("region " + name + " is not configured: add "
                    + "memsync.region." + name + ".size (and the other region keys) to the configuration; "
                    + "configured: " + config.regions().keySet());
        }
        Node n = awaitNode();
        ClusterRegion copy = n.awaitRegion(name, config.startTimeout());
        if (copy == null) {
            RegionRecord record = n.directory().get(name);
            throw new IllegalStateException("region " + name + " has no copy on node " + config.nodeName()
                    + (record == null ? ": no node created it (is a node with role owner or auto running?)"
                    : ": owned by " + record.owner() + " and replicated to " + record.replicas()
                    + "; raise memsync.region." + name + ".replicas so that every node declaring it gets a copy"));
        }
        return copy;
    }

    public MemorySegment segment(String name) {
        return copy(name).segment();
    }

    public void flush(String name) throws IOException {
        ClusterRegion copy = copy(name);
        requireReplica(name);
        copy.flush();
    }

    /**
     * With {@code memsync.flush.require.replica}: fails a flush of a region that should have replicas and has none
     * placed (no other member can hold one), which would otherwise succeed with the writes on this node only.
     */
    private void requireReplica(String name) throws IOException {
        if (!config.flushRequiresReplica()) {
            return;
        }
        RegionRecord r = awaitNode().directory().get(name);
        if (r != null && r.replicaCount() > 0 && r.replicas().isEmpty()) {
            throw new IOException("flush of region " + name + " refused: it should have " + r.replicaCount()
                    + " replica" + (r.replicaCount() == 1 ? "" : "s") + " and has none placed, so nothing would be "
                    + "acknowledged; start another member of cluster " + config.clusterName() + ", or set "
                    + "memsync.flush.require.replica=false to let such a flush succeed with the writes on this node "
                    + "only");
        }
    }

    public boolean isOwner(String name) {
        return copy(name).isOwner();
    }

    /** The node name of region {@code name}'s owner now, from the cluster's directory. */
    public String owner(String name) {
        Node n = awaitNode();
        RegionRecord r = n.directory().get(name);
        if (r == null) {
            throw new IllegalArgumentException("no region " + name + " in cluster " + config.clusterName());
        }
        return n.memberName(r.owner());
    }

    /**
     * Mounts region {@code name}, owned by another node, lazily on this one (once; later calls return the same
     * mount): readable at once, each chunk pulled from the owner on first touch and the rest in the background.
     */
    public synchronized LazyRegion mount(String name) throws IOException {
        Node n = awaitNode();
        LazyRegion mounted = n.mounted(name);
        return mounted != null ? mounted : n.mount(name, 4, true);
    }

    /** Replaces the default, which cannot pause writers it does not know ({@link UnpausedWriters}). */
    public void writerControl(String name, Writers writers) {
        copy(name);
        awaitNode().writerControl(name, new WriterControl() {
            @Override
            public void pause() throws InterruptedException {
                writers.pause();
            }

            @Override
            public void resume() {
                writers.resume();
            }
        });
    }

    /**
     * The application mapped {@code path} at {@code address}: if it is a region's file, remember the mapping so
     * that its {@code force()} flushes the region.
     */
    void mapped(String path, long position, long size, long address) {
        RegionConfig r = config.regionAt(Path.of(path));
        if (r == null) {
            return;
        }
        mapped.add(new MappedFiles.Mapping(r.name(), address, size, position, "FileChannel.map"));
        if (awaitingFile.containsKey(r.name())) {
            housekeeping.execute(this::adoptFiles);
        }
        if (r.size() > 0 && position + size > r.size()) {
            LOG.log(System.Logger.Level.WARNING, "memsync: " + path + " is mapped up to byte " + (position + size)
                    + " but region " + r.name() + " has " + r.size() + ": bytes past memsync.region." + r.name()
                    + ".size are not synchronized");
        }
        LOG.log(System.Logger.Level.DEBUG, "memsync: the application mapped region " + r.name() + " at 0x"
                + Long.toHexString(address));
    }

    /**
     * The application forced (msync) a mapping that starts at {@code address}: if it maps a region owned here, the
     * replicas get every write made before; on a replica there is nothing to send.
     */
    void forced(long address) throws IOException {
        MappedFiles.Mapping m = mapped.find(address);
        if (m == null) {
            return;
        }
        ClusterRegion copy = copy(m.region());
        if (copy.isOwner()) {
            requireReplica(m.region());
            copy.flush();
        }
    }

    List<MappedFiles.Mapping> mappings() {
        return mapped.all();
    }

    /**
     * Whether {@code t} is one of memsync's threads, which must not keep the application's JVM alive: its
     * Hazelcast's (named after the instance, "hz.memsync-NODE."), its own ("memsync-"), and RMI's reaper when memsync
     * exported the remote JMX connector.
     */
    boolean isMemsyncThread(Thread t) {
        String name = t.getName();
        return name.startsWith("hz.memsync-" + config.nodeName() + ".") || name.startsWith("memsync-")
                || remoteJmx != null && name.equals("RMI Reaper");
    }

    /**
     * Leaves the cluster in order, once: a last flush of the regions owned here bounded by
     * {@code memsync.exit.flush.timeout.ms}, then the node tells the others it leaves and stops, with its
     * Hazelcast member (whose threads would otherwise keep the JVM up). Runs when the application ended and at
     * shutdown (System.exit, a signal).
     */
    void leave() {
        boolean first;
        synchronized (leaving) {
            first = leaving.compareAndSet(false, true);
        }
        if (!first) {
            // At shutdown, after the application ended: the JVM may halt only once the leave in progress is done.
            try {
                left.get(config.exitFlushTimeout().toMillis() + 30_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.log(System.Logger.Level.WARNING, "memsync: node " + config.nodeName() + " is still leaving as "
                        + "the JVM exits");
            }
            return;
        }
        if (exit != null) {
            exit.close();
        }
        try {
            closeOperatorSurface();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "memsync: closing JMX and the dashboard: " + e);
        }
        if (!node.isDone()) {
            // The node is still starting: startNode leaves as soon as it has joined.
            return;
        }
        try {
            if (!node.isCompletedExceptionally()) {
                leaveNow(node.getNow(null));
            }
        } finally {
            left.complete(null);
            housekeeping.shutdownNow();
        }
    }

    private void leaveNow(Node n) {
        long start = System.nanoTime();
        try {
            List<io.memsync.cluster.LastFlush> flushed = n.leave(config.exitFlushTimeout());
            long failed = flushed.stream().filter(f -> !f.succeeded()).count();
            LOG.log(System.Logger.Level.INFO, "memsync: node " + config.nodeName() + " left cluster "
                    + config.clusterName() + " in " + (System.nanoTime() - start) / 1_000_000 + " ms"
                    + (flushed.isEmpty() ? "" : failed == 0 ? " after the last flush of " + flushed.size()
                    + " region" + (flushed.size() == 1 ? "" : "s") : "; " + failed + " of " + flushed.size()
                    + " last flushes failed (memsync.exit.flush.timeout.ms=" + config.exitFlushTimeout().toMillis()
                    + ")"));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "memsync: node " + config.nodeName() + " did not leave cleanly: "
                    + e.getMessage());
            LOG.log(System.Logger.Level.DEBUG, "memsync: leaving", e);
        }
    }

    @Override
    public void close() {
        leave();
    }

    private void closeOperatorSurface() throws java.io.IOException {
        if (dashboard != null) {
            dashboard.close();
        }
        if (remoteJmx != null) {
            remoteJmx.stop();
        }
        if (mbeans != null) {
            mbeans.close();
        }
    }

    private static void closeQuietly(Node n) {
        try {
            n.close();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "memsync: closing the node after a failed start: " + e);
        }
    }
}
