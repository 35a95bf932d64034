package io.memsync.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.memsync.cluster.wire.DataServer;
import io.memsync.cluster.wire.PeerLink;
import io.memsync.cluster.wire.ReplicaSink;
import io.memsync.cluster.wire.ServedRegion;
import io.memsync.region.ChunkLayout;
import io.memsync.region.Region;
import io.memsync.region.page.LazyRegion;
import io.memsync.region.page.PagerConfig;
import io.memsync.region.sync.Syncer;
import io.memsync.region.track.DirtyTracker;
import io.memsync.region.track.TrackerKind;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A memsync node: an embedded Hazelcast member (membership, failure detection, the {@link RegionDirectory}) and a
 * {@link DataServer} for chunk data. Regions created here are owned here and pushed to replicas chosen among the
 * other members; regions for which the directory names this node a replica are opened and served here as soon as
 * their record appears.
 * <p>
 * Failure detection: heartbeats every second and a member silent for 5 s is removed
 * ({@code hazelcast.heartbeat.interval.seconds=1}, {@code hazelcast.max.no.heartbeat.seconds=5}).
 * <p>
 * Threads: Hazelcast's own; the data server's; one syncer per owned region; and one maintenance thread that does
 * all placement, failover and repair, periodically and on every membership change.
 */
public final class Node implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Node.class.getName());
    static final String DIRECTORY = "memsync.regions";
    static final String ENDPOINTS = "memsync.endpoints";
    static final String COUNTERS = "memsync.counters";
    /** Region name to the share a migration's destination has paged in, reported by the destination. */
    static final String PAGING = "memsync.paging";
    /** Hazelcast executor that runs {@link ChecksumRequest}s. */
    static final String CHECKSUMS = "memsync.checksums";
    /** Hazelcast member attribute holding the node's name, so that every node can name its peers. */
    public static final String NAME_ATTRIBUTE = "memsync.name";

    private final NodeConfig config;
    private final HazelcastInstance hazelcast;
    private final DataServer data;
    private final RegionDirectory directory;
    private final IMap<String, String> endpoints;
    private final IMap<String, Double> paging;
    private final Map<String, ClusterRegion> local = new ConcurrentHashMap<>();
    private final Map<String, LazyRegion> mounts = new ConcurrentHashMap<>();
    private final Map<String, WriterControl> writerControls = new ConcurrentHashMap<>();
    private final List<OwnershipListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, MigrationProgress> migrations = new ConcurrentHashMap<>();
    /** How regions are kept on this host, where it differs from the defaults: files applications map, trackers. */
    private final Map<String, LocalRegionSettings> localSettings = new ConcurrentHashMap<>();
    /** Regions this node holds a replica of and is the destination of a migration of: their armed trackers. */
    private final Map<String, DirtyTracker> armed = new ConcurrentHashMap<>();
    /** Links a migration's destination opens while it learns, to the members likely to be its replicas. */
    private final Map<String, Map<String, PeerLink>> learnerLinks = new ConcurrentHashMap<>();
    /** Runs {@link #maintain()}: placement, failover and repairs happen on this one thread, one pass at a time. */
    private final ScheduledExecutorService maintenance;
    private volatile boolean closing;
    private final List<MigrationListener> migrationListeners = new CopyOnWriteArrayList<>();
    private final List<PeerListener> peerListeners = new CopyOnWriteArrayList<>();
    /** Member uuid to node name, of every member seen: names stay known after a member left. */
    private final Map<String, String> knownNames = new ConcurrentHashMap<>();

    private Node(NodeConfig config, HazelcastInstance hazelcast, DataServer data) {
        this.config = config;
        this.hazelcast = hazelcast;
        this.data = data;
        this.directory = new RegionDirectory(hazelcast.getMap(DIRECTORY));
        this.endpoints = hazelcast.getMap(ENDPOINTS);
        this.paging = hazelcast.getMap(PAGING);
        this.maintenance = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                .name("memsync-maintenance-" + config.name()).daemon(true).unstarted(r));
    }

    /** Starts the Hazelcast member and the data server, and joins the cluster. */
    public static Node start(NodeConfig config) throws IOException {
        return start(config, Map.of());
    }

    /**
     * Starts the node with {@link #localSettings} for some regions in place before it opens any region: a replica
     * may be opened by the very first maintenance pass.
     */
    public static Node start(NodeConfig config, Map<String, LocalRegionSettings> settings) throws IOException {
        DataServer data = new DataServer(new InetSocketAddress(config.host(), config.dataPort()), config.secret(), 64);
        HazelcastInstance hz;
        java.util.concurrent.atomic.AtomicReference<Node> self = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            Config hazelcastConfig = hazelcastConfig(config);
            hazelcastConfig.getUserContext().put(MigrationRequest.NODE, self);
            hz = Hazelcast.newHazelcastInstance(hazelcastConfig);
        } catch (RuntimeException e) {
            data.close();
            throw e;
        }
        Node node = new Node(config, hz, data);
        node.localSettings.putAll(settings);
        self.set(node);
        node.addOwnershipListener(new OwnershipEvents(node::memberId));
        node.publishEndpoint();
        node.directory.map().addEntryListener(node.new DirectoryListener(), true);
        hz.getCluster().addMembershipListener(node.new MembershipTrigger());
        // The first pass opens the replicas this node is named for; it may wait for the minimum cluster size.
        long period = config.maintenanceInterval().toMillis();
        node.maintenance.scheduleWithFixedDelay(node::maintain, 0, period, TimeUnit.MILLISECONDS);
        return node;
    }

    private void publishEndpoint() {
        endpoints.set(me(), config.host() + ":" + data.port());
    }

    static Config hazelcastConfig(NodeConfig config) {
        Config c = new Config();
        c.setClusterName(config.clusterName());
        c.setInstanceName("memsync-" + config.name());
        c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.logging.type", "jdk");
        c.setProperty("hazelcast.shutdownhook.enabled", "false");
        c.getMemberAttributeConfig().setAttribute(NAME_ATTRIBUTE, config.name());
        // A member cut off (paused, partitioned) looks for the others every 5 s, not after Hazelcast's 5 minutes, so
        // that a deposed owner comes back as a replica soon.
        c.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        c.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        if (config.minClusterSize() > 1) {
            // Below this many members the directory refuses reads and writes: a minority (an owner cut off from the
            // rest) can neither see itself as owner nor shrink its replica set to what it can still reach.
            c.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig("memsync-quorum", true,
                    config.minClusterSize()));
            c.getMapConfig(DIRECTORY).setSplitBrainProtectionName("memsync-quorum");
        }
        // The directory and endpoints are tiny and everything rests on them: two synchronous backups, so that they
        // survive a member dying while partitions migrate to a newcomer.
        for (String map : List.of(DIRECTORY, ENDPOINTS, COUNTERS, PAGING)) {
            c.getMapConfig(map).setBackupCount(2);
        }
        NetworkConfig network = c.getNetworkConfig();
        network.setPort(config.hazelcastPort()).setPortAutoIncrement(false);
        network.setPublicAddress(config.host() + ":" + config.hazelcastPort());
        network.getInterfaces().setEnabled(true).addInterface(config.host());
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        // Hazelcast waits this long for the listed members to answer before a node forms a cluster of its own: at its
        // default of 5 s every cluster started together took 5 s more to form. A member slower than that to start
        // simply joins the cluster formed meanwhile.
        join.getTcpIpConfig().setEnabled(true).setMembers(new ArrayList<>(config.members()))
                .setConnectionTimeoutSeconds(1);
        return c;
    }

    /**
     * This node's Hazelcast member uuid, as the directory names owners and replicas. Read each time: Hazelcast gives
     * a member a new uuid when it merges back after a split, and this node is then a new member to the others.
     */
    public String memberId() {
        return hazelcast.getCluster().getLocalMember().getUuid().toString();
    }

    private String me() {
        return memberId();
    }

    public RegionDirectory directory() {
        return directory;
    }

    /**
     * Waits until every Hazelcast partition has its backups in place (true), or {@code timeout} passes (false).
     * Until then a member that dies can take directory entries with it: a cluster just formed is still moving
     * partitions to its newer members.
     */
    public boolean awaitClusterSafe(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!hazelcast.getPartitionService().isClusterSafe()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(20_000_000);
        }
        return true;
    }

    public int clusterSize() {
        return hazelcast.getCluster().getMembers().size();
    }

    public InetSocketAddress dataAddress() {
        return data.address();
    }

    /** This node's copy of region {@code name}, or null if it has none. */
    public ClusterRegion region(String name) {
        return local.get(name);
    }

    /** Waits until this node has a copy of {@code name} (a replica appears when the owner creates the region). */
    public ClusterRegion awaitRegion(String name, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ClusterRegion r;
        while ((r = local.get(name)) == null && System.nanoTime() < deadline) {
            LockSupport.parkNanos(5_000_000);
        }
        return r;
    }

    /**
     * Creates region {@code name} owned by this node and replicated to {@code replicaCount} other members (chosen
     * among the live ones); returns once every replica serves it. Its flush needs the configured quorum.
     */
    public ClusterRegion createRegion(String name, long size, int chunkSize, int replicaCount) throws IOException {
        return createRegion(name, size, chunkSize, replicaCount, false);
    }

    /**
     * Like {@link #createRegion(String, long, int, int)}; with {@code placeLater} a region may want more replicas
     * than other members are up: it gets those that are, and maintenance places the rest as members join (until
     * then a flush with quorum all waits for them and times out). A region backed by a file here
     * ({@link #localSettings}) keeps the file's content, and its replicas get the whole of it once.
     */
    public ClusterRegion createRegion(String name, long size, int chunkSize, int replicaCount, boolean placeLater)
            throws IOException {
        ChunkLayout layout = new ChunkLayout(size, chunkSize);
        List<String> others = hazelcast.getCluster().getMembers().stream().map(m -> m.getUuid().toString())
                .filter(u -> !u.equals(me())).sorted(Comparator.naturalOrder()).toList();
        if (replicaCount < 0 || (replicaCount > others.size() && !placeLater)) {
            throw new IllegalArgumentException("region " + name + " wants " + replicaCount + " replicas but only "
                    + others.size() + " other members are up");
        }
        if (!awaitClusterSafe(Duration.ofSeconds(30))) {
            LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": creating region " + name + " while "
                    + "Hazelcast partitions are still migrating: a member dying now could lose its directory entry");
        }
        int id = nextRegionId();
        List<String> replicas = new ArrayList<>();
        for (int i = 0; i < Math.min(replicaCount, others.size()); i++) {
            replicas.add(others.get((id + i) % others.size()));
        }
        Region region = newRegion(name, size, chunkSize);
        boolean hasContent = backingFile(name) != null;
        ReplicaSink sink = null;
        try {
            DirtyTracker tracker = region.startTracking(trackerFor(name));
            ServedRegion served = new ServedRegion(id, region.segment(), layout, false, 1);
            data.serve(served);
            RegionRecord record = new RegionRecord(name, id, size, chunkSize, me(), 1, replicas, Map.of(),
                    replicaCount, null);
            if (!directory.create(record)) {
                throw new IllegalArgumentException("region " + name + " exists already in the cluster");
            }
            awaitReplicasReady(name, replicas, Duration.ofSeconds(30));
            // The token is fixed for this sink: if ownership moves on, this node must stop, never adopt the new one.
            sink = new ReplicaSink(layout, id, () -> 1L, config.flushQuorum(), config.flushTimeout());
            // All the replicas wanted, placed or not yet: a flush before maintenance places the rest waits for them.
            sink.expect(replicaCount);
            for (String replica : replicas) {
                // A new memfd and a new replica are both all zeros: nothing to fill. An adopted file is not.
                sink.add(replica, link(replica, chunkSize), hasContent);
            }
            Syncer syncer = new Syncer(name, tracker, sink, syncIntervalFor(name)).start();
            ClusterRegion cr = ownerCopy(name, region, null, served, syncer, sink);
            local.put(name, cr);
            return cr;
        } catch (IOException | RuntimeException e) {
            // Undo only what this call did: serving under its fresh id, and the record if it was ours.
            data.stopServing(id);
            if (sink != null) {
                sink.replicas().forEach(r -> r.link().close());
            }
            RegionRecord created = directory.get(name);
            if (created != null && created.id() == id) {
                directory.map().remove(name, created);
            }
            region.close();
            throw e;
        }
    }

    /** The owner's copy; after a flush it records in the directory what the replicas acknowledged, if that matters. */
    private ClusterRegion ownerCopy(String name, Region region, LazyRegion lazy, ServedRegion served, Syncer syncer,
                                    ReplicaSink sink) {
        return ClusterRegion.owner(name, region, lazy, served, syncer, sink,
                new AckRecorder(sink, (member, epoch) -> directory.ack(name, member, epoch)));
    }

    /**
     * Keeps an owned region at its replica count and its links working: drops replicas that left, adds live
     * members that hold no copy, reconnects replicas whose link broke; a replica that is new or may have missed
     * chunks gets the whole region once (beside the stream), then follows the stream.
     */
    private void reconcile(ClusterRegion copy, RegionRecord r, List<String> live) throws IOException {
        ReplicaSink sink = copy.sink();
        List<String> keep = r.replicas().stream().filter(live::contains).toList();
        List<String> candidates = live.stream().filter(u -> !u.equals(me()) && !keep.contains(u)).toList();
        List<String> next = new ArrayList<>(keep);
        for (int i = 0; next.size() < r.replicaCount() && i < candidates.size(); i++) {
            next.add(candidates.get(i));
        }
        if (next.size() > r.replicaCount() && copy.availability() >= 1.0) {
            // A migration's source stays a replica beyond the count while this copy still pages chunks in from it;
            // once everything is here, it goes (it was added last).
            next = new ArrayList<>(next.subList(0, r.replicaCount()));
        }
        if (!next.equals(r.replicas())) {
            if (directory.setReplicas(r.name(), r.token(), next) == null) {
                return;
            }
            LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": region " + r.name() + " is replicated to "
                    + next + " now (was " + r.replicas() + ")");
        }
        sink.expect(next.size());
        for (ReplicaSink.Replica replica : sink.replicas()) {
            if (!next.contains(replica.member()) || replica.link().failure() != null) {
                sink.remove(replica.member());
            }
        }
        List<String> missing = next.stream().filter(u -> sink.replica(u) == null).toList();
        if (!missing.isEmpty()) {
            awaitReplicasReady(r.name(), missing, Duration.ofSeconds(30));
            for (String member : missing) {
                sink.add(member, link(member, r.chunkSize()), true);
            }
        }
        boolean filled = false;
        for (ReplicaSink.Replica replica : sink.replicas()) {
            if (!replica.filled()) {
                long start = System.nanoTime();
                sink.fill(replica, copy.region().segment());
                filled = true;
                LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": sent the whole of region " + r.name()
                        + " to " + replica + " in " + (System.nanoTime() - start) / 1_000_000 + " ms");
            }
        }
        if (filled) {
            copy.flush();
        }
    }

    private PeerLink link(String member, int chunkSize) throws IOException {
        String endpoint = endpoints.get(member);
        if (endpoint == null) {
            throw new IOException("member " + member + " has published no data endpoint");
        }
        int colon = endpoint.lastIndexOf(':');
        return PeerLink.connect(new InetSocketAddress(endpoint.substring(0, colon),
                Integer.parseInt(endpoint.substring(colon + 1))), config.secret(), config.name(), chunkSize,
                Duration.ZERO, config.flushTimeout());
    }

    private void awaitReplicasReady(String name, List<String> replicas, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            RegionRecord r = directory.get(name);
            if (r != null && r.acked().keySet().containsAll(replicas)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("replicas of region " + name + " did not come up within " + timeout.toMillis()
                        + " ms (ready: " + (r == null ? "none" : r.acked().keySet()) + " of " + replicas + ")");
            }
            LockSupport.parkNanos(5_000_000);
        }
    }

    private int nextRegionId() {
        IMap<String, Integer> counters = hazelcast.getMap(COUNTERS);
        return counters.executeOnKey("region-id", new NextId());
    }

    /** Atomic increment of a counter kept in a map entry (no CP subsystem needed). */
    record NextId() implements com.hazelcast.map.EntryProcessor<String, Integer, Integer> {
        @Override
        public Integer process(Map.Entry<String, Integer> entry) {
            int next = entry.getValue() == null ? 1 : entry.getValue() + 1;
            entry.setValue(next);
            return next;
        }
    }

    /** A record appeared or changed: open a replica here if we are named one; follow token changes. */
    private void onRecord(RegionRecord r) {
        ClusterRegion existing = local.get(r.name());
        if (existing != null && existing.role() == ClusterRegion.Role.LEARNER) {
            if (r.owner().equals(me())) {
                // The handover: on this (event) thread, at once, for the writers wait for it.
                try {
                    promoteLearner(existing, r);
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "node " + config.name() + ": taking over migrated region "
                            + r.name() + " failed (retried by maintenance): " + e.getMessage(), e);
                    maintainSoon();
                }
            } else if (!me().equals(r.migratingTo())) {
                maintainSoon();
            }
            return;
        }
        if (existing == null && me().equals(r.migratingTo())) {
            maintainSoon();
            return;
        }
        if (existing != null && existing.isOwner() && !r.owner().equals(me())) {
            demote(existing, r);
            return;
        }
        if (existing != null && r.owner().equals(me()) && armed.containsKey(r.name())) {
            // A migration's handover to this replica: at once, on this (event) thread; no refill needed.
            try {
                promote(existing, r, members(), true);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "node " + config.name() + ": taking over migrated region "
                        + r.name() + " failed (retried by maintenance): " + e.getMessage(), e);
                maintainSoon();
            }
            return;
        }
        if (existing != null) {
            existing.served().advanceToken(r.token());
            if (me().equals(r.migratingTo()) != armed.containsKey(r.name())) {
                maintainSoon();
            }
            return;
        }
        if (!r.replicas().contains(me())) {
            return;
        }
        synchronized (this) {
            if (local.containsKey(r.name())) {
                return;
            }
            Region region = newRegion(r.name(), r.size(), r.chunkSize());
            ServedRegion served = replicaServing(r, region);
            data.serve(served);
            local.put(r.name(), ClusterRegion.replica(r.name(), region, null, served));
        }
        directory.ack(r.name(), me(), 0);
        LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": serving region " + r.name()
                + " as a replica of " + r.owner());
    }

    private ServedRegion replicaServing(RegionRecord r, Region region) {
        return replicaServing(r, region, null);
    }

    /**
     * A replica's serving state: pushes under a token newer than it knows are checked with the directory. On a
     * paged copy ({@code lazy}), pulls are answered through the paged mapping and pushes written through the
     * untracked one.
     */
    private ServedRegion replicaServing(RegionRecord r, Region region, LazyRegion lazy) {
        return replicaServing(r, region, lazy != null);
    }

    private ServedRegion replicaServing(RegionRecord r, Region region, boolean applyUntracked) {
        String name = r.name();
        MemorySegment apply = applyUntracked ? region.untrackedMapping() : region.segment();
        return new ServedRegion(r.id(), region.segment(), apply, region.layout(), true, r.token()).authority(() -> {
            RegionRecord now = directory.get(name);
            return now == null ? 0 : now.token();
        });
    }

    /**
     * Another node owns the region now (this one was paused or cut off while it was claimed): stop pushing at once,
     * and keep the memory as a replica under the new token, which the new owner refills if it places us.
     */
    private synchronized void demote(ClusterRegion owner, RegionRecord r) {
        if (local.get(r.name()) != owner) {
            return;
        }
        try {
            owner.stopPushing();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": stopping the pushes of " + r.name()
                    + ": " + e.getMessage());
        }
        Region region = owner.region();
        ServedRegion served = replicaServing(r, region, owner.lazy());
        data.serve(served);
        local.put(r.name(), ClusterRegion.replica(r.name(), region, owner.lazy(), served));
        LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": region " + r.name() + " is owned by "
                + r.owner() + " with token " + r.token() + " now; this node stopped writing to replicas");
        for (OwnershipListener l : listeners) {
            try {
                l.lost(r.name(), r.owner(), r.token());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "an ownership listener failed: " + e, e);
            }
        }
    }

    private final class DirectoryListener implements EntryAddedListener<String, RegionRecord>,
            EntryUpdatedListener<String, RegionRecord> {
        @Override
        public void entryAdded(EntryEvent<String, RegionRecord> event) {
            onRecord(event.getValue());
        }

        @Override
        public void entryUpdated(EntryEvent<String, RegionRecord> event) {
            onRecord(event.getValue());
        }
    }

    /** Membership changes trigger a maintenance pass at once (off Hazelcast's event thread). */
    private final class MembershipTrigger implements com.hazelcast.cluster.MembershipListener {
        @Override
        public void memberAdded(com.hazelcast.cluster.MembershipEvent event) {
            maintainSoon();
            peerChanged(event.getMember(), true);
        }

        @Override
        public void memberRemoved(com.hazelcast.cluster.MembershipEvent event) {
            maintainSoon();
            peerChanged(event.getMember(), false);
        }
    }

    private void maintainSoon() {
        try {
            maintenance.execute(this::maintain);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // The node is closing.
        }
    }

    /**
     * One maintenance pass, on the maintenance thread only. For every region in the directory: a replica named
     * successor of an owner that left claims the region (the live replica with the highest acknowledged epoch,
     * ties to the greatest uuid, so replicas agree without talking, and the claim's compare-and-set lets one
     * win); a claim whose promotion failed is promoted again; an owner re-places and reconnects its replicas.
     * Running periodically, it retries whatever failed before: a successor that died before claiming, a link that
     * broke, a replica that could not be filled.
     */
    private void maintain() {
        if (closing) {
            return;
        }
        List<String> live;
        List<RegionRecord> records;
        try {
            live = members();
            records = List.copyOf(directory.map().values());
            // Republished when missing: a new uuid after a merge, or an entry Hazelcast lost with a member that
            // died while partitions were migrating.
            String endpoint = config.host() + ":" + data.port();
            if (!endpoint.equals(endpoints.get(me()))) {
                publishEndpoint();
            }
        } catch (RuntimeException e) {
            // Below the minimum cluster size, or shutting down: nothing can be decided now.
            LOG.log(System.Logger.Level.DEBUG, "node " + config.name() + ": maintenance skipped: " + e.getMessage());
            return;
        }
        for (RegionRecord r : records) {
            ClusterRegion copy = local.get(r.name());
            try {
                if (copy == null) {
                    if (me().equals(r.migratingTo())) {
                        prepareLearner(r);
                    } else {
                        onRecord(r);
                    }
                } else if (copy.role() == ClusterRegion.Role.LEARNER) {
                    if (r.owner().equals(me())) {
                        promoteLearner(copy, r);
                    } else if (!me().equals(r.migratingTo())) {
                        drop(copy, "the migration to this node ended without a handover");
                    }
                } else if (copy.isOwner() && !r.owner().equals(me())) {
                    demote(copy, r);
                } else if (copy.isOwner()) {
                    MigrationProgress running = migrations.get(r.name());
                    if (r.migratingTo() == null) {
                        reconcile(copy, r, live);
                    } else if (running == null || running.phase().compareTo(MigrationProgress.Phase.DONE) >= 0) {
                        // A migration that ended without clearing its mark (the directory failed at that moment).
                        directory.endMigration(r.name(), r.token(), r.migratingTo());
                    }
                } else if (copy.token() > r.token() && copy.served().rollBackToken()) {
                    // This node claimed the region on its side of a split brain, and lost the merge: the directory's
                    // record (the larger side's) is the truth, and its owner's token is lower than the one held here.
                    LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": region " + r.name()
                            + " follows the token of " + r.owner() + " again, " + copy.token() + "; the higher one it"
                            + " held was claimed on the losing side of a split brain");
                } else if (r.owner().equals(me())) {
                    promote(copy, r, live, armed.containsKey(r.name()));
                } else if (me().equals(r.migratingTo()) && !armed.containsKey(r.name())) {
                    arm(copy, r);
                } else if (!me().equals(r.migratingTo()) && armed.containsKey(r.name())) {
                    disarm(r.name());
                } else if (r.replicas().contains(me()) && !r.acked().containsKey(me())) {
                    // Named a replica under a uuid this node got when it rejoined: tell the owner it serves.
                    directory.ack(r.name(), me(), 0);
                } else if (!r.replicas().contains(me()) && live.contains(r.owner())) {
                    drop(copy, "the owner no longer places a replica here");
                } else if (!live.contains(r.owner()) && me().equals(successor(r, live))) {
                    List<String> others = r.replicas().stream().filter(live::contains).filter(u -> !u.equals(me()))
                            .toList();
                    RegionRecord claimed = directory.claim(r.name(), r.token(), me(), others);
                    if (claimed == null) {
                        LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": region " + r.name()
                                + " was claimed by another node first");
                        continue;
                    }
                    LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": claimed region " + r.name()
                            + " from " + r.owner() + " (gone) with token " + claimed.token());
                    disarm(r.name());
                    promote(copy, claimed, live, false);
                }
            } catch (IOException | RuntimeException e) {
                if (!closing) {
                    LOG.log(System.Logger.Level.ERROR, "node " + config.name() + ": maintaining region " + r.name()
                            + " failed (retried in " + config.maintenanceInterval().toMillis() + " ms): "
                            + e.getMessage(), e);
                }
            }
        }
    }

    private static String successor(RegionRecord r, List<String> live) {
        return r.replicas().stream().filter(live::contains)
                .max(Comparator.<String>comparingLong(u -> r.acked().getOrDefault(u, -1L))
                        .thenComparing(Comparator.<String>naturalOrder()))
                .orElse(null);
    }

    /**
     * Turns this node's replica into the owner: fenced by the claimed token, tracked, and pushed to the live
     * replicas. Their copies may differ in what the old owner sent after its last flush, so each gets the whole
     * region once before its acknowledgements count. On failure nothing is left half-built: the next maintenance
     * pass tries again (the directory still names this node owner).
     */
    private synchronized void promote(ClusterRegion replica, RegionRecord record, List<String> live,
                                      boolean handedOver) throws IOException {
        if (local.get(record.name()) != replica || replica.isOwner()) {
            return;
        }
        Region region = replica.region();
        ChunkLayout layout = region.layout();
        long token = record.token();
        ServedRegion served = new ServedRegion(record.id(), region.segment(), layout, false, token);
        ReplicaSink sink = new ReplicaSink(layout, record.id(), () -> token, config.flushQuorum(),
                config.flushTimeout());
        List<String> replicas = record.replicas().stream().filter(live::contains).toList();
        sink.expect(replicas.size());
        DirtyTracker tracker = null;
        Syncer syncer = null;
        try {
            // Connected before this node reports itself owner, so that a flush from then on waits for the fills.
            // After a failover the replicas may differ in what the old owner sent after its last flush: each gets
            // the whole region. After a migration's handover they all hold its final round: no fill.
            Map<String, PeerLink> ready = learnerLinks.remove(record.name());
            for (String member : replicas) {
                try {
                    sink.add(member, readyLink(ready, member, layout.chunkSize()), !handedOver);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": cannot reach replica " + member
                            + " of " + record.name() + " yet (retried): " + e.getMessage());
                }
            }
            closeLinks(ready);
            tracker = armed.remove(record.name());
            if (tracker == null || !handedOver) {
                if (tracker != null) {
                    tracker.close();
                }
                tracker = region.startTracking(trackerFor(record.name()));
            }
            syncer = new Syncer(record.name(), tracker, sink, syncIntervalFor(record.name()));
            data.serve(served);
            ClusterRegion owner = ownerCopy(record.name(), region, null, served, syncer, sink);
            local.put(record.name(), owner);
            syncer.start();
            gained(owner);
            forgetPaging(record.name());
            LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": owns region " + record.name()
                    + " with token " + token + " now" + (handedOver ? ", handed over by a migration" : ""));
        } catch (RuntimeException e) {
            local.put(record.name(), replica);
            data.serve(replica.served());
            if (tracker != null) {
                tracker.close();
            }
            sink.replicas().forEach(x -> x.link().close());
            throw e;
        }
        if (handedOver) {
            maintainSoon();
        } else {
            // The replicas are (re)connected and filled by the same path that repairs broken links.
            reconcile(local.get(record.name()), record, live);
        }
    }

    /**
     * This node's replica is the destination of a migration: from now on pushed chunks are written through a
     * second mapping and the region's own mapping is tracked, so that the handover finds tracking running (none of
     * its set-up on the pause) and the replica's own writes since are all the application's. Links to the other
     * members are opened now for the same reason. Reports itself ready (fully paged in) to the source.
     */
    private synchronized void arm(ClusterRegion replica, RegionRecord r) throws IOException {
        if (local.get(r.name()) != replica || armed.containsKey(r.name())) {
            return;
        }
        Region region = replica.region();
        ServedRegion served = replicaServing(r, region, true);
        data.serve(served);
        local.put(r.name(), ClusterRegion.replica(r.name(), region, null, served));
        armed.put(r.name(), region.startTracking(trackerFor(r.name())));
        closeLinks(learnerLinks.put(r.name(), openLinks(r)));
        paging.set(pagingKey(r.name(), me()), 1.0);
        LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": its replica of " + r.name()
                + " is ready to take the region over from " + r.owner());
    }

    /** The migration to this node's replica ended without a handover. */
    private synchronized void disarm(String name) {
        DirtyTracker tracker = armed.remove(name);
        if (tracker != null) {
            tracker.close();
            closeLinks(learnerLinks.remove(name));
            forgetPaging(name);
        }
    }

    /**
     * How region {@code name} is kept on this host (its file, tracker, push interval); call before the region
     * appears here. With a file, applications and native code that map the file share the region's memory: it is
     * created if missing and kept, with its content, if present.
     */
    public void localSettings(String name, LocalRegionSettings settings) {
        LocalRegionSettings previous = localSettings.putIfAbsent(name, settings);
        if (previous != null && !previous.equals(settings)) {
            throw new IllegalStateException("region " + name + " has local settings here already: " + previous);
        }
    }

    /** The file region {@code name} lives in on this host, or null if it is a memfd. */
    public Path backingFile(String name) {
        LocalRegionSettings s = localSettings.get(name);
        return s == null ? null : s.file();
    }

    private Region newRegion(String name, long size, int chunkSize) {
        LocalRegionSettings settings = localSettings.get(name);
        Region.Builder builder = Region.builder(name).size(size).chunkSize(chunkSize);
        if (settings != null && settings.file() != null) {
            builder.sharedPath(settings.file()).adoptExisting();
        }
        return builder.create();
    }

    private TrackerKind trackerFor(String name) {
        LocalRegionSettings settings = localSettings.get(name);
        return settings == null ? TrackerKind.AUTO : settings.tracker();
    }

    private Duration syncIntervalFor(String name) {
        LocalRegionSettings settings = localSettings.get(name);
        return settings == null || settings.pushInterval() == null ? config.syncInterval() : settings.pushInterval();
    }

    /** Registers how the handover of a migration pauses the writers of region {@code name} on this node. */
    public void writerControl(String name, WriterControl control) {
        writerControls.put(name, control);
    }

    /** Tells {@code listener} whenever this node gains or loses the ownership of a region. */
    public void addOwnershipListener(OwnershipListener listener) {
        listeners.add(listener);
    }

    /** Chunks this node's data server sent to peers that pulled them (mounts, migration destinations). */
    public long chunksServed() {
        return data.chunksServed();
    }

    /** The last migration of {@code name} started on this node, or null. */
    public MigrationProgress migration(String name) {
        return migrations.get(name);
    }

    private void gained(ClusterRegion owner) {
        for (OwnershipListener l : listeners) {
            try {
                l.gained(owner);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "an ownership listener failed: " + e, e);
            }
        }
    }

    /**
     * Moves the ownership of region {@code name}, owned here, to member {@code destination} while the writers keep
     * going. The destination maps the region at once, pages it in from here in the background and receives
     * everything written from then on (pre-copy); dirty rounds run until they are small; then the writers are
     * paused through the region's {@link WriterControl}, the last round is sent, and the directory names the
     * destination owner with the next token. The destination's writers resume at once; whatever it still lacks
     * it pages in on first touch (post-copy), from this node or any replica. This node stays a replica (beyond
     * the replica count if need be, until the destination has paged everything in), and its writers' view fails
     * from the handover on.
     * <p>
     * If anything fails before the handover, or {@link MigrationProgress#cancel()} is called, this node stays
     * owner with nothing lost, and the writers resume here.
     *
     * @throws IOException if the migration failed or was cancelled (the message says why)
     */
    public MigrationResult migrate(String name, String destination, MigrationOptions options) throws IOException {
        ClusterRegion copy = local.get(name);
        if (copy == null || !copy.isOwner()) {
            throw new IllegalStateException("region " + name + " is not owned by this node: migrate it from its owner");
        }
        WriterControl control = writerControls.get(name);
        if (control == null) {
            throw new IllegalStateException("region " + name + " has no WriterControl on this node: register one "
                    + "with Node.writerControl so that the handover can pause the writers");
        }
        if (destination.equals(me()) || !members().contains(destination)) {
            throw new IllegalArgumentException("migration destination " + destination + " is not another live "
                    + "member; members: " + members());
        }
        MigrationProgress progress = new MigrationProgress(name, destination, copy.chunkSize(), this::migrationPhase);
        MigrationProgress registered = migrations.compute(name, (key, running) -> running != null
                && running.phase().compareTo(MigrationProgress.Phase.DONE) < 0 ? running : progress);
        if (registered != progress) {
            throw new IllegalStateException("region " + name + " is being migrated already: " + registered);
        }
        return new MigrationSource(new SourceHost(), copy, control, destination, options, progress).run();
    }

    /** What a migration from this node needs of it. */
    private final class SourceHost implements MigrationSource.Host {
        @Override
        public String memberId() {
            return me();
        }

        @Override
        public String nodeName() {
            return config.name();
        }

        @Override
        public RegionDirectory directory() {
            return directory;
        }

        @Override
        public PeerLink link(String member, int chunkSize) throws IOException {
            return Node.this.link(member, chunkSize);
        }

        @Override
        public void awaitReplicasReady(String name, List<String> members, Duration timeout) throws IOException {
            Node.this.awaitReplicasReady(name, members, timeout);
        }

        @Override
        public double paged(String name, String member) {
            Double share = paging.get(pagingKey(name, member));
            return share == null ? 0 : share;
        }

        @Override
        public void demote(ClusterRegion owner, RegionRecord handed) {
            Node.this.demote(owner, handed);
        }
    }

    /**
     * Takes region {@code name} over from its owner, as a migration to this node that the owner runs (through
     * Hazelcast's executor) with {@code options}. With a low {@code minAvailability} this is the "managed mount":
     * the region is writable here at once, pages in on first touch and in the background, and every write is pushed
     * to the replicas (the old owner among them). Returns once this node owns it.
     *
     * @throws IOException if the owner refused or the migration failed (the owner then still owns the region)
     */
    public MigrationResult acquire(String name, MigrationOptions options) throws IOException {
        RegionRecord r = directory.get(name);
        if (r == null) {
            throw new IllegalArgumentException("no region " + name + " in the cluster");
        }
        if (r.owner().equals(me())) {
            throw new IllegalStateException("region " + name + " is owned by this node already");
        }
        Member owner = hazelcast.getCluster().getMembers().stream()
                .filter(m -> m.getUuid().toString().equals(r.owner())).findFirst()
                .orElseThrow(() -> new IOException("the owner of region " + name + " (" + r.owner()
                        + ") is not a live member; wait for the failover"));
        java.util.concurrent.Future<MigrationResult> done = hazelcast.getExecutorService("memsync.migrations")
                .submitToMember(new MigrationRequest(name, me(), options), owner);
        long waitNanos = options.readyTimeout().plus(options.maxPrecopy()).plus(options.handoverTimeout())
                .plusSeconds(30).toNanos();
        try {
            MigrationResult result = done.get(waitNanos, TimeUnit.NANOSECONDS);
            awaitRegion(name, Duration.ofSeconds(10));
            return result;
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            throw new IOException("taking region " + name + " over from " + r.owner() + " failed: "
                    + (cause != null ? cause.getMessage() : e.getMessage()), cause);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("taking region " + name + " over from " + r.owner() + " took longer than "
                    + waitNanos / 1_000_000 + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while taking region " + name + " over", e);
        }
    }

    /**
     * This node is a migration's destination: maps the region lazily (paged in from the owner first, from a replica
     * if the owner fails), serves it as a replica fed by the owner's stream, and tells the owner it is ready.
     */
    private void prepareLearner(RegionRecord r) throws IOException {
        if (backingFile(r.name()) != null) {
            // A paged copy lives in a memfd of its own: the application mapping the file here would never see it.
            throw new IOException("region " + r.name() + " lives in " + backingFile(r.name()) + " on node "
                    + config.name() + ", which holds no replica of it: migrate it to a node that does (raise its "
                    + "replica count)");
        }
        String source = networkSource(r) + "?order=failover";
        LazyRegion lazy = LazyRegion.mount("learner-" + r.name(), new ChunkLayout(r.size(), r.chunkSize()),
                PagerConfig.of(source).withPullers(config.migrationPullers()).withStandby(false)
                        .withWriteTracking(true), pagerEnvironment());
        // Connected now, so that the handover does not wait for handshakes.
        closeLinks(learnerLinks.put(r.name(), openLinks(r)));
        // Tracking from now on costs nothing (nothing writes through this mapping before the handover) and spares
        // the handover the tracker's set-up.
        lazy.startTracking();
        synchronized (this) {
            if (local.containsKey(r.name())) {
                lazy.close();
                return;
            }
            ServedRegion served = replicaServing(r, lazy.region(), lazy);
            data.serve(served);
            local.put(r.name(), ClusterRegion.learner(r.name(), lazy, served));
        }
        directory.ack(r.name(), me(), 0);
        String key = pagingKey(r.name(), me());
        Thread.ofVirtual().name("memsync-paging-" + r.name()).start(() -> reportPaging(key, lazy));
        LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": ready to take region " + r.name()
                + " over from " + r.owner() + " (paging it in through " + source + ")");
    }

    /**
     * The handover named this node owner of the region it was learning: tracks the writes from now on, pushes to
     * the replicas (which hold the final round already), and lets the writers go. What is not paged in yet is
     * paged in on first touch.
     */
    private synchronized void promoteLearner(ClusterRegion learner, RegionRecord r) throws IOException {
        if (local.get(r.name()) != learner) {
            return;
        }
        long begin = System.nanoTime();
        LazyRegion lazy = learner.lazy();
        ChunkLayout layout = lazy.layout();
        long token = r.token();
        ReplicaSink sink = new ReplicaSink(layout, r.id(), () -> token, config.flushQuorum(), config.flushTimeout());
        sink.expect(r.replicas().size());
        Map<String, PeerLink> ready = learnerLinks.remove(r.name());
        for (String member : r.replicas()) {
            try {
                sink.add(member, readyLink(ready, member, layout.chunkSize()), false);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": cannot reach replica " + member
                        + " of " + r.name() + " yet (retried, with a refill): " + e.getMessage());
            }
        }
        long linked = System.nanoTime();
        closeLinks(ready);
        DirtyTracker tracker = lazy.tracker() != null ? lazy.tracker() : lazy.startTracking();
        long tracked = System.nanoTime();
        Syncer syncer = new Syncer(r.name(), tracker, sink, syncIntervalFor(r.name()));
        ServedRegion served = new ServedRegion(r.id(), lazy.segment(), layout, false, token);
        data.serve(served);
        ClusterRegion owner = ownerCopy(r.name(), lazy.region(), lazy, served, syncer, sink);
        local.put(r.name(), owner);
        syncer.start();
        gained(owner);
        forgetPaging(r.name());
        LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": owns migrated region " + r.name()
                + " with token " + token + " now, " + String.format("%.1f", lazy.availability() * 100)
                + " % paged in; took over in " + (System.nanoTime() - begin) / 1000 + " us (links "
                + (linked - begin) / 1000 + " us, tracking " + (tracked - linked) / 1000 + " us)");
        maintainSoon();
    }

    /** The pager processes pull over the data plane with this node's secret, handed over in their environment. */
    private Map<String, String> pagerEnvironment() {
        return Map.of("MEMSYNC_SECRET", new String(config.secret(), java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Publishes how much of {@code lazy} is paged in, every 20 ms, until all of it is (the last value stays for the
     * source to read; {@link #forgetPaging} removes it) or the copy is closed.
     */
    private void reportPaging(String key, LazyRegion lazy) {
        try {
            double share = 0;
            while (!closing && share < 1.0) {
                share = lazy.availability();
                paging.set(key, share);
                LockSupport.parkNanos(20_000_000);
            }
        } catch (RuntimeException closed) {
            // The copy was closed or the node is shutting down: nothing left to report.
        }
    }

    private void forgetPaging(String name) {
        try {
            paging.delete(pagingKey(name, me()));
        } catch (RuntimeException ignored) {
            // Best effort: it is only read while a migration to this node runs.
        }
    }

    /**
     * Links to the region's owner and replicas (not this node), opened ahead of a handover; a member that cannot be
     * reached now is left out (the handover connects it then).
     */
    private Map<String, PeerLink> openLinks(RegionRecord r) {
        Map<String, PeerLink> links = new ConcurrentHashMap<>();
        for (String member : concat(r.owner(), r.replicas())) {
            if (!member.equals(me())) {
                try {
                    links.put(member, link(member, r.chunkSize()));
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": no link to " + member + " yet: "
                            + e.getMessage());
                }
            }
        }
        return links;
    }

    /** The link to {@code member} opened ahead in {@code ready} if it still works, else a new one. */
    private PeerLink readyLink(Map<String, PeerLink> ready, String member, int chunkSize) throws IOException {
        PeerLink link = ready == null ? null : ready.remove(member);
        return link != null && link.failure() == null ? link : link(member, chunkSize);
    }

    /** The pager source that pulls region {@code r} over the data plane from its owner and replicas. */
    private String networkSource(RegionRecord r) throws IOException {
        StringBuilder peers = new StringBuilder();
        for (String member : concat(r.owner(), r.replicas())) {
            String endpoint = endpoints.get(member);
            if (endpoint != null) {
                peers.append(peers.isEmpty() ? "" : ",").append(endpoint);
            }
        }
        if (peers.isEmpty()) {
            throw new IOException("no member serving region " + r.name() + " has a data endpoint");
        }
        return "tcp:" + r.id() + "@" + peers;
    }

    /** The key under which {@code member} reports how much of region {@code name} it has paged in. */
    private static String pagingKey(String name, String member) {
        return name + "@" + member;
    }

    private static void closeLinks(Map<String, PeerLink> links) {
        if (links != null) {
            links.values().forEach(PeerLink::close);
        }
    }

    /** Forgets this node's copy of a region it neither owns nor replicates (nor is learning) any more. */
    private synchronized void drop(ClusterRegion copy, String why) throws IOException {
        if (local.get(copy.name()) != copy) {
            return;
        }
        local.remove(copy.name());
        data.stopServing(copy.served());
        closeLinks(learnerLinks.remove(copy.name()));
        forgetPaging(copy.name());
        LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": dropped its copy of region " + copy.name()
                + ": " + why);
        copy.close();
    }

    /**
     * Mounts region {@code name}, owned elsewhere, lazily on this node: a pager pulls each chunk on first touch from
     * the owner or a replica, and {@code pullers} threads pull the rest (0: the "direct mount"). Read-only here.
     */
    public LazyRegion mount(String name, int pullers, boolean standby) throws IOException {
        RegionRecord r = directory.get(name);
        if (r == null) {
            throw new IllegalArgumentException("no region " + name + " in the cluster");
        }
        LazyRegion mounted = LazyRegion.mount("mount-" + name, new ChunkLayout(r.size(), r.chunkSize()),
                PagerConfig.of(networkSource(r)).withPullers(pullers).withStandby(standby), pagerEnvironment());
        LazyRegion previous = mounts.put(name, mounted);
        if (previous != null) {
            previous.close();
        }
        return mounted;
    }

    /** This node's lazy mount of {@code name}, or null. */
    public LazyRegion mounted(String name) {
        return mounts.get(name);
    }

    /** Names of the regions this node has mounted lazily ({@link #mount}), sorted. */
    public List<String> mountedRegions() {
        return mounts.keySet().stream().sorted().toList();
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }

    // ---- operator surface: names, listings, checksums, listeners (used by the JMX module) ----------------------

    /** This node's name ({@link NodeConfig#name()}), published as the member attribute {@value #NAME_ATTRIBUTE}. */
    public String name() {
        return config.name();
    }

    public NodeConfig config() {
        return config;
    }

    /**
     * The node name of member {@code memberId}, from its Hazelcast member attribute; for a member no longer in the
     * cluster the name it had when this node last saw it, else the uuid itself.
     */
    public String memberName(String memberId) {
        for (Member m : hazelcast.getCluster().getMembers()) {
            remember(m);
        }
        return knownNames.getOrDefault(memberId, memberId);
    }

    private String remember(Member m) {
        String name = m.getAttribute(NAME_ATTRIBUTE);
        String uuid = m.getUuid().toString();
        if (name != null) {
            knownNames.put(uuid, name);
        }
        return name == null ? uuid : name;
    }

    /**
     * The uuid of the live member named {@code nameOrId}: its uuid, or its node name.
     *
     * @throws IllegalArgumentException if no live member has that uuid or name, or several have that name
     */
    public String resolveMember(String nameOrId) {
        String wanted = nameOrId == null ? "" : nameOrId.trim();
        List<String> byName = new ArrayList<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            String uuid = m.getUuid().toString();
            if (uuid.equals(wanted)) {
                return uuid;
            }
            if (wanted.equals(remember(m))) {
                byName.add(uuid);
            }
        }
        if (byName.size() == 1) {
            return byName.getFirst();
        }
        throw new IllegalArgumentException((byName.isEmpty() ? "no live member is named or has the uuid '"
                + wanted + "'" : "several members are named '" + wanted + "': give the uuid") + "; members: "
                + String.join(", ", memberDescriptions()));
    }

    /** The live members as "name uuid host:port" (the Hazelcast address), sorted by name. */
    public List<String> memberDescriptions() {
        List<String> out = new ArrayList<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            out.add(remember(m) + " " + m.getUuid() + " " + m.getAddress().getHost() + ":"
                    + m.getAddress().getPort());
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** Names of the regions this node holds a copy of (owned, replicated or being migrated here), sorted. */
    public List<String> regionNames() {
        return local.keySet().stream().sorted().toList();
    }

    /**
     * The CRC32C of every member's copy of region {@code name}, by member name, each computed on its member (copies
     * being paged in are paged in first). Members without a copy are left out. Compare them after a flush with
     * the writers idle: copies then match.
     *
     * @throws IOException if a member failed to compute its checksum or did not answer within a minute
     */
    public Map<String, Long> checksums(String name) throws IOException {
        if (directory.get(name) == null) {
            throw new IllegalArgumentException("no region " + name + " in the cluster; regions: "
                    + directory.records().stream().map(RegionRecord::name).toList());
        }
        Map<Member, java.util.concurrent.Future<Long>> answers = hazelcast.getExecutorService(CHECKSUMS)
                .submitToAllMembers(new ChecksumRequest(name));
        Map<String, Long> sums = new TreeMap<>();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        for (Map.Entry<Member, java.util.concurrent.Future<Long>> e : answers.entrySet()) {
            String member = remember(e.getKey());
            try {
                Long sum = e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (sum != null) {
                    sums.put(member, sum);
                }
            } catch (java.util.concurrent.ExecutionException ex) {
                Throwable cause = ex.getCause() != null ? ex.getCause() : ex;
                throw new IOException("member " + member + " could not checksum its copy of region " + name + ": "
                        + cause, cause);
            } catch (java.util.concurrent.TimeoutException ex) {
                throw new IOException("member " + member + " did not checksum its copy of region " + name
                        + " within a minute (is it paging a large region in from a slow source?)", ex);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the checksums of region " + name, ex);
            }
        }
        return sums;
    }

    /**
     * Migrates region {@code name} to member {@code destination} from wherever it is owned: here with
     * {@link #migrate}, elsewhere by asking the owner through Hazelcast's executor. Returns once the migration
     * ended; its phases are reported on the owner ({@link #addMigrationListener} there).
     *
     * @throws IOException if the migration failed (the owner then still owns the region) or the owner is gone
     */
    public MigrationResult requestMigration(String name, String destination, MigrationOptions options)
            throws IOException {
        RegionRecord r = directory.get(name);
        if (r == null) {
            throw new IllegalArgumentException("no region " + name + " in the cluster");
        }
        ClusterRegion copy = local.get(name);
        if (copy != null && copy.isOwner()) {
            return migrate(name, destination, options);
        }
        Member owner = hazelcast.getCluster().getMembers().stream()
                .filter(m -> m.getUuid().toString().equals(r.owner())).findFirst()
                .orElseThrow(() -> new IOException("the owner of region " + name + " (" + r.owner()
                        + ") is not a live member; wait for the failover and try again"));
        long waitNanos = options.readyTimeout().plus(options.maxPrecopy()).plus(options.handoverTimeout())
                .plusSeconds(30).toNanos();
        try {
            return hazelcast.getExecutorService("memsync.migrations")
                    .submitToMember(new MigrationRequest(name, destination, options), owner)
                    .get(waitNanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException("the owner " + memberName(r.owner()) + " could not migrate region " + name + " to "
                    + memberName(destination) + ": " + cause.getMessage(), cause);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("the migration of region " + name + " by its owner " + memberName(r.owner())
                    + " took longer than " + waitNanos / 1_000_000 + " ms; see its MigrationPhase", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the owner migrated region " + name, e);
        }
    }

    /** Tells {@code listener} of every phase of every migration this node runs as the source. */
    public void addMigrationListener(MigrationListener listener) {
        migrationListeners.add(listener);
    }

    public void removeMigrationListener(MigrationListener listener) {
        migrationListeners.remove(listener);
    }

    /** Tells {@code listener} whenever a member joins or leaves the cluster. */
    public void addPeerListener(PeerListener listener) {
        peerListeners.add(listener);
    }

    public void removePeerListener(PeerListener listener) {
        peerListeners.remove(listener);
    }

    public void removeOwnershipListener(OwnershipListener listener) {
        listeners.remove(listener);
    }

    private void migrationPhase(MigrationProgress progress) {
        for (MigrationListener l : migrationListeners) {
            try {
                l.phaseChanged(progress);
            } catch (RuntimeException e) {
                // A listener must not fail the migration it watches.
                LOG.log(System.Logger.Level.WARNING, "a migration listener failed: " + e, e);
            }
        }
    }

    private void peerChanged(Member m, boolean joined) {
        String name = remember(m);
        String uuid = m.getUuid().toString();
        String address = m.getAddress().getHost() + ":" + m.getAddress().getPort();
        for (PeerListener l : peerListeners) {
            try {
                if (joined) {
                    l.joined(uuid, name, address);
                } else {
                    l.lost(uuid, name, address);
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "a peer listener failed: " + e, e);
            }
        }
    }

    /** Live members' uuids. */
    public List<String> members() {
        return hazelcast.getCluster().getMembers().stream().map(Member::getUuid).map(Object::toString).sorted()
                .toList();
    }

    @Override
    public void close() throws IOException {
        closing = true;
        maintenance.shutdownNow();
        try {
            maintenance.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Stop serving first: no peer thread may touch a region while it is being closed.
        data.close();
        try {
            for (ClusterRegion r : local.values()) {
                try {
                    r.close();
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "closing region " + r.name() + ": " + e.getMessage());
                }
            }
            local.clear();
            for (LazyRegion m : mounts.values()) {
                m.close();
            }
            mounts.clear();
        } finally {
            hazelcast.shutdown();
        }
    }

    @Override
    public String toString() {
        return "Node[" + config.name() + ", " + me() + ", data " + data.address() + ", regions "
                + new TreeMap<>(local).keySet() + "]";
    }
}
