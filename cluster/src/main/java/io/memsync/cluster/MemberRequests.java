package io.memsync.cluster;

import com.hazelcast.cluster.Member;
import io.memsync.cluster.control.Envelope;
import io.memsync.cluster.control.ForgedValueException;
import io.memsync.cluster.control.Forgeries;
import io.memsync.cluster.control.ReplayGuard;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Work this node asks other members to do through Hazelcast's executors (checksum their copies, migrate a region
 * they own), and the same work asked of this node. Requests are signed {@link Envelope}s with the time they were
 * issued and a nonce, and a migration names the member it is for: a member verifies each before it acts, and refuses
 * (logs, counts) one that is forged, replayed or meant for another. The answer is waited for with a bound; every
 * failure names the member and what to do.
 */
final class MemberRequests {
    /** What this node does for a verified request. */
    interface Host {
        /** Migrates region {@code name}, owned here, to {@code destination}. */
        MigrationResult migrate(String name, String destination, MigrationOptions options) throws IOException;

        /** The CRC32C of this node's copy of region {@code name}, or null if it has none. */
        Long checksum(String name);

        /**
         * The CRC32C of each chunk in {@code [from, from + count)} of this node's copy of {@code name} (-1 for a
         * chunk it does not hold yet), or null if it has no copy.
         */
        long[] digests(String name, int from, int count);
    }

    private static final SecureRandom NONCES = new SecureRandom();
    private static final String MIGRATE = "migrate";
    private static final String CHECKSUM = "checksum";
    private static final String DIGESTS = "digests";
    /** At most this many chunks a digest request: 32 KiB of answer. */
    static final int MAX_DIGESTS = 4096;

    private final Membership membership;
    private final RegionDirectory directory;
    private final Envelope envelope;
    private final Forgeries forgeries;
    private final ReplayGuard replays = new ReplayGuard();
    private volatile Host host;

    MemberRequests(Membership membership, RegionDirectory directory, Envelope envelope, Forgeries forgeries) {
        this.membership = membership;
        this.directory = directory;
        this.envelope = envelope;
        this.forgeries = forgeries;
    }

    /** Sets what runs requests asked of this node (the node, once built). */
    void serve(Host h) {
        this.host = h;
    }

    /** See {@link Node#checksums}. */
    Map<String, Long> checksums(String name) throws IOException {
        if (directory.get(name) == null) {
            throw new IllegalArgumentException("no region " + name + " in the cluster; regions: "
                    + directory.records().stream().map(RegionRecord::name).toList());
        }
        // Only to memsync's members: a foreign member has nothing to say about a copy.
        java.util.List<Member> members = new java.util.ArrayList<>();
        for (String uuid : membership.members()) {
            Member m = membership.member(uuid);
            if (m != null) {
                members.add(m);
            }
        }
        Map<Member, Future<Long>> answers = membership.hazelcast().getExecutorService(Membership.CHECKSUMS)
                .submitToMembers(new ChecksumRequest(checksumRequest(name)), members);
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

    /**
     * Member {@code uuid}'s per-chunk CRC32C of chunks {@code [from, from + count)} of region {@code name} (-1 where
     * it holds none yet), or null if it has no copy; waits at most a minute.
     */
    long[] digestsAt(String uuid, String name, int from, int count) throws IOException {
        Member m = membership.member(uuid);
        if (m == null) {
            return null;
        }
        try {
            byte[] answer = membership.hazelcast().getExecutorService(Membership.CHECKSUMS)
                    .submitToMember(new DigestRequest(digestRequest(name, from, count)), m)
                    .get(1, TimeUnit.MINUTES);
            if (answer == null) {
                return null;
            }
            java.nio.LongBuffer b = java.nio.ByteBuffer.wrap(answer).asLongBuffer();
            long[] out = new long[b.remaining()];
            b.get(out);
            return out;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException("member " + membership.memberName(uuid) + " could not digest its copy of region "
                    + name + ": " + cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw new IOException("member " + membership.memberName(uuid) + " did not digest its copy of region "
                    + name + " within a minute", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while comparing region " + name, e);
        }
    }

    /** A signed request for a member's per-chunk digests of a range of region {@code name}. */
    byte[] digestRequest(String name, int from, int count) {
        long now = System.currentTimeMillis();
        return envelope.seal(Envelope.Kind.REQUEST, DIGESTS, now, write(out -> {
            writeHeader(out, now);
            out.writeUTF(name);
            out.writeInt(from);
            out.writeInt(count);
        }));
    }

    /** Runs a digest request asked of this node, once it verifies; the digests as big-endian longs, or null. */
    byte[] runDigests(byte[] sealed) throws IOException {
        String name;
        int from;
        int count;
        try (DataInputStream in = open(DIGESTS, sealed, "a digest request")) {
            name = in.readUTF();
            from = in.readInt();
            count = in.readInt();
        } catch (IOException e) {
            throw refuse("a digest request", "it does not decode: " + e.getMessage());
        }
        if (from < 0 || count < 0 || count > MAX_DIGESTS) {
            throw refuse("a digest request for region " + name, "chunks " + from + "+" + count + " are out of bounds");
        }
        long[] digests = host().digests(name, from, count);
        if (digests == null) {
            return null;
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(digests.length * 8);
        b.asLongBuffer().put(digests);
        return b.array();
    }

    /** Has the owner of {@code r} migrate it to {@code destination}; {@code what} names it in errors. */
    MigrationResult migrateAtOwner(RegionRecord r, String destination, MigrationOptions options, String what)
            throws IOException {
        Member owner = membership.member(r.owner());
        if (owner == null) {
            throw new IOException("the owner of region " + r.name() + " (" + r.owner() + ") is not a live member; "
                    + "wait for the failover and try again");
        }
        long waitNanos = options.readyTimeout().plus(options.maxPrecopy()).plus(options.handoverTimeout())
                .plusSeconds(30).toNanos();
        MigrationRequest request = new MigrationRequest(migrationRequest(r.name(), destination, r.owner(), options));
        try {
            byte[] result = membership.hazelcast().getExecutorService(Membership.MIGRATIONS)
                    .submitToMember(request, owner).get(waitNanos, TimeUnit.NANOSECONDS);
            return decodeResult(result);
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

    /** A signed request that member {@code target} migrate region {@code name} to {@code destination}. */
    byte[] migrationRequest(String name, String destination, String target, MigrationOptions o) {
        long now = System.currentTimeMillis();
        return envelope.seal(Envelope.Kind.REQUEST, MIGRATE, now, write(out -> {
            writeHeader(out, now);
            out.writeUTF(name);
            out.writeUTF(destination);
            out.writeUTF(target);
            out.writeInt(o.minRounds());
            out.writeInt(o.maxRounds());
            out.writeInt(o.maxDirtyChunks());
            out.writeDouble(o.minAvailability());
            out.writeLong(o.maxPrecopy().toNanos());
            out.writeLong(o.readyTimeout().toNanos());
            out.writeLong(o.handoverTimeout().toNanos());
        }));
    }

    /** A signed request for every member's checksum of region {@code name}. */
    byte[] checksumRequest(String name) {
        long now = System.currentTimeMillis();
        return envelope.seal(Envelope.Kind.REQUEST, CHECKSUM, now, write(out -> {
            writeHeader(out, now);
            out.writeUTF(name);
        }));
    }

    /** Runs a migration request asked of this node, once it verifies; returns the result in bytes. */
    byte[] runMigration(byte[] sealed) throws IOException {
        String name;
        String destination;
        String target;
        MigrationOptions options;
        try (DataInputStream in = open(MIGRATE, sealed, "a migration request")) {
            name = in.readUTF();
            destination = in.readUTF();
            target = in.readUTF();
            options = new MigrationOptions(in.readInt(), in.readInt(), in.readInt(), in.readDouble(),
                    Duration.ofNanos(in.readLong()), Duration.ofNanos(in.readLong()), Duration.ofNanos(in.readLong()));
        } catch (IOException | IllegalArgumentException e) {
            throw refuse("a migration request", "it does not decode: " + e.getMessage());
        }
        if (!target.equals(membership.memberId())) {
            throw refuse("a migration request for region " + name, "it was meant for member " + target
                    + " (a request replayed to another member)");
        }
        try {
            return encodeResult(host().migrate(name, destination, options));
        } catch (IOException | RuntimeException e) {
            // Only the message travels back: the requester's Java deserialization filter refuses memsync's classes.
            throw new IOException(e.getMessage());
        }
    }

    /** Runs a checksum request asked of this node, once it verifies. */
    Long runChecksum(byte[] sealed) throws IOException {
        String name;
        try (DataInputStream in = open(CHECKSUM, sealed, "a checksum request")) {
            name = in.readUTF();
        } catch (IOException e) {
            throw refuse("a checksum request", "it does not decode: " + e.getMessage());
        }
        return host().checksum(name);
    }

    private Host host() {
        Host h = host;
        if (h == null) {
            throw new IllegalStateException("node " + membership.hazelcast().getName() + " is still starting");
        }
        return h;
    }

    /** Opens a signed request of kind {@code key}, checks it is not a replay, and gives its fields after the header. */
    private DataInputStream open(String key, byte[] sealed, String what) throws IOException {
        try {
            Envelope.Opened opened = envelope.open(Envelope.Kind.REQUEST, key, sealed);
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(opened.payload()));
            long issued = in.readLong();
            byte[] nonce = new byte[16];
            in.readFully(nonce);
            if (issued != opened.version()) {
                throw new ForgedValueException("its times differ");
            }
            replays.accept(issued, nonce, System.currentTimeMillis());
            return in;
        } catch (ForgedValueException e) {
            throw refuse(what, e.getMessage());
        }
    }

    private SecurityException refuse(String what, String why) {
        forgeries.refused(what, why);
        return new SecurityException("member " + membership.hazelcast().getName() + " refused " + what + ": " + why);
    }

    private static void writeHeader(DataOutputStream out, long now) throws IOException {
        byte[] nonce = new byte[16];
        NONCES.nextBytes(nonce);
        out.writeLong(now);
        out.write(nonce);
    }

    static byte[] encodeResult(MigrationResult r) {
        return write(out -> {
            out.writeUTF(r.region());
            out.writeUTF(r.destination());
            out.writeLong(r.token());
            out.writeInt(r.rounds());
            out.writeLong(r.finalChunks());
            out.writeLong(r.chunksSent());
            out.writeLong(r.pauseStartNanos());
            out.writeLong(r.pauseNanos());
            out.writeLong(r.totalNanos());
        });
    }

    static MigrationResult decodeResult(byte[] bytes) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            return new MigrationResult(in.readUTF(), in.readUTF(), in.readLong(), in.readInt(), in.readLong(),
                    in.readLong(), in.readLong(), in.readLong(), in.readLong());
        }
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] write(Writer writer) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writer.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
