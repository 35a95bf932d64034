package io.memsync.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
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
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * A memsync node: an embedded Hazelcast member (membership, failure detection, the {@link RegionDirectory}) and a
 * {@link DataServer} for chunk data. Regions created here are owned here and pushed to replicas chosen among the
 * other members; regions for which the directory names this node a replica are opened and served here as soon as
 * their record appears.
 * <p>
 * Failure detection: heartbeats every second and a member silent for 5 s is removed
 * ({@code hazelcast.heartbeat.interval.seconds=1}, {@code hazelcast.max.no.heartbeat.seconds=5}).
 */
public final class Node implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Node.class.getName());
    static final String DIRECTORY = "memsync.regions";
    static final String ENDPOINTS = "memsync.endpoints";
    static final String COUNTERS = "memsync.counters";

    private final NodeConfig config;
    private final HazelcastInstance hazelcast;
    private final DataServer data;
    private final RegionDirectory directory;
    private final IMap<String, String> endpoints;
    private final Map<String, ClusterRegion> local = new ConcurrentHashMap<>();
    private final Map<String, LazyRegion> mounts = new ConcurrentHashMap<>();
    private final Map<String, ReplicaSink> owners = new ConcurrentHashMap<>();
    /** Serializes replica re-placement (it waits on other nodes, so not under this node's monitor). */
    private final Object placement = new Object();
    private final String me;

    private Node(NodeConfig config, HazelcastInstance hazelcast, DataServer data) {
        this.config = config;
        this.hazelcast = hazelcast;
        this.data = data;
        this.me = hazelcast.getCluster().getLocalMember().getUuid().toString();
        this.directory = new RegionDirectory(hazelcast.getMap(DIRECTORY));
        this.endpoints = hazelcast.getMap(ENDPOINTS);
    }

    /** Starts the Hazelcast member and the data server, and joins the cluster. */
    public static Node start(NodeConfig config) throws IOException {
        DataServer data = new DataServer(new InetSocketAddress(config.host(), config.dataPort()), config.secret(), 64);
        HazelcastInstance hz;
        try {
            hz = Hazelcast.newHazelcastInstance(hazelcastConfig(config));
        } catch (RuntimeException e) {
            data.close();
            throw e;
        }
        Node node = new Node(config, hz, data);
        node.endpoints.set(node.me, config.host() + ":" + data.port());
        node.directory.map().addEntryListener(node.new DirectoryListener(), true);
        hz.getCluster().addMembershipListener(node.new Failover());
        for (RegionRecord r : node.directory.map().values()) {
            node.onRecord(r);
        }
        return node;
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
        NetworkConfig network = c.getNetworkConfig();
        network.setPort(config.hazelcastPort()).setPortAutoIncrement(false);
        network.setPublicAddress(config.host() + ":" + config.hazelcastPort());
        network.getInterfaces().setEnabled(true).addInterface(config.host());
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(new ArrayList<>(config.members()));
        return c;
    }

    /** This node's Hazelcast member uuid, as the directory names owners and replicas. */
    public String memberId() {
        return me;
    }

    public RegionDirectory directory() {
        return directory;
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
     * among the live ones); returns once every replica serves it. Its flush needs all replicas' acknowledgement.
     */
    public ClusterRegion createRegion(String name, long size, int chunkSize, int replicaCount) throws IOException {
        ChunkLayout layout = new ChunkLayout(size, chunkSize);
        List<String> others = hazelcast.getCluster().getMembers().stream().map(m -> m.getUuid().toString())
                .filter(u -> !u.equals(me)).sorted(Comparator.naturalOrder()).toList();
        if (replicaCount > others.size()) {
            throw new IllegalArgumentException("region " + name + " wants " + replicaCount + " replicas but only "
                    + others.size() + " other members are up");
        }
        int id = nextRegionId();
        List<String> replicas = new ArrayList<>();
        for (int i = 0; i < replicaCount; i++) {
            replicas.add(others.get((id + i) % others.size()));
        }
        Region region = Region.builder(name).size(size).chunkSize(chunkSize).create();
        try {
            DirtyTracker tracker = region.startTracking(TrackerKind.AUTO);
            ServedRegion served = new ServedRegion(id, region.segment(), layout, false, 1);
            data.serve(served);
            RegionRecord record = new RegionRecord(name, id, size, chunkSize, me, 1, replicas, Map.of(),
                    replicaCount);
            if (!directory.create(record)) {
                throw new IllegalArgumentException("region " + name + " exists already in the cluster");
            }
            awaitReplicasReady(name, replicas, Duration.ofSeconds(30));
            List<PeerLink> links = new ArrayList<>();
            for (String replica : replicas) {
                links.add(link(replica, chunkSize));
            }
            // The token is fixed for this sink: if ownership moves on, this node must stop, never adopt the new one.
            ReplicaSink sink = new ReplicaSink(layout, id, () -> 1L, links, links.size(), config.flushTimeout());
            Syncer syncer = new Syncer(name, tracker, sink, config.syncInterval()).start();
            ClusterRegion cr = ownerCopy(name, id, region, served, syncer, sink, replicas, links);
            local.put(name, cr);
            return cr;
        } catch (IOException | RuntimeException e) {
            // Undo only what this call did: serving under its fresh id, and the record if it was ours.
            data.stopServing(id);
            RegionRecord created = directory.get(name);
            if (created != null && created.id() == id) {
                directory.map().remove(name, created);
            }
            region.close();
            throw e;
        }
    }

    /** The owner's copy; after each flush it records in the directory what every replica acknowledged. */
    private ClusterRegion ownerCopy(String name, int id, Region region, ServedRegion served, Syncer syncer,
                                   ReplicaSink sink, List<String> replicas, List<PeerLink> links) {
        ClusterRegion[] self = new ClusterRegion[1];
        self[0] = new ClusterRegion(name, region, served, syncer, links, () -> {
            List<String> ids = self[0].replicaIds();
            List<PeerLink> current = self[0].links();
            for (int i = 0; i < ids.size() && i < current.size(); i++) {
                directory.ack(name, ids.get(i), current.get(i).ackedEpoch(id));
            }
        });
        self[0].replicas(replicas, links);
        owners.put(name, sink);
        return self[0];
    }

    /**
     * Keeps an owned region at its replica count: drops replicas that left, adds live members that hold no copy,
     * and sends each new replica the whole region before it follows the stream.
     */
    private void reconcile(ClusterRegion copy) throws IOException {
        RegionRecord r = directory.get(copy.name());
        ReplicaSink sink = owners.get(copy.name());
        if (r == null || sink == null || !r.owner().equals(me)) {
            return;
        }
        List<String> live = members();
        List<String> keep = r.replicas().stream().filter(live::contains).toList();
        List<String> candidates = live.stream().filter(u -> !u.equals(me) && !keep.contains(u)).toList();
        List<String> next = new ArrayList<>(keep);
        for (int i = 0; next.size() < r.replicaCount() && i < candidates.size(); i++) {
            next.add(candidates.get(i));
        }
        if (next.equals(r.replicas())) {
            return;
        }
        RegionRecord updated = directory.setReplicas(r.name(), r.token(), next);
        if (updated == null) {
            return;
        }
        List<String> added = next.stream().filter(u -> !r.replicas().contains(u)).toList();
        awaitReplicasReady(r.name(), added, Duration.ofSeconds(30));
        List<PeerLink> links = new ArrayList<>();
        List<PeerLink> old = copy.links();
        List<String> oldIds = copy.replicaIds();
        for (String u : next) {
            int at = oldIds.indexOf(u);
            links.add(at >= 0 && old.get(at).failure() == null ? old.get(at) : link(u, r.chunkSize()));
        }
        for (int i = 0; i < oldIds.size(); i++) {
            if (!links.contains(old.get(i))) {
                old.get(i).close();
            }
        }
        sink.replicas(links);
        copy.replicas(next, links);
        if (!added.isEmpty()) {
            // A new replica starts empty: send it everything once, then it follows the stream.
            copy.syncer().tracker().mark(0, copy.size());
            copy.flush();
        }
        LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": region " + r.name() + " now replicated to "
                + next + (added.isEmpty() ? "" : ", filled " + added));
    }

    private PeerLink link(String member, int chunkSize) throws IOException {
        String endpoint = endpoints.get(member);
        if (endpoint == null) {
            throw new IOException("member " + member + " has published no data endpoint");
        }
        int colon = endpoint.lastIndexOf(':');
        return PeerLink.connect(new InetSocketAddress(endpoint.substring(0, colon),
                Integer.parseInt(endpoint.substring(colon + 1))), config.secret(), config.name(), chunkSize,
                Duration.ZERO);
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
        if (existing != null && existing.isOwner() && !r.owner().equals(me)) {
            demote(existing, r);
            return;
        }
        if (existing != null) {
            existing.served().advanceToken(r.token());
            return;
        }
        if (!r.replicas().contains(me)) {
            return;
        }
        synchronized (this) {
            if (local.containsKey(r.name())) {
                return;
            }
            Region region = Region.builder(r.name()).size(r.size()).chunkSize(r.chunkSize()).create();
            ServedRegion served = new ServedRegion(r.id(), region.segment(), region.layout(), true, r.token());
            data.serve(served);
            local.put(r.name(), new ClusterRegion(r.name(), region, served, null, List.of(), () -> { }));
        }
        directory.ack(r.name(), me, 0);
        LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": serving region " + r.name()
                + " as a replica of " + r.owner());
    }

    /**
     * Another node owns the region now (this one was paused or cut off while it was claimed): stop pushing at once,
     * and keep the memory as a replica under the new token, which the new owner refills if it places us.
     */
    private synchronized void demote(ClusterRegion owner, RegionRecord r) {
        owners.remove(r.name());
        try {
            owner.stopPushing();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": stopping the pushes of " + r.name()
                    + ": " + e.getMessage());
        }
        Region region = owner.region();
        ServedRegion served = new ServedRegion(r.id(), region.segment(), region.layout(), true, r.token());
        data.serve(served);
        local.put(r.name(), new ClusterRegion(r.name(), region, served, null, List.of(), () -> { }));
        LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": region " + r.name() + " is owned by "
                + r.owner() + " with token " + r.token() + " now; this node stopped writing to replicas");
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

    /**
     * When a member leaves, the replicas of each region it owned agree, without talking, on who takes over: the
     * live replica with the highest acknowledged epoch (ties: the smallest uuid), which holds everything flushed.
     * That replica claims the region with the token it knows; the entry processor makes the claim succeed once.
     */
    private final class Failover implements com.hazelcast.cluster.MembershipListener {
        @Override
        public void memberAdded(com.hazelcast.cluster.MembershipEvent event) {
            Thread.ofPlatform().name("memsync-placement").daemon(true).start(Node.this::reconcileOwned);
        }

        @Override
        public void memberRemoved(com.hazelcast.cluster.MembershipEvent event) {
            String gone = event.getMember().getUuid().toString();
            // Off the event thread: promotion opens connections and waits for a flush.
            Thread.ofPlatform().name("memsync-failover").daemon(true).start(() -> {
                synchronized (placement) {
                    takeOverFrom(gone);
                    reconcileOwnedLocked();
                }
            });
        }
    }

    private void reconcileOwned() {
        synchronized (placement) {
            reconcileOwnedLocked();
        }
    }

    private void reconcileOwnedLocked() {
        for (ClusterRegion copy : List.copyOf(local.values())) {
            if (copy.isOwner()) {
                try {
                    reconcile(copy);
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "node " + config.name() + ": re-placing replicas of "
                            + copy.name() + " failed: " + e.getMessage(), e);
                }
            }
        }
    }

    private void takeOverFrom(String gone) {
        List<String> live = members();
        for (ClusterRegion copy : List.copyOf(local.values())) {
            if (copy.isOwner()) {
                continue;
            }
            RegionRecord r = directory.get(copy.name());
            if (r == null || !r.owner().equals(gone)) {
                continue;
            }
            String successor = r.replicas().stream().filter(live::contains)
                    .max(Comparator.<String>comparingLong(u -> r.acked().getOrDefault(u, -1L))
                            .thenComparing(Comparator.<String>reverseOrder()))
                    .orElse(null);
            if (!me.equals(successor)) {
                continue;
            }
            List<String> others = r.replicas().stream().filter(live::contains).filter(u -> !u.equals(me)).toList();
            RegionRecord claimed = directory.claim(r.name(), r.token(), me, others);
            if (claimed == null) {
                LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": region " + r.name()
                        + " was claimed by another node first");
                continue;
            }
            try {
                promote(copy, claimed);
                LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": took over region " + r.name()
                        + " from " + gone + " with token " + claimed.token());
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "node " + config.name() + ": taking over region " + r.name()
                        + " failed: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Turns this node's replica into the owner: fenced by the new token, tracked, and pushed to the remaining
     * replicas. Their copies may differ in what the old owner sent after its last flush, so the new owner sends
     * the whole region once, then only what changes.
     */
    private void promote(ClusterRegion replica, RegionRecord record) throws IOException {
        Region region = replica.region();
        ChunkLayout layout = region.layout();
        ServedRegion served = new ServedRegion(record.id(), region.segment(), layout, false, record.token());
        data.serve(served);
        DirtyTracker tracker = region.startTracking(TrackerKind.AUTO);
        tracker.mark(0, region.size());
        List<PeerLink> links = new ArrayList<>();
        for (String r : record.replicas()) {
            links.add(link(r, layout.chunkSize()));
        }
        long token = record.token();
        ReplicaSink sink = new ReplicaSink(layout, record.id(), () -> token, links, links.size(),
                config.flushTimeout());
        Syncer syncer = new Syncer(record.name(), tracker, sink, config.syncInterval()).start();
        ClusterRegion owner = ownerCopy(record.name(), record.id(), region, served, syncer, sink,
                record.replicas(), links);
        local.put(record.name(), owner);
        owner.flush();
        reconcile(owner);
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
        StringBuilder peers = new StringBuilder();
        for (String member : concat(r.owner(), r.replicas())) {
            String endpoint = endpoints.get(member);
            if (endpoint != null) {
                peers.append(peers.isEmpty() ? "" : ",").append(endpoint);
            }
        }
        if (peers.isEmpty()) {
            throw new IOException("no member serving region " + name + " has a data endpoint");
        }
        LazyRegion mounted = LazyRegion.mount("mount-" + name, new ChunkLayout(r.size(), r.chunkSize()),
                PagerConfig.of("tcp:" + r.id() + "@" + peers).withPullers(pullers).withStandby(standby));
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

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }

    /** Live members' uuids. */
    public List<String> members() {
        return hazelcast.getCluster().getMembers().stream().map(Member::getUuid).map(Object::toString).sorted()
                .toList();
    }

    @Override
    public void close() throws IOException {
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
        return "Node[" + config.name() + ", " + me + ", data " + data.address() + ", regions "
                + new TreeMap<>(local).keySet() + "]";
    }
}
