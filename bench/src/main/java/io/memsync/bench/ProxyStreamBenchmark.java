package io.memsync.bench;

import io.memsync.cluster.testkit.DelayProxy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The limit every figure at a network distance is measured against: a raw NIO stream (one connection, the kernel's
 * socket buffers) through the {@link DelayProxy} at each round-trip time, in MB/s. Usage:
 * {@code ProxyStreamBenchmark [--mib 256] [--rtts 0,5,20,50]}; prints Markdown.
 */
public final class ProxyStreamBenchmark {
    private ProxyStreamBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long mib = 256;
        List<Integer> rtts = List.of(0, 5, 20, 50);
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--mib" -> mib = Long.parseLong(args[i + 1]);
                case "--rtts" -> {
                    List<Integer> r = new ArrayList<>();
                    for (String s : args[i + 1].split(",")) {
                        r.add(Integer.parseInt(s.trim()));
                    }
                    rtts = r;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (options: --mib N, --rtts MS,MS,...)");
            }
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "A raw NIO stream of %d MiB through the delay "
                + "proxy, one connection:%n%n| RTT ms | MB/s |%n|---|---|%n", mib));
        for (int rtt : rtts) {
            b.append(String.format(Locale.ROOT, "| %d | %.0f |%n", rtt, stream(mib << 20, Duration.ofNanos(rtt
                    * 500_000L))));
        }
        System.out.print(b);
    }

    /** MB/s of {@code bytes} sent through a proxy with {@code oneWay} delay, timed at the receiver. */
    static double stream(long bytes, Duration oneWay) throws Exception {
        try (ServerSocketChannel sink = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DelayProxy proxy = DelayProxy.start((InetSocketAddress) sink.getLocalAddress(), oneWay)) {
            Thread sender = Thread.ofPlatform().start(() -> {
                try (SocketChannel out = SocketChannel.open(proxy.address())) {
                    ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
                    for (long sent = 0; sent < bytes; sent += b.capacity()) {
                        b.clear();
                        while (b.hasRemaining()) {
                            out.write(b);
                        }
                    }
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SocketChannel in = sink.accept()) {
                ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
                long start = System.nanoTime();
                long got = 0;
                while (got < bytes) {
                    b.clear();
                    int n = in.read(b);
                    if (n < 0) {
                        throw new IllegalStateException("the stream ended after " + got + " bytes");
                    }
                    got += n;
                }
                sender.join();
                return got / 1e6 / ((System.nanoTime() - start) / 1e9);
            }
        }
    }
}
