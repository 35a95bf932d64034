package io.memsync.cluster;

import java.util.concurrent.Callable;

/**
 * Computes, on the member it runs on (through Hazelcast's executor), the CRC32C of that member's copy of a region,
 * or null when it has none (see {@link Node#checksums}). It carries the request signed
 * ({@link MemberRequests#checksumRequest}), verified where it runs.
 */
final class ChecksumRequest extends SignedTask implements Callable<Long> {
    ChecksumRequest() {
    }

    ChecksumRequest(byte[] sealed) {
        super(sealed);
    }

    @Override
    public Long call() throws Exception {
        return localNode().requests().runChecksum(sealed());
    }

    @Override
    public int getClassId() {
        return MemberTasks.CHECKSUM;
    }
}
