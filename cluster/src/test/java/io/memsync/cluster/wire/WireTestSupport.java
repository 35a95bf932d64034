package io.memsync.cluster.wire;

import io.memsync.region.Region;
import org.junit.jupiter.api.AfterEach;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static io.memsync.cluster.testkit.Fixtures.secret;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What the data-plane tests share: 64 KiB chunks, loopback, and everything they open closed after each (the secret is
 * the test kit's {@link io.memsync.cluster.testkit.Fixtures#secret()}).
 */
abstract class WireTestSupport {
    static final int CHUNK = 64 * 1024;
    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final List<AutoCloseable> closeables = new ArrayList<>();
    /** The test's link watchdog: closed after everything kept later (the links). */
    final LinkWatchdog watchdog = keep(new LinkWatchdog("test-link-watchdog"));

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    /** Closes {@code t} after the test, in reverse order of keeping. */
    <T extends AutoCloseable> T keep(T t) {
        closeables.add(t);
        return t;
    }

    Region region(String name, int chunks) {
        return keep(Region.builder(name).size((long) chunks * CHUNK).chunkSize(CHUNK).create());
    }

    /** An owner's link to {@code server}. */
    PeerLink link(DataServer server) throws IOException {
        return keep(PeerLink.connect(server.address(), secret(), "owner", CHUNK, Duration.ZERO, watchdog));
    }

    static void randomWrites(MemorySegment m, long seed, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            m.set(JAVA_LONG, r.nextLong(m.byteSize() / 8) * 8, r.nextLong());
        }
    }
}
