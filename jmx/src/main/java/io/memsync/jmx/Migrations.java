package io.memsync.jmx;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.MigrationOptions;
import io.memsync.cluster.MigrationProgress;
import io.memsync.cluster.MigrationResult;
import io.memsync.cluster.Node;
import io.memsync.cluster.RegionRecord;

import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs the migrations operators ask for over JMX, with the default {@link MigrationOptions}: blocking, or started
 * on a thread of its own. A region owned elsewhere is migrated by its owner, asked through the cluster.
 */
final class Migrations implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Migrations.class.getName());

    private final Node node;
    /** Started migrations: one virtual thread each, for they mostly wait. */
    private final ExecutorService started = Executors.newThreadPerTaskExecutor(Thread.ofVirtual()
            .name("memsync-jmx-migration-", 0).factory());

    Migrations(Node node) {
        this.node = node;
    }

    /** Migrates {@code region} to {@code member} (a name or uuid) and returns a one-line result. */
    String migrate(String region, String member) {
        String destination = check(region, member);
        try {
            MigrationResult r = node.requestMigration(region, destination, MigrationOptions.defaults());
            return describe(r);
        } catch (Exception e) {
            throw Failures.of("migrating region " + region + " to " + member + " failed (the owner keeps it)", e);
        }
    }

    /**
     * Starts migrating {@code region} to {@code member} and returns with a line saying where to watch it. When this
     * node owns the region, it returns once the migration is under way (its MigrationPhase is the new one's), or
     * throws what made it fail at once (no WriterControl, for one).
     */
    String start(String region, String member) {
        String destination = check(region, member);
        ClusterRegion copy = node.region(region);
        boolean local = copy != null && copy.isOwner();
        MigrationProgress before = node.migration(region);
        CompletableFuture<MigrationResult> done = new CompletableFuture<>();
        started.execute(() -> {
            try {
                MigrationResult r = node.requestMigration(region, destination, MigrationOptions.defaults());
                LOG.log(System.Logger.Level.INFO, describe(r));
                done.complete(r);
            } catch (Exception | Error e) {
                LOG.log(System.Logger.Level.WARNING, "migrating region " + region + " to " + member + " failed (the"
                        + " owner keeps it): " + e.getMessage());
                done.completeExceptionally(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (local && node.migration(region) == before && !done.isDone() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        if (done.isCompletedExceptionally() && node.migration(region) == before) {
            Throwable e = done.exceptionNow();
            throw Failures.of("migrating region " + region + " to " + member + " could not start", e);
        }
        RegionRecord r = node.directory().get(region);
        return "migration of region " + region + " from " + node.memberName(r.owner()) + " to "
                + node.memberName(destination) + " started; follow MigrationPhase of io.memsync:type=Region,name="
                + region + " on " + node.memberName(r.owner()) + ", or its memsync.migration.phase notifications";
    }

    /** Checks what can be checked at once; returns the destination's uuid. */
    private String check(String region, String member) {
        RegionRecord r = node.directory().get(region);
        if (r == null) {
            throw new IllegalArgumentException("no region " + region + " in the cluster; regions: "
                    + node.directory().records().stream().map(RegionRecord::name).toList());
        }
        String destination = node.resolveMember(member);
        if (destination.equals(r.owner())) {
            throw new IllegalArgumentException("region " + region + " is owned by " + member + " already");
        }
        ClusterRegion copy = node.region(region);
        if (copy != null && copy.isOwner() && node.migration(region) != null && !node.migration(region).ended()) {
            throw new IllegalStateException("region " + region + " is being migrated already: "
                    + node.migration(region) + "; cancel that first (cancelMigration)");
        }
        return destination;
    }

    private String describe(MigrationResult r) {
        return String.format(Locale.ROOT, "migrated region %s to %s: writers paused %.3f ms, %d rounds, %d chunks"
                        + " sent (%d in the final round), token %d, %d ms in all", r.region(),
                node.memberName(r.destination()), r.pauseNanos() / 1e6, r.rounds(), r.chunksSent(), r.finalChunks(),
                r.token(), r.totalNanos() / 1_000_000);
    }

    /** Stops accepting; migrations under way go on (they belong to the node) and end on their own. */
    @Override
    public void close() {
        started.shutdown();
    }
}
