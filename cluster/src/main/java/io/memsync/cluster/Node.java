package io.memsync.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import io.memsync.cluster.control.ControlKey;
import io.memsync.cluster.control.Envelope;
import io.memsync.cluster.control.Forgeries;
import io.memsync.cluster.wire.DataServer;
import io.memsync.cluster.wire.LinkSecurity;
import io.memsync.cluster.wire.LinkWatchdog;
import io.memsync.region.page.LazyRegion;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A memsync node: an embedded Hazelcast member (membership, failure detection, the {@link RegionDirectory}) and a
 * {@link DataServer} for chunk data. Regions created here are owned here and pushed to replicas chosen among the
 * other members; regions for which the directory names this node a replica are opened and served here as soon as
 * their record appears.
 * <p>
 * This class is the facade: each job is a part of its own. {@link Membership} (Hazelcast, members, endpoints),
 * {@link Copies} (the copies held here), {@link OwnerPipeline} (how any copy becomes an owner's), {@link Placement}
 * (an owner's replicas), {@link Failover} (claims, promotions, demotions), {@link MigrationSource} and
 * {@link MigrationDestination}, {@link Mounts}, and {@link Maintenance}, which decides per region what to do.
 * <p>
 * Threads: one {@link Conductor} makes every change of cluster state (Hazelcast callbacks only enqueue work for it);
 * two {@link Workers} do the long jobs (fills, pager start-up); the data server's; one syncer per owned region; the
 * reporter of migrations' paging progress; and Hazelcast's own.
 */
public final class Node implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Node.class.getName());
    /** Hazelcast member attribute holding the node's name, so that every node can name its peers. */
    public static final String NAME_ATTRIBUTE = Membership.NAME_ATTRIBUTE;

    private final NodeConfig config;
    private final DataServer data;
    private final Membership membership;
    private final RegionDirectory directory;
    private final Copies copies;
    private final Listeners listeners = new Listeners();
    private final Workers workers;
    private final Mounts mounts;
    private final Conductor conductor;
    private final MigrationDestination destination;
    private final Maintenance maintenance;
    private final MemberRequests requests;
    private final Migrations migrations;
    private final RegionCreation creation;
    private final LinkWatchdog linkWatchdog;
    private final Forgeries forgeries;
    private final AntiEntropy antiEntropy;
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();

    private Node(NodeConfig config, Map<String, LocalRegionSettings> settings, DataServer data,
                 Membership membership, Envelope envelope, Forgeries forgeries, LinkSecurity security) {
        this.config = config;
        this.data = data;
        this.membership = membership;
        this.forgeries = forgeries;
        this.directory = new RegionDirectory(membership.hazelcast().getMap(Membership.DIRECTORY), envelope,
                forgeries);
        this.copies = new Copies(settings, config.syncInterval());
        this.linkWatchdog = new LinkWatchdog("memsync-links-" + config.name());
        Links links = new Links(config, membership, linkWatchdog, security);
        this.workers = new Workers("memsync-worker-" + config.name(), 4);
        OwnerPipeline pipeline = new OwnerPipeline(config, data, copies, directory);
        Placement placement = new Placement(config, membership, links, directory, copies, workers);
        Failover failover = new Failover(config, membership, directory, copies, pipeline, placement, listeners);
        this.mounts = new Mounts(config, membership, directory, security);
        this.conductor = new Conductor("memsync-conductor-" + config.name(), this::maintenancePass,
                config.maintenanceInterval());
        this.destination = new MigrationDestination(config, membership, directory, data, copies, pipeline, placement,
                mounts, links, listeners, workers, conductor,
                new PagingReports(membership.hazelcast().getMap(Membership.PAGING), envelope, forgeries));
        this.requests = new MemberRequests(membership, directory, envelope, forgeries);
        this.maintenance = new Maintenance(config, membership, directory, data, copies, pipeline, failover,
                placement, destination, workers, this::migratingFromHere);
        this.migrations = new Migrations(config, membership, directory, copies, links, destination, requests,
                conductor, maintenance::reconcile, listeners);
        this.antiEntropy = new AntiEntropy(config, membership, directory, copies, requests, workers);
        placement.onFilled(antiEntropy::checkSoon);
        this.creation = new RegionCreation(config, membership, directory, data, copies, pipeline, links,
                record -> conductor.execute(() -> maintenance.reconcile(record)));
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
        LinkSecurity security = new LinkSecurity(config.secret(), config.tls(), config.bindAddresses());
        DataServer data = new DataServer(new InetSocketAddress(config.host(), config.dataPort()), security, 64);
        LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": data plane on " + data.address() + ", "
                + (config.tls().enabled() ? config.tls() : "plain TCP (memsync.tls=off), the secret handshake bound to "
                + (config.bindAddresses() ? "the connection's addresses" : "nothing (memsync.channel.binding=none)")));
        AtomicReference<Node> self = new AtomicReference<>();
        Envelope envelope = new Envelope(new ControlKey(config.secret(), config.clusterName()));
        Forgeries forgeries = new Forgeries(config.name());
        Membership membership;
        try {
            membership = Membership.join(config, self, envelope, forgeries);
        } catch (RuntimeException e) {
            data.close();
            throw e;
        }
        Node node = new Node(config, settings, data, membership, envelope, forgeries, security);
        node.requests.serve(node.new Requests());
        self.set(node);
        node.listeners.ownership.add(new OwnershipEvents(membership::memberId));
        membership.publishEndpoint(data.address());
        node.directory.listen(r -> node.conductor.execute(() -> node.maintenance.reconcile(r)),
                node.directory::changed);
        membership.onMembershipChange(node.new MembershipEvents());
        membership.onLeaving((uuid, name) -> {
            LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": member " + name + " is leaving the "
                    + "cluster in order: its regions go to their replicas");
            node.conductor.passSoon();
        });
        // The first pass opens the replicas this node is named for; it may wait for the minimum cluster size.
        node.conductor.start();
        return node;
    }

    private void maintenancePass() {
        maintenance.pass();
        antiEntropy.tick();
    }

    private boolean migratingFromHere(String name) {
        return migrations.running(name);
    }

    /** What this node does for requests of other members, once they verified. */
    private final class Requests implements MemberRequests.Host {
        @Override
        public MigrationResult migrate(String name, String destination, MigrationOptions options)
                throws IOException {
            return Node.this.migrate(name, destination, options);
        }

        @Override
        public Long checksum(String name) {
            ClusterRegion copy = region(name);
            return copy == null ? null : copy.checksum();
        }

        @Override
        public long[] digests(String name, int from, int count) {
            ClusterRegion copy = region(name);
            return copy == null ? null : copy.chunkDigests(from, count);
        }
    }

    /** Membership changes: a maintenance pass soon, and the peer listeners. */
    private final class MembershipEvents implements MembershipListener {
        @Override
        public void memberAdded(MembershipEvent event) {
            conductor.passSoon();
            String[] m = membership.describe(event);
            listeners.peer(true, m[0], m[1], m[2]);
        }

        @Override
        public void memberRemoved(MembershipEvent event) {
            conductor.passSoon();
            String[] m = membership.describe(event);
            if (!membership.left(m[0])) {
                LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": member " + m[1] + " (" + m[2]
                        + ") is gone without leaving in order (it crashed, was killed or was cut off): its regions "
                        + "fail over to their replicas");
            }
            listeners.peer(false, m[0], m[1], m[2]);
        }
    }

    // ---- membership ---------------------------------------------------------------------------------------------

    /**
     * This node's Hazelcast member uuid, as the directory names owners and replicas. Read each time: Hazelcast gives
     * a member a new uuid when it merges back after a split, and this node is then a new member to the others.
     */
    public String memberId() {
        return membership.memberId();
    }

    public RegionDirectory directory() {
        return directory;
    }

    /** What runs the requests other members send this node. */
    MemberRequests requests() {
        return requests;
    }

    /**
     * Waits until every Hazelcast partition has its backups in place (true), or {@code timeout} passes (false).
     * Until then a member that dies can take directory entries with it: a cluster just formed is still moving
     * partitions to its newer members.
     */
    public boolean awaitClusterSafe(Duration timeout) {
        return membership.awaitClusterSafe(timeout);
    }

    public int clusterSize() {
        return membership.size();
    }

    /** Live members' uuids. */
    public List<String> members() {
        return membership.members();
    }

    public InetSocketAddress dataAddress() {
        return data.address();
    }

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
        return membership.memberName(memberId);
    }

    /**
     * The uuid of the live member named {@code nameOrId}: its uuid, or its node name.
     *
     * @throws IllegalArgumentException if no live member has that uuid or name, or several have that name
     */
    public String resolveMember(String nameOrId) {
        return membership.resolve(nameOrId);
    }

    /** The live members as "name uuid host:port" (the Hazelcast address), sorted by name. */
    public List<String> memberDescriptions() {
        return membership.descriptions();
    }

    // ---- regions ------------------------------------------------------------------------------------------------

    /** This node's copy of region {@code name}, or null if it has none. */
    public ClusterRegion region(String name) {
        return copies.get(name);
    }

    /** Waits until this node has a copy of {@code name} (a replica appears when the owner creates the region). */
    public ClusterRegion awaitRegion(String name, Duration timeout) {
        return copies.await(name, timeout);
    }

    /** Names of the regions this node holds a copy of (owned, replicated or being migrated here), sorted. */
    public List<String> regionNames() {
        return copies.names();
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
        return creation.create(name, size, chunkSize, replicaCount, placeLater);
    }

    /**
     * How region {@code name} is kept on this host (its file, tracker, push interval); call before the region
     * appears here. With a file, applications and native code that map the file share the region's memory: it is
     * created if missing and kept, with its content, if present.
     */
    public void localSettings(String name, LocalRegionSettings settings) {
        copies.settings(name, settings);
    }

    /** The file region {@code name} lives in on this host, or null if it is a memfd. */
    public Path backingFile(String name) {
        return copies.backingFile(name);
    }

    /** Chunks this node's data server sent to peers that pulled them (mounts, migration destinations). */
    public long chunksServed() {
        return data.chunksServed();
    }

    /** Data-plane connections closed because the peer broke the protocol or did not know the cluster secret. */
    public long connectionsRefused() {
        return data.refusedConnections();
    }

    /**
     * Control-plane values this node refused since it started: directory records, endpoints, paging reports and
     * requests that were not signed with the cluster's secret, were altered, replayed, or meant for another member,
     * and foreign Hazelcast members. Each is logged on one line.
     */
    public long controlPlaneRefusals() {
        return forgeries.count();
    }

    /** Hazelcast members in the cluster now that never proved to be memsync nodes of this cluster (no secret). */
    public int foreignMembers() {
        return membership.foreignMembers();
    }

    /** Data-plane connections closed unread because too many were authenticating at once (a flood). */
    public long connectionsRefusedBeforeAuthentication() {
        return data.refusedBeforeAuthentication();
    }

    /**
     * The CRC32C of every member's copy of region {@code name}, by member name, each computed on its member (copies
     * being paged in are paged in first). Members without a copy are left out. Compare them after a flush with
     * the writers idle: copies then match.
     *
     * @throws IOException if a member failed to compute its checksum or did not answer within a minute
     */
    public Map<String, Long> checksums(String name) throws IOException {
        return requests.checksums(name);
    }

    // ---- mounts -------------------------------------------------------------------------------------------------

    /**
     * Mounts region {@code name} lazily on this node: a pager pulls each chunk on first touch from the owner or a
     * replica (never from this node), and {@code pullers} threads pull the rest (0: the "direct mount"). Read-only
     * here.
     */
    public LazyRegion mount(String name, int pullers, boolean standby) throws IOException {
        return mounts.mount(name, pullers, standby);
    }

    /** This node's lazy mount of {@code name}, or null. */
    public LazyRegion mounted(String name) {
        return mounts.mounted(name);
    }

    /** Names of the regions this node has mounted lazily ({@link #mount}), sorted. */
    public List<String> mountedRegions() {
        return mounts.names();
    }

    // ---- migration ----------------------------------------------------------------------------------------------

    /** Registers how the handover of a migration pauses the writers of region {@code name} on this node. */
    public void writerControl(String name, WriterControl control) {
        migrations.writerControl(name, control);
    }

    /** The last migration of {@code name} started on this node, or null. */
    public MigrationProgress migration(String name) {
        return migrations.progress(name);
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
    public MigrationResult migrate(String name, String destinationId, MigrationOptions options) throws IOException {
        return migrations.migrate(name, destinationId, options);
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
        MigrationResult result = migrations.acquire(name, options);
        awaitRegion(name, Duration.ofSeconds(10));
        return result;
    }

    /**
     * Migrates region {@code name} to member {@code destination} from wherever it is owned: here with
     * {@link #migrate}, elsewhere by asking the owner through Hazelcast's executor. Returns once the migration
     * ended; its phases are reported on the owner ({@link #addMigrationListener} there).
     *
     * @throws IOException if the migration failed (the owner then still owns the region) or the owner is gone
     */
    public MigrationResult requestMigration(String name, String destinationId, MigrationOptions options)
            throws IOException {
        return migrations.request(name, destinationId, options);
    }

    // ---- listeners ----------------------------------------------------------------------------------------------

    /** Tells {@code listener} whenever this node gains or loses the ownership of a region. */
    public void addOwnershipListener(OwnershipListener listener) {
        listeners.ownership.add(listener);
    }

    public void removeOwnershipListener(OwnershipListener listener) {
        listeners.ownership.remove(listener);
    }

    /** Tells {@code listener} of every phase of every migration this node runs as the source. */
    public void addMigrationListener(MigrationListener listener) {
        listeners.migration.add(listener);
    }

    public void removeMigrationListener(MigrationListener listener) {
        listeners.migration.remove(listener);
    }

    /**
     * On the owner of region {@code name}: compares every chunk with each replica's copy and sends again the chunks
     * that differ (something other than memsync wrote them there); returns what it found. The background check
     * ({@link #antiEntropy}) does the same a window at a time.
     */
    public RepairReport repair(String name) throws IOException {
        ClusterRegion copy = copies.get(name);
        return antiEntropy.repair(name, 0, copy == null ? 0 : copy.chunkCount());
    }

    /**
     * How often the owner of each region compares a window of {@code bytesPerPass} of it with its replicas
     * ({@link Duration#ZERO}: never; default every 60 s, 64 MiB); a region whose replica was just filled is checked
     * whole soon after either way.
     */
    public void antiEntropy(Duration interval, long bytesPerPass) {
        antiEntropy.configure(interval, bytesPerPass);
    }

    /** Chunks found different on a replica and sent again since the start ({@link #repair}). */
    public long divergedChunks() {
        return antiEntropy.divergedChunks();
    }

    /** Checks that found replicas diverged and repaired them, since the start. */
    public long repairs() {
        return antiEntropy.repairs();
    }

    /** Tells {@code listener} of every replica found diverged (and repaired) by this node as owner. */
    public void addDivergenceListener(DivergenceListener listener) {
        antiEntropy.addListener(listener);
    }

    public void removeDivergenceListener(DivergenceListener listener) {
        antiEntropy.removeListener(listener);
    }

    /** Tells {@code listener} whenever a member joins or leaves the cluster. */
    public void addPeerListener(PeerListener listener) {
        listeners.peers.add(listener);
    }

    public void removePeerListener(PeerListener listener) {
        listeners.peers.remove(listener);
    }

    /** Maintenance tasks that failed since the start (each logged): for tests and operators. */
    public long maintenanceErrors() {
        return conductor.errors();
    }

    /** Runs {@code task} on this node's conductor: a test hook to put failures where the node must survive them. */
    void onConductor(Runnable task) {
        conductor.execute(task);
    }

    @Override
    public void close() throws IOException {
        leave(config.flushTimeout());
    }

    /**
     * Leaves the cluster in order and closes the node: every region owned here gets a last flush (all at once,
     * within {@code lastFlush}; one still waiting then has its links cut and fails), the other members are told,
     * signed, that this node leaves (they take its regions over and log a leave, not a failure), and the node
     * closes. Writes made after the last flush are not sent. Returns what each last flush did. A second call does
     * nothing and returns nothing.
     */
    public List<LastFlush> leave(Duration lastFlush) throws IOException {
        if (!closing.compareAndSet(false, true)) {
            return List.of();
        }
        List<ClusterRegion> owned = copies.all().stream().filter(ClusterRegion::isOwner).toList();
        List<LastFlush> flushed = Departure.flushOwned(owned, lastFlush);
        for (LastFlush f : flushed) {
            LOG.log(f.succeeded() ? System.Logger.Level.INFO : System.Logger.Level.WARNING, "node " + config.name()
                    + " leaving: " + f + (f.succeeded() ? "" : "; writes since its last acknowledged flush may be "
                    + "missing on its replicas"));
        }
        conductor.close();
        // Nothing more is pushed: the replicas take the regions over once they hear of the leave.
        for (ClusterRegion copy : owned) {
            if (copy.syncer() != null) {
                copy.syncer().abandon(Duration.ofSeconds(1));
            }
        }
        try {
            membership.announceLeaving();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": could not tell the others it leaves ("
                    + e.getMessage() + "): they will see it as gone");
        }
        closeParts();
        return flushed;
    }

    private void closeParts() throws IOException {
        conductor.close();
        antiEntropy.close();
        destination.close();
        workers.close();
        // Stop serving first: no peer thread may touch a region while it is being closed.
        data.close();
        try {
            for (ClusterRegion r : copies.all()) {
                try {
                    r.close();
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "closing region " + r.name() + ": " + e.getMessage());
                }
            }
            mounts.close();
        } finally {
            linkWatchdog.close();
            membership.close();
        }
    }

    @Override
    public String toString() {
        return "Node[" + config.name() + ", data " + data.address() + ", regions " + copies.names() + "]";
    }
}
