package io.memsync.cluster.testkit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Random;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The delay proxy holds every byte for its one-way delay in each direction (a round trip costs at least twice it),
 * forwards every byte unchanged and in order, and keeps to its rate. Lower bounds only: they are what the proxy
 * promises; how fast it goes is for the benchmarks.
 */
@Timeout(60)
class DelayProxyTest {
    private ServerSocketChannel echo;
    private Thread echoing;

    @BeforeEach
    void startEcho() throws IOException {
        echo = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        echoing = Thread.ofPlatform().daemon(true).name("echo").start(() -> {
            while (true) {
                try {
                    SocketChannel c = echo.accept();
                    Thread.ofPlatform().daemon(true).start(() -> {
                        ByteBuffer b = ByteBuffer.allocateDirect(1 << 16);
                        try (c) {
                            while (c.read(b) >= 0) {
                                b.flip();
                                while (b.hasRemaining()) {
                                    c.write(b);
                                }
                                b.clear();
                            }
                        } catch (IOException ignored) {
                            // the test closed it
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @AfterEach
    void stopEcho() throws Exception {
        echo.close();
        echoing.join(5000);
    }

    @Test
    void aRoundTripCostsTwiceTheOneWayDelayAndEveryByteArrivesInOrder() throws Exception {
        InetSocketAddress target = (InetSocketAddress) echo.getLocalAddress();
        try (DelayProxy proxy = DelayProxy.start(target, Duration.ofMillis(20));
             SocketChannel c = SocketChannel.open(proxy.address())) {
            ByteBuffer one = ByteBuffer.allocate(1);
            for (int i = 0; i < 5; i++) {
                one.clear().put(0, (byte) i);
                long start = System.nanoTime();
                c.write(one);
                one.clear();
                while (one.hasRemaining()) {
                    assertTrue(c.read(one) >= 0);
                }
                long rtt = System.nanoTime() - start;
                assertTrue(rtt >= 40_000_000L, "a round trip took " + rtt / 1000 + " us, less than 2 x 20 ms");
                assertEquals(i, one.get(0));
            }

            // 16 MiB of random bytes through both directions: the same bytes, in order.
            byte[] data = new byte[16 << 20];
            new Random(42).nextBytes(data);
            CRC32C sent = new CRC32C();
            sent.update(data);
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    ByteBuffer b = ByteBuffer.wrap(data);
                    while (b.hasRemaining()) {
                        c.write(b);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            CRC32C received = new CRC32C();
            ByteBuffer in = ByteBuffer.allocateDirect(1 << 16);
            long total = 0;
            while (total < data.length) {
                in.clear();
                int n = c.read(in);
                assertTrue(n >= 0, "the stream ended after " + total + " bytes");
                in.flip();
                received.update(in);
                total += n;
            }
            writer.join();
            assertEquals(sent.getValue(), received.getValue(), "the bytes came back altered");
            // Counted once each write returned, which may be a moment after the bytes arrived.
            Fixtures.await(() -> proxy.forwarded() >= 2L * data.length, 5, "the proxy's count of forwarded bytes");
        }
    }

    @Test
    void aRateLimitIsKept() throws Exception {
        InetSocketAddress target = (InetSocketAddress) echo.getLocalAddress();
        try (DelayProxy proxy = DelayProxy.start(target, Duration.ZERO, 8L << 20, 16L << 20);
             SocketChannel c = SocketChannel.open(proxy.address())) {
            ByteBuffer data = ByteBuffer.allocateDirect(4 << 20);
            long start = System.nanoTime();
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    while (data.hasRemaining()) {
                        c.write(data);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            ByteBuffer in = ByteBuffer.allocateDirect(1 << 16);
            long total = 0;
            while (total < (4 << 20)) {
                in.clear();
                int n = c.read(in);
                assertTrue(n >= 0);
                total += n;
            }
            writer.join();
            long took = System.nanoTime() - start;
            // 4 MiB at 8 MiB/s each way: at least about half a second (the first piece goes at once).
            assertTrue(took >= 400_000_000L, "4 MiB through an 8 MiB/s proxy took " + took / 1_000_000 + " ms");
        }
    }

    @Test
    void whatIsHeldInFlightLimitsAStreamAsAWindowWould() throws Exception {
        InetSocketAddress target = (InetSocketAddress) echo.getLocalAddress();
        // 1 MiB in flight per direction and 25 ms one way: each MiB waits 25 ms in the proxy before the next may
        // enter, so 8 MiB take at least 8 x 25 ms = 200 ms whatever the machine's speed.
        try (DelayProxy proxy = DelayProxy.start(target, Duration.ofMillis(25), 0, 1 << 20);
             SocketChannel c = SocketChannel.open(proxy.address())) {
            int size = 8 << 20;
            long start = System.nanoTime();
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    ByteBuffer data = ByteBuffer.allocateDirect(size);
                    while (data.hasRemaining()) {
                        c.write(data);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            ByteBuffer in = ByteBuffer.allocateDirect(1 << 16);
            long total = 0;
            while (total < size) {
                in.clear();
                int n = c.read(in);
                assertTrue(n >= 0);
                total += n;
            }
            writer.join();
            long took = System.nanoTime() - start;
            assertTrue(took >= 200_000_000L, "8 MiB with 1 MiB in flight and 25 ms one way took "
                    + took / 1_000_000 + " ms");
        }
    }

    @Test
    void badSettingsAreRefused() {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DelayProxy.start(any, Duration.ofMillis(-1)));
        assertTrue(e.getMessage().contains("must not be negative"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DelayProxy.start(any, Duration.ZERO, -1, 1 << 20));
        assertThrows(IllegalArgumentException.class, () -> DelayProxy.start(any, Duration.ZERO, 0, 1024));
    }
}
