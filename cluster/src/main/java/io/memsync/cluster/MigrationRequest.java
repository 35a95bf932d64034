package io.memsync.cluster;

import java.util.concurrent.Callable;

/**
 * Asks a region's owner, through Hazelcast's executor, to migrate the region to a member: the one that sent it
 * ({@link Node#acquire}) or any other ({@link Node#requestMigration}). It carries the request signed
 * ({@link MemberRequests#migrationRequest}); it runs on the owner's member, which verifies it, and answers with the
 * {@link MigrationResult} in bytes.
 */
final class MigrationRequest extends SignedTask implements Callable<byte[]> {
    MigrationRequest() {
    }

    MigrationRequest(byte[] sealed) {
        super(sealed);
    }

    @Override
    public byte[] call() throws Exception {
        return localNode().requests().runMigration(sealed());
    }

    @Override
    public int getClassId() {
        return MemberTasks.MIGRATION;
    }
}
