package io.memsync.cluster;

/**
 * Told when a migration started on this node (this node is its source) enters a phase: {@code PREPARING} first,
 * then {@code PRECOPY} and {@code HANDOVER}, and one of {@code DONE}, {@code FAILED}, {@code CANCELLED} last.
 * Called on the migrating thread, which waits for it: keep it short.
 */
@FunctionalInterface
public interface MigrationListener {
    void phaseChanged(MigrationProgress progress);
}
