package io.memsync.cluster;

import com.hazelcast.cluster.Member;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Work this node asks other members to do through Hazelcast's executors: checksum their copies, migrate a region
 * they own. The answer is waited for with a bound; every failure names the member and what to do.
 */
final class MemberRequests {
    private final Membership membership;
    private final RegionDirectory directory;

    MemberRequests(Membership membership, RegionDirectory directory) {
        this.membership = membership;
        this.directory = directory;
    }

    /** See {@link Node#checksums}. */
    Map<String, Long> checksums(String name) throws IOException {
        if (directory.get(name) == null) {
            throw new IllegalArgumentException("no region " + name + " in the cluster; regions: "
                    + directory.records().stream().map(RegionRecord::name).toList());
        }
        Map<Member, Future<Long>> answers = membership.hazelcast().getExecutorService(Membership.CHECKSUMS)
                .submitToAllMembers(new ChecksumRequest(name));
        Map<String, Long> sums = new TreeMap<>();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        for (Map.Entry<Member, Future<Long>> e : answers.entrySet()) {
            String member = membership.remember(e.getKey());
            try {
                Long sum = e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (sum != null) {
                    sums.put(member, sum);
                }
            } catch (ExecutionException ex) {
                Throwable cause = ex.getCause() != null ? ex.getCause() : ex;
                throw new IOException("member " + member + " could not checksum its copy of region " + name + ": "
                        + cause, cause);
            } catch (TimeoutException ex) {
                throw new IOException("member " + member + " did not checksum its copy of region " + name
                        + " within a minute (is it paging a large region in from a slow source?)", ex);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the checksums of region " + name, ex);
            }
        }
        return sums;
    }

    /** Has the owner of {@code r} run {@code request}; {@code what} names it in errors. */
    MigrationResult migrateAtOwner(RegionRecord r, MigrationRequest request, MigrationOptions options, String what)
            throws IOException {
        Member owner = membership.member(r.owner());
        if (owner == null) {
            throw new IOException("the owner of region " + r.name() + " (" + r.owner() + ") is not a live member; "
                    + "wait for the failover and try again");
        }
        long waitNanos = options.readyTimeout().plus(options.maxPrecopy()).plus(options.handoverTimeout())
                .plusSeconds(30).toNanos();
        try {
            return membership.hazelcast().getExecutorService(Membership.MIGRATIONS).submitToMember(request, owner)
                    .get(waitNanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException(what + " failed: " + cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw new IOException(what + " took longer than " + waitNanos / 1_000_000 + " ms; see the owner's "
                    + "MigrationPhase", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + what, e);
        }
    }
}
