package io.memsync.cluster.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy on loopback that models a network path: every byte is held for a fixed one-way delay in each direction
 * and otherwise forwarded at full speed, or at most {@code bytesPerSecond} when given. It ends each TCP connection,
 * so what limits a stream's window is how much it holds in flight per direction: by default half the kernel's
 * largest receive window, so that a stream through it is limited as over a real path (window / round trip) (netem is not in this kernel; sleeping in a chunk
 * source models no network). For tests and benchmarks.
 * <p>
 * Threads: an acceptor, and per connection and direction a reader (stamps what it reads with its arrival time) and a
 * writer (sends each piece once its delay passed); all daemons, stopped by {@link #close()}. Buffers are direct, 64
 * KiB; at most {@code maxInFlight} bytes wait per direction (the reader waits beyond: back-pressure).
 */
public final class DelayProxy implements AutoCloseable {
    private static final int PIECE = 64 * 1024;

    private final ServerSocketChannel server;
    private final InetSocketAddress target;
    private final long delayNanos;
    private final long bytesPerSecond;
    private final int maxPieces;
    private final List<SocketChannel> sockets = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicLong forwarded = new AtomicLong();
    private volatile boolean open = true;

    private DelayProxy(InetSocketAddress target, Duration oneWay, long bytesPerSecond, long maxInFlight)
            throws IOException {
        if (oneWay.isNegative() || bytesPerSecond < 0 || maxInFlight < PIECE) {
            throw new IllegalArgumentException("one-way delay " + oneWay + ", rate " + bytesPerSecond + " B/s, "
                    + maxInFlight + " bytes in flight: the delay and rate must not be negative (rate 0: unlimited) "
                    + "and at least " + PIECE + " bytes may be in flight");
        }
        this.target = target;
        this.delayNanos = oneWay.toNanos();
        this.bytesPerSecond = bytesPerSecond;
        this.maxPieces = (int) Math.min(Integer.MAX_VALUE, maxInFlight / PIECE);
        this.server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        start("delay-proxy-accept-" + address().getPort(), this::accept);
    }

    /**
     * A proxy to {@code target} that delays each direction by {@code oneWay} (a round trip costs twice that) and, with
     * {@code bytesPerSecond} above 0, forwards at most that fast; at most {@code maxInFlight} bytes wait per
     * direction.
     */
    public static DelayProxy start(InetSocketAddress target, Duration oneWay, long bytesPerSecond, long maxInFlight)
            throws IOException {
        return new DelayProxy(target, oneWay, bytesPerSecond, maxInFlight);
    }

    /**
     * A proxy with a one-way delay only, holding at most half the kernel's largest TCP receive window per direction:
     * the proxy ends each TCP connection, so without such a cap a stream would see no window limit at all; with it, a
     * stream through it is limited as one over a path of twice the delay (throughput at most window / round trip).
     */
    public static DelayProxy start(InetSocketAddress target, Duration oneWay) throws IOException {
        return start(target, oneWay, 0, Math.max(PIECE, kernelWindow() / 2));
    }

    /** The largest TCP receive window the kernel grows a socket's buffer to (net.ipv4.tcp_rmem), else 6 MiB. */
    static long kernelWindow() {
        try {
            // readAllLines, not readString: on this JDK readString of a /proc file returned its first byte only.
            String[] f = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_rmem"))
                    .getFirst().trim().split("\\s+");
            return Long.parseLong(f[2]);
        } catch (IOException | RuntimeException e) {
            return 6L << 20;
        }
    }

    /** Where to connect instead of the target. */
    public InetSocketAddress address() {
        try {
            return (InetSocketAddress) server.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException("the proxy is closed", e);
        }
    }

    /** Bytes forwarded so far, both directions. */
    public long forwarded() {
        return forwarded.get();
    }

    private void accept() {
        while (open) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            try {
                SocketChannel upstream = SocketChannel.open(target);
                client.socket().setTcpNoDelay(true);
                upstream.socket().setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(upstream);
                pipe(client, upstream);
                pipe(upstream, client);
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    /**
     * One direction: a reader stamping pieces, a writer sending each once its delay passed. At most
     * {@code maxInFlight} bytes wait (the reader blocks beyond it, and TCP pushes back on the sender), in buffers of
     * up to 64 KiB, at most four times as many as full ones would need.
     */
    private void pipe(SocketChannel from, SocketChannel to) {
        BlockingQueue<ByteBuffer> free = new LinkedBlockingQueue<>();
        BlockingQueue<Piece> due = new LinkedBlockingQueue<>();
        java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(maxPieces * PIECE);
        AtomicLong allocated = new AtomicLong();
        String name = from.socket().getPort() + ">" + to.socket().getPort();
        start("delay-proxy-read-" + name, () -> {
            try {
                while (open) {
                    ByteBuffer b = free.poll();
                    if (b == null) {
                        b = allocated.incrementAndGet() <= 4L * maxPieces ? ByteBuffer.allocateDirect(PIECE)
                                : free.take();
                    }
                    b.clear();
                    int n = from.read(b);
                    if (n < 0) {
                        due.put(new Piece(null, 0));
                        return;
                    }
                    inFlight.acquire(n);
                    b.flip();
                    due.put(new Piece(b, System.nanoTime() + delayNanos));
                }
            } catch (IOException | InterruptedException e) {
                closeQuietly(from);
                closeQuietly(to);
            }
        });
        start("delay-proxy-write-" + name, () -> {
            long sent = 0;
            long began = 0;
            try {
                while (open) {
                    Piece p = due.take();
                    if (p.buffer() == null) {
                        to.shutdownOutput();
                        return;
                    }
                    for (long wait; (wait = p.dueNanos() - System.nanoTime()) > 0; ) {
                        LockSupport.parkNanos(wait);
                    }
                    int n = p.buffer().remaining();
                    if (bytesPerSecond > 0) {
                        if (began == 0) {
                            began = System.nanoTime();
                        }
                        long ahead = began + sent * 1_000_000_000L / bytesPerSecond - System.nanoTime();
                        if (ahead > 0) {
                            LockSupport.parkNanos(ahead);
                        }
                        sent += n;
                    }
                    while (p.buffer().hasRemaining()) {
                        forwarded.addAndGet(to.write(p.buffer()));
                    }
                    inFlight.release(n);
                    free.put(p.buffer());
                }
            } catch (IOException | InterruptedException e) {
                closeQuietly(from);
                closeQuietly(to);
            }
        });
    }

    private record Piece(ByteBuffer buffer, long dueNanos) {
    }

    private void start(String name, Runnable body) {
        threads.add(Thread.ofPlatform().name(name).daemon(true).start(body));
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        open = false;
        server.close();
        for (SocketChannel s : sockets) {
            closeQuietly(s);
        }
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
