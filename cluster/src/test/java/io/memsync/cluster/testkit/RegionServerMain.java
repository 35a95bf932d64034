package io.memsync.cluster.testkit;

import io.memsync.cluster.wire.DataServer;
import io.memsync.cluster.wire.LinkSecurity;
import io.memsync.cluster.wire.ServedRegion;
import io.memsync.cluster.wire.TlsConfig;
import io.memsync.region.ChunkLayout;
import io.memsync.region.Region;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A region served from a JVM of its own, for tests and benchmarks that mount it lazily: a JVM must never serve the
 * faults of its own threads (a thread blocked in a fault holds up the JVM's next safepoint, and with it the threads
 * that would serve the fault). Its bytes are {@link #word} of their offset, so the mounting side checks what it reads
 * without a copy; every {@code zero-every}-th chunk is zeros. Secret: {@code MEMSYNC_SECRET}; the handshake is not
 * bound to addresses (proxies relay it).
 * <p>
 * Arguments: {@code --mib=N --chunk-kib=K --id=HEX --seed=S [--zero-every=Z]}. Prints {@code serving PORT}; then
 * {@code proxy RTT_MS [BYTES_PER_S]} starts a {@link DelayProxy} to it ({@code ok PORT}), {@code counters} answers
 * {@code ok SERVED STREAMED COMPRESSED} (chunks, {@link DataServer#chunksServed()}), {@code exit} ends it.
 */
public final class RegionServerMain {
    private RegionServerMain() {
    }

    /**
     * The word at {@code offset} of a region served with {@code seed} (chunks of zeros aside): random, or with a
     * negative seed compressible (one random byte a word; LZ4 takes such a chunk to about a third).
     */
    public static long word(long seed, long offset) {
        long z = seed + offset * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return seed < 0 ? z & 0xff : z;
    }

    /** What a mount of a region served with these settings holds at {@code offset}. */
    public static long expected(long seed, int zeroEvery, int chunkSize, long offset) {
        return zeroEvery > 0 && (offset / chunkSize) % zeroEvery == 0 ? 0 : word(seed, offset);
    }

    /** The command that starts this main with the given arguments, on this JVM's java and class path. */
    public static List<String> command(long mib, int chunkKib, long id, long seed, int zeroEvery) {
        String java = ProcessHandle.current().info().command().orElse("java");
        return List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                RegionServerMain.class.getName(), "--mib=" + mib, "--chunk-kib=" + chunkKib,
                "--id=" + Long.toHexString(id), "--seed=" + seed, "--zero-every=" + zeroEvery);
    }

    /** Starts one, waits until it serves, and returns it with its port. */
    public static Started start(String name, long mib, int chunkKib, long id, long seed, int zeroEvery, String secret)
            throws IOException, InterruptedException {
        LineProcess p = new LineProcess(name, command(mib, chunkKib, id, seed, zeroEvery),
                Map.of("MEMSYNC_SECRET", secret));
        try {
            String line = p.await("serving", 120);
            if (!line.startsWith("serving ")) {
                throw new IllegalStateException(name + ": " + line);
            }
            return new Started(p, Integer.parseInt(line.substring(8).trim()));
        } catch (RuntimeException | InterruptedException e) {
            p.close();
            throw e;
        }
    }

    /** A running server: its process and port. */
    public record Started(LineProcess process, int port) implements AutoCloseable {
        /** A delay proxy to the server in its JVM: its port. */
        public int proxy(int rttMillis, long bytesPerSecond) throws IOException, InterruptedException {
            String answer = process.ask("proxy " + rttMillis + " " + bytesPerSecond, 30);
            if (!answer.startsWith("ok ")) {
                throw new IllegalStateException(process.name() + ": " + answer);
            }
            return Integer.parseInt(answer.substring(3).trim());
        }

        /** The server's chunks served in all, of those streamed, and of those compressed. */
        public long[] counters() throws IOException, InterruptedException {
            String[] w = process.ask("counters", 30).split(" ");
            return new long[]{Long.parseLong(w[1]), Long.parseLong(w[2]), Long.parseLong(w[3])};
        }

        @Override
        public void close() {
            process.close();
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Fixtures.options(args);
        long size = Long.parseLong(o.get("mib")) << 20;
        int chunk = Integer.parseInt(o.get("chunk-kib")) * 1024;
        long id = Long.parseUnsignedLong(o.get("id"), 16);
        long seed = Long.parseLong(o.get("seed"));
        int zeroEvery = Integer.parseInt(o.getOrDefault("zero-every", "0"));
        String secret = System.getenv("MEMSYNC_SECRET");
        if (secret == null) {
            throw new IllegalArgumentException("set MEMSYNC_SECRET");
        }
        ChunkLayout layout = new ChunkLayout(size, chunk);
        LinkSecurity security = new LinkSecurity(secret.getBytes(StandardCharsets.UTF_8), TlsConfig.OFF, false);
        List<DelayProxy> proxies = new ArrayList<>();
        try (Region region = Region.builder("served-" + id).size(size).chunkSize(chunk).create();
             DataServer server = new DataServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), security,
                     256)) {
            MemorySegment m = region.segment();
            for (long at = 0; at < size; at += 8) {
                m.set(JAVA_LONG, at, expected(seed, zeroEvery, chunk, at));
            }
            server.serve(new ServedRegion(id, "served", m, layout, ServedRegion.Role.OWNER, 1));
            System.out.println("serving " + server.address().getPort());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null && !line.equals("exit"); ) {
                String[] w = line.trim().split(" ");
                if (w[0].equals("proxy") && w.length >= 2) {
                    long rate = w.length > 2 ? Long.parseLong(w[2]) : 0;
                    DelayProxy proxy = rate > 0
                            ? DelayProxy.start(server.address(), Duration.ofNanos(Long.parseLong(w[1]) * 500_000L),
                            rate, 1 << 20)
                            : DelayProxy.start(server.address(), Duration.ofNanos(Long.parseLong(w[1]) * 500_000L));
                    proxies.add(proxy);
                    System.out.println("ok " + proxy.address().getPort());
                } else if (w[0].equals("counters")) {
                    System.out.println("ok " + server.chunksServed() + " " + server.chunksStreamed() + " "
                            + server.chunksCompressed());
                } else {
                    System.out.println("error unknown command: " + line);
                }
                System.out.flush();
            }
        } finally {
            for (DelayProxy p : proxies) {
                p.close();
            }
        }
    }
}
