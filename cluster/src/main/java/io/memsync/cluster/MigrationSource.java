package io.memsync.cluster;

import io.memsync.cluster.wire.PeerLink;
import io.memsync.cluster.wire.ReplicaSink;
import io.memsync.region.ChunkSet;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * One migration of a region from this node, its owner, to another member, run on the caller's thread. The
 * destination maps the region at once, pages it in from here in the background and receives everything written
 * from then on (pre-copy); dirty rounds run until they are small; then the writers are paused through the region's
 * {@link WriterControl}, the last round is sent, and the directory names the destination owner with the next
 * token. If anything fails before the handover, or {@link MigrationProgress#cancel()} is called, this node stays
 * owner with nothing lost, and the writers resume here.
 */
final class MigrationSource {
    private static final System.Logger LOG = System.getLogger(MigrationSource.class.getName());

    /** What a migration needs of the node it runs on. */
    interface Host {
        /** This node's member uuid. */
        String memberId();

        /** This node's name, for the log. */
        String nodeName();

        RegionDirectory directory();

        /** A new data-plane link to {@code member}. */
        PeerLink link(String member, int chunkSize) throws IOException;

        /** Waits until {@code members} serve region {@code name} (they acknowledged it in the directory). */
        void awaitReplicasReady(String name, List<String> members, Duration timeout) throws IOException;

        /** The share of region {@code name} that {@code member} reported paged in. */
        double paged(String name, String member);

        /** Turns this node's owner copy into a replica under the record the handover wrote. */
        void demote(ClusterRegion owner, RegionRecord handed);
    }

    private final Host host;
    private final ClusterRegion copy;
    private final WriterControl control;
    private final String destination;
    private final MigrationOptions options;
    private final MigrationProgress progress;

    MigrationSource(Host host, ClusterRegion copy, WriterControl control, String destination,
                    MigrationOptions options, MigrationProgress progress) {
        this.host = host;
        this.copy = copy;
        this.control = control;
        this.destination = destination;
        this.options = options;
        this.progress = progress;
    }

    /**
     * Runs the migration to its end.
     *
     * @throws IOException if it failed or was cancelled (the message says why); this node then still owns the region
     */
    MigrationResult run() throws IOException {
        String name = copy.name();
        progress.phase(MigrationProgress.Phase.PREPARING);
        ReplicaSink sink = copy.sink();
        ReplicaSink.Replica learner = null;
        boolean started = false;
        boolean paused = false;
        long start = System.nanoTime();
        ChunkSet unseen = new ChunkSet(copy.chunkCount());
        sink.recordWrites(unseen);
        RegionRecord r = null;
        try {
            // Read inside the try: a failure here must end the migration's progress too, or none could start again.
            r = host.directory().get(name);
            if (r == null) {
                throw new IOException("region " + name + " is no longer in the directory");
            }
            if (host.directory().startMigration(name, r.token(), destination) == null) {
                throw new IOException("region " + name + " changed under the migration: its ownership moved or "
                        + "another migration is under way");
            }
            started = true;
            host.awaitReplicasReady(name, List.of(destination), options.readyTimeout());
            // A replica has the whole region and the stream already: it only arms itself (see Node.arm).
            ReplicaSink.Replica target = sink.replica(destination);
            learner = target != null ? target : sink.addLearner(destination, host.link(destination, r.chunkSize()));
            // Chunks pushed before the learner was added may have been paged in by it before: send them again. The
            // flush lets every cycle that was still noting them finish first.
            sink.stopRecording();
            copy.flush();
            int chunkSize = r.chunkSize();
            for (int i = unseen.next(0); i >= 0; i = unseen.next(i + 1)) {
                copy.syncer().tracker().mark((long) i * chunkSize, chunkSize);
            }
            progress.phase(MigrationProgress.Phase.PRECOPY);
            long precopyEnd = System.nanoTime() + options.maxPrecopy().toNanos();
            double share;
            while ((share = host.paged(name, destination)) < options.minAvailability()
                    && System.nanoTime() < precopyEnd) {
                progress.destinationAvailability(share);
                checkMigration(progress, learner);
                LockSupport.parkNanos(20_000_000);
            }
            progress.destinationAvailability(share);
            while (true) {
                checkMigration(progress, learner);
                long before = copy.syncer().chunksPushed();
                copy.flush();
                long chunks = copy.syncer().chunksPushed() - before;
                progress.round(chunks);
                if ((progress.rounds() >= options.minRounds() && chunks <= options.maxDirtyChunks())
                        || progress.rounds() >= options.maxRounds()) {
                    break;
                }
            }
            checkMigration(progress, learner);
            progress.phase(MigrationProgress.Phase.HANDOVER);
            long pauseStart = System.nanoTime();
            control.pause();
            paused = true;
            long writersStopped = System.nanoTime();
            long before = copy.syncer().chunksPushed();
            copy.flush();
            long finalChunks = copy.syncer().chunksPushed() - before;
            long flushed = System.nanoTime();
            long epoch = sink.epoch();
            if (!sink.awaitAck(learner, epoch, System.nanoTime() + options.handoverTimeout().toNanos())
                    || (!learner.learner() && sink.completeEpoch(learner) < epoch)) {
                throw new IOException("the destination did not acknowledge the final round within "
                        + options.handoverTimeout().toMillis() + " ms"
                        + (learner.link().failure() != null ? ": " + learner.link().failure().getMessage() : ""));
            }
            // The destination takes the replicas that hold the final round as they are, and this node if there is
            // room: its copy is complete too.
            List<String> next = new ArrayList<>();
            for (ReplicaSink.Replica replica : sink.replicas()) {
                if (!replica.learner() && replica != learner && sink.completeEpoch(replica) >= epoch) {
                    next.add(replica.member());
                }
            }
            // This node last, and beyond the replica count if need be: the destination pages in from it what it
            // lacks, and lets it go once it has everything.
            next.add(host.memberId());
            next = List.copyOf(next);
            long acknowledged = System.nanoTime();
            RegionRecord handed = host.directory().handover(name, r.token(), destination, next);
            if (handed == null) {
                throw new IOException("the directory refused the handover: the region changed meanwhile");
            }
            long pauseNanos = System.nanoTime() - pauseStart;
            progress.round(finalChunks);
            progress.pauseNanos(pauseNanos);
            progress.phase(MigrationProgress.Phase.DONE);
            host.demote(copy, handed);
            LOG.log(System.Logger.Level.INFO, "node " + host.nodeName() + ": migrated region " + name + " to "
                    + destination + " in " + progress.rounds() + " rounds, writers paused "
                    + pauseNanos / 1000 + " us (stopping them " + (writersStopped - pauseStart) / 1000
                    + " us, final round of " + finalChunks + " chunks " + (flushed - writersStopped) / 1000
                    + " us, its acknowledgement " + (acknowledged - flushed) / 1000 + " us, the directory "
                    + (pauseStart + pauseNanos - acknowledged) / 1000 + " us)");
            return new MigrationResult(name, destination, handed.token(), progress.rounds(), finalChunks,
                    progress.chunksSent(), pauseStart, pauseNanos, System.nanoTime() - start);
        } catch (IOException | RuntimeException | InterruptedException e) {
            sink.stopRecording();
            if (learner != null && learner.learner()) {
                sink.remove(destination);
            }
            if (started) {
                try {
                    host.directory().endMigration(name, r.token(), destination);
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            if (paused) {
                control.resume();
            }
            boolean cancelled = progress.cancelRequested();
            String why = (cancelled ? "cancelled" : "failed") + ": " + e.getMessage();
            progress.failed(cancelled ? MigrationProgress.Phase.CANCELLED : MigrationProgress.Phase.FAILED, why);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("migration of region " + name + " to " + destination + " " + why
                    + "; this node still owns it", e);
        }
    }

    private static void checkMigration(MigrationProgress progress, ReplicaSink.Replica learner) throws IOException {
        if (progress.cancelRequested()) {
            throw new IOException("cancel requested");
        }
        if (learner != null && learner.link().failure() != null) {
            throw new IOException("the link to the destination broke: " + learner.link().failure().getMessage());
        }
    }
}
