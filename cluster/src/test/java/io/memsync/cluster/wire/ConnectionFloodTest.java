package io.memsync.cluster.wire;

import io.memsync.region.Region;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.memsync.cluster.testkit.Fixtures.secret;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A flood of unauthenticated connections (from 127.0.0.2, bounded in count and time) neither starves the peers
 * that know the secret nor grows direct memory: the owner's flushes go on, a new peer still connects, and
 * connections over the handshake limits are closed unread. Before, the flood took all 64 slots for 10 s each and
 * every accepted socket, refused or not, got a 512 KiB direct buffer.
 */
@Timeout(120)
class ConnectionFloodTest extends WireTestSupport {
    private static final long ID = 0xf100d_0000_0001L;
    private static final int FLOOD_SOCKETS = 300;

    private static long directBytes() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool.getMemoryUsed();
            }
        }
        throw new IllegalStateException("no direct buffer pool");
    }

    @Test
    void aFloodOfUnauthenticatedConnectionsStarvesNoPeerAndGrowsNoMemory() throws Exception {
        Region owner = region("flood-owner", 16);
        Region replica = region("flood-replica", 16);
        ServedRegion served = new ServedRegion(ID, "flood", replica.segment(), replica.layout(),
                ServedRegion.Role.REPLICA, 1);
        served.applyThrough(replica.untrackedMapping());
        DataServer server = keep(new DataServer(LOOPBACK, secret(), 64));
        server.serve(served);
        ReplicaSink sink = new ReplicaSink(owner.layout(), ID, () -> 1L, 1, Duration.ofSeconds(10));
        sink.add("replica", link(server), false);
        InetSocketAddress target = server.address();
        long directBefore = directBytes();

        List<SocketChannel> flood = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger opened = new AtomicInteger();
        Thread flooder = Thread.ofPlatform().name("flooder").start(() -> {
            ByteBuffer junk = ByteBuffer.wrap(new byte[] {0, 0, 0, 9, 1, 1, 0, 0, 1, 2, 3, 4, 5});
            long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            // Bounded: at most FLOOD_SOCKETS open at once, for 4 s, from an address of its own on loopback.
            while (!stop.get() && System.nanoTime() < until && opened.get() < 20 * FLOOD_SOCKETS) {
                try {
                    SocketChannel s = SocketChannel.open();
                    s.bind(new InetSocketAddress("127.0.0.2", 0));
                    s.connect(target);
                    if (opened.incrementAndGet() % 3 == 0) {
                        s.write(junk.clear());
                    }
                    synchronized (flood) {
                        flood.add(s);
                        if (flood.size() > FLOOD_SOCKETS) {
                            flood.removeFirst().close();
                        }
                    }
                } catch (java.io.IOException e) {
                    // Refused or reset under the flood: go on.
                }
            }
        });
        try {
            // The owner keeps writing and flushing through its authenticated link.
            int flushes = 0;
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < until) {
                owner.segment().set(JAVA_LONG, (long) (flushes % 16) * CHUNK, flushes + 1L);
                sink.write(flushes % 16, owner.segment(), owner.layout().offsetOf(flushes % 16));
                sink.sync();
                flushes++;
                Thread.sleep(20);
            }
            assertTrue(flushes > 10, "flushes under the flood: " + flushes);
            assertEquals(-1, owner.segment().mismatch(replica.segment()), "the replica holds every flushed write");
            // A peer that knows the secret still gets in, from its own address.
            PeerLink late = link(server);
            assertEquals(null, late.failure(), "a new peer connects during the flood");
            long grown = directBytes() - directBefore;
            assertTrue(grown < 8L << 20, "direct memory grew by " + grown + " bytes under " + opened.get()
                    + " connections");
            assertTrue(server.refusedBeforeAuthentication() > 0, "connections over the limits were closed unread");
        } finally {
            stop.set(true);
            flooder.join(10_000);
            synchronized (flood) {
                for (SocketChannel s : flood) {
                    s.close();
                }
            }
        }
    }
}
