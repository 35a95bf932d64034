package io.memsync.cluster;

import java.util.concurrent.Callable;

/**
 * Computes, on the member it runs on, the CRC32C of each chunk of a range of that member's copy of a region (see
 * {@link AntiEntropy}): the signed request ({@link MemberRequests#digestRequest}) is verified where it runs.
 */
final class DigestRequest extends SignedTask implements Callable<byte[]> {
    DigestRequest() {
    }

    DigestRequest(byte[] sealed) {
        super(sealed);
    }

    @Override
    public byte[] call() throws Exception {
        return localNode().requests().runDigests(sealed());
    }

    @Override
    public int getClassId() {
        return MemberTasks.DIGESTS;
    }
}
