package io.memsync.cluster;

import io.memsync.cluster.wire.PeerLink;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The migrations this node starts, as the owner of their regions ({@link MigrationSource}), or asks an owner to run
 * ({@code acquire}, {@code request}); the writers' controls the handovers pause; and each region's last migration
 * from here.
 */
final class Migrations {
    private static final System.Logger LOG = System.getLogger(Migrations.class.getName());

    private final NodeConfig config;
    private final Membership membership;
    private final RegionDirectory directory;
    private final Copies copies;
    private final Links links;
    private final MigrationDestination destination;
    private final MemberRequests requests;
    private final Conductor conductor;
    private final Consumer<RegionRecord> reconcile;
    private final Listeners listeners;
    private final Map<String, WriterControl> writerControls = new ConcurrentHashMap<>();
    private final Map<String, MigrationProgress> progress = new ConcurrentHashMap<>();

    /** {@code reconcile} brings this node in line with a record, on the conductor. */
    Migrations(NodeConfig config, Membership membership, RegionDirectory directory, Copies copies, Links links,
               MigrationDestination destination, MemberRequests requests, Conductor conductor,
               Consumer<RegionRecord> reconcile, Listeners listeners) {
        this.config = config;
        this.membership = membership;
        this.directory = directory;
        this.copies = copies;
        this.links = links;
        this.destination = destination;
        this.requests = requests;
        this.conductor = conductor;
        this.reconcile = reconcile;
        this.listeners = listeners;
    }

    void writerControl(String name, WriterControl control) {
        writerControls.put(name, control);
    }

    MigrationProgress progress(String name) {
        return progress.get(name);
    }

    /** Whether a migration of {@code name} from this node has not ended yet. */
    boolean running(String name) {
        MigrationProgress p = progress.get(name);
        return p != null && !p.ended();
    }

    /** See {@link Node#migrate}. */
    MigrationResult migrate(String name, String destinationId, MigrationOptions options) throws IOException {
        ClusterRegion copy = copies.get(name);
        if (copy == null || !copy.isOwner()) {
            throw new IllegalStateException("region " + name + " is not owned by this node: migrate it from its owner");
        }
        WriterControl control = writerControls.get(name);
        if (control == null) {
            throw new IllegalStateException("region " + name + " has no WriterControl on this node: register one "
                    + "with Node.writerControl so that the handover can pause the writers");
        }
        List<String> members = membership.members();
        if (destinationId.equals(membership.memberId()) || !members.contains(destinationId)) {
            throw new IllegalArgumentException("migration destination " + destinationId + " is not another live "
                    + "member; members: " + members);
        }
        MigrationProgress started = new MigrationProgress(name, destinationId, copy.chunkSize(), listeners::phase);
        MigrationProgress registered = progress.compute(name, (key, running) -> running != null
                && running.phase().compareTo(MigrationProgress.Phase.DONE) < 0 ? running : started);
        if (registered != started) {
            throw new IllegalStateException("region " + name + " is being migrated already: " + registered);
        }
        return new MigrationSource(new SourceHost(), copy, control, destinationId, options, started).run();
    }

    /** See {@link Node#acquire}. */
    MigrationResult acquire(String name, MigrationOptions options) throws IOException {
        RegionRecord r = existing(name);
        String me = membership.memberId();
        if (r.owner().equals(me)) {
            throw new IllegalStateException("region " + name + " is owned by this node already");
        }
        return requests.migrateAtOwner(r, me, options, "taking region " + name
                + " over from " + membership.memberName(r.owner()));
    }

    /** See {@link Node#requestMigration}. */
    MigrationResult request(String name, String destinationId, MigrationOptions options) throws IOException {
        RegionRecord r = existing(name);
        ClusterRegion copy = copies.get(name);
        if (copy != null && copy.isOwner()) {
            return migrate(name, destinationId, options);
        }
        return requests.migrateAtOwner(r, destinationId, options, "the owner "
                + membership.memberName(r.owner()) + " migrating region " + name + " to "
                + membership.memberName(destinationId));
    }

    private RegionRecord existing(String name) {
        RegionRecord r = directory.get(name);
        if (r == null) {
            throw new IllegalArgumentException("no region " + name + " in the cluster");
        }
        return r;
    }

    /** What a migration from this node needs of it. */
    private final class SourceHost implements MigrationSource.Host {
        @Override
        public String memberId() {
            return membership.memberId();
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
            return links.open(member, chunkSize);
        }

        @Override
        public void awaitReplicasReady(String name, List<String> members, Duration timeout) throws IOException {
            directory.awaitServing(name, members, timeout, membership::memberName);
        }

        @Override
        public double paged(String name, String member) {
            return destination.paged(name, member);
        }

        @Override
        public void demote(ClusterRegion owner, RegionRecord handed) {
            // At once: the writers of a deposed owner must stop before anything else happens here.
            owner.revokeWriters();
            try {
                conductor.call(() -> {
                    reconcile.accept(handed);
                    return null;
                }, Duration.ofSeconds(30));
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "node " + config.name() + ": stepping down as the owner of "
                        + owner.name() + " after its handover: " + e + " (retried by maintenance)");
            }
        }
    }
}
