package io.memsync.cluster;

import com.hazelcast.map.IMap;
import com.hazelcast.nio.serialization.HazelcastSerializationException;
import io.memsync.cluster.control.Envelope;
import io.memsync.cluster.control.ForgedValueException;
import io.memsync.cluster.control.Forgeries;
import io.memsync.cluster.control.Versions;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How much of a region a migration's destination has paged in, as it reports it through a Hazelcast map for the
 * source to read: signed, so that a foreign member cannot make a source hand over to a destination that holds
 * nothing, and versioned, so that an old report put back counts for nothing.
 */
final class PagingReports {
    private final IMap<String, byte[]> map;
    private final Envelope envelope;
    private final Forgeries forgeries;
    private final Versions<Double> verified = new Versions<>();
    /** Versions of this node's reports: the time it started, in microseconds, then one more per report. */
    private final AtomicLong versions = new AtomicLong(System.currentTimeMillis() * 1000);

    PagingReports(IMap<String, byte[]> map, Envelope envelope, Forgeries forgeries) {
        this.map = map;
        this.envelope = envelope;
        this.forgeries = forgeries;
    }

    /** Reports that {@code member} (this node) holds {@code share} of region {@code name}. */
    void report(String name, String member, double share) {
        String key = key(name, member);
        map.set(key, envelope.seal(Envelope.Kind.PAGING, key, versions.incrementAndGet(),
                ByteBuffer.allocate(8).putDouble(share).array()));
    }

    /** The share of region {@code name} that {@code member} last reported, verified (0 before it reports). */
    double share(String name, String member) {
        String key = key(name, member);
        Object raw;
        try {
            raw = map.get(key);
        } catch (HazelcastSerializationException e) {
            raw = e;
        }
        if (raw != null) {
            try {
                Envelope.Opened opened = envelope.open(Envelope.Kind.PAGING, key, raw);
                if (opened.payload().length != 8) {
                    throw new ForgedValueException("a signed report of " + opened.payload().length + " bytes");
                }
                verified.offer(key, opened.version(), ByteBuffer.wrap(opened.payload()).getDouble(), (byte[]) raw);
            } catch (ForgedValueException e) {
                forgeries.refused("the paging report of " + key, e.getMessage());
            }
        }
        Versions.Entry<Double> last = verified.get(key);
        return last == null ? 0 : last.value();
    }

    /** Forgets {@code member}'s report on region {@code name}. */
    void forget(String name, String member) {
        map.delete(key(name, member));
    }

    private static String key(String name, String member) {
        return name + "@" + member;
    }
}
