package io.memsync.demo.cache;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.memsync.MemSync;
import io.memsync.Writers;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One node of the clustered cache: an application that runs with {@code -javaagent:memsync.jar} and keeps its table
 * in memsync region {@code cache} ({@link CacheStore}). Reads are served from this node's copy; writes on the
 * region's owner, one at a time, to which other nodes forward them. HTTP on loopback:
 * <pre>
 * GET /cache/KEY          the value, or 404         PUT /cache/KEY (body: value)   DELETE /cache/KEY
 * POST /load?count=N&amp;prefix=P   N entries at once   POST /flush                    GET /stats (JSON)
 * POST /mount/REGION      mount a region lazily     GET /mount/REGION (JSON: availability, chunks verified)
 * </pre>
 * Usage: {@code CacheNode HTTP_PORT name=host:port,...} (every node's HTTP address, for forwarding).
 */
public final class CacheNode {
    static final String REGION = "cache";
    /** The catalog's owner fills chunk i with the long i at every 4 KiB page, so a mount's content is checkable. */
    static final String CATALOG = "catalog";

    private final Map<String, String> peers;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final PausableWriters writers = new PausableWriters();
    private final Object tableLock = new Object();
    private final AtomicLong gets = new AtomicLong();
    private final AtomicLong puts = new AtomicLong();
    private final AtomicLong forwarded = new AtomicLong();

    CacheNode(Map<String, String> peers) {
        this.peers = peers;
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Map<String, String> peers = new HashMap<>();
        if (args.length > 1) {
            for (String p : args[1].split(",")) {
                int eq = p.indexOf('=');
                peers.put(p.substring(0, eq), p.substring(eq + 1));
            }
        }
        CacheNode node = new CacheNode(peers);
        MemSync.writerControl(REGION, node.writers);
        node.fillCatalogIfOwned();
        // Small requests and answers: without TCP_NODELAY each round trip can wait out a 40 ms delayed ACK.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", node::handle);
        server.start();
        System.out.println("cache node " + MemSync.nodeName() + " serving on http://127.0.0.1:" + port);
    }

    private void fillCatalogIfOwned() {
        try {
            if (MemSync.isOwner(CATALOG)) {
                MemorySegment c = MemSync.region(CATALOG);
                for (long page = 0; page < c.byteSize(); page += 4096) {
                    c.set(ValueLayout.JAVA_LONG, page, page / (64 * 1024));
                }
                MemSync.flush(CATALOG);
            }
        } catch (IllegalArgumentException notConfigured) {
            // This node declares no catalog.
        } catch (IOException e) {
            System.err.println("catalog: " + e);
        }
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            String method = x.getRequestMethod();
            Map<String, String> query = query(x.getRequestURI());
            if (path.startsWith("/cache/")) {
                String key = URLDecoder.decode(path.substring(7), StandardCharsets.UTF_8);
                switch (method) {
                    case "GET" -> {
                        gets.incrementAndGet();
                        String value = CacheStore.get(MemSync.region(REGION), key);
                        send(x, value == null ? 404 : 200, value == null ? "no entry " + key : value);
                    }
                    case "PUT" -> write(x, body -> {
                        String value = new String(body, StandardCharsets.UTF_8);
                        if (!CacheStore.put(MemSync.region(REGION), key, value)) {
                            return new Answer(507, "the table is full around " + key);
                        }
                        puts.incrementAndGet();
                        return new Answer(200, "stored on " + MemSync.nodeName());
                    });
                    case "DELETE" -> write(x, body -> CacheStore.delete(MemSync.region(REGION), key)
                            ? new Answer(200, "deleted") : new Answer(404, "no entry " + key));
                    default -> send(x, 405, "GET, PUT or DELETE");
                }
            } else if (path.equals("/load") && method.equals("POST")) {
                int count = Integer.parseInt(query.getOrDefault("count", "1000"));
                String prefix = query.getOrDefault("prefix", "key-");
                write(x, body -> {
                    long start = System.nanoTime();
                    MemorySegment m = MemSync.region(REGION);
                    for (int i = 0; i < count; i++) {
                        if (!CacheStore.put(m, prefix + i, "value-" + i + "-" + prefix)) {
                            return new Answer(507, "the table is full at entry " + i);
                        }
                    }
                    puts.addAndGet(count);
                    return new Answer(200, "{\"written\":" + count + ",\"ms\":" + (System.nanoTime() - start)
                            / 1_000_000 + "}");
                });
            } else if (path.equals("/flush") && method.equals("POST")) {
                if (!MemSync.isOwner(REGION)) {
                    forward(x, new byte[0]);
                    return;
                }
                long start = System.nanoTime();
                MemSync.flush(REGION);
                send(x, 200, "{\"flushedOn\":\"" + MemSync.nodeName() + "\",\"us\":" + (System.nanoTime() - start)
                        / 1000 + "}");
            } else if (path.equals("/check") && method.equals("POST")) {
                // Local reads of what /load wrote: how many of those entries this node's copy holds, and right.
                int count = Integer.parseInt(query.getOrDefault("count", "1000"));
                String prefix = query.getOrDefault("prefix", "key-");
                MemorySegment m = MemSync.region(REGION);
                int present = 0;
                for (int i = 0; i < count; i++) {
                    present += ("value-" + i + "-" + prefix).equals(CacheStore.get(m, prefix + i)) ? 1 : 0;
                }
                send(x, 200, "{\"checked\":" + count + ",\"present\":" + present + "}");
            } else if (path.equals("/stats")) {
                send(x, 200, stats());
            } else if (path.startsWith("/mount/")) {
                mount(x, path.substring(7), method);
            } else {
                send(x, 404, "see the Javadoc of CacheNode for the API");
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            sendQuietly(x, 400, e.getMessage());
        } catch (IOException | RuntimeException e) {
            sendQuietly(x, 500, e.toString());
        }
    }

    private String stats() {
        MemorySegment m = MemSync.region(REGION);
        return String.format(Locale.ROOT, "{\"node\":\"%s\",\"role\":\"%s\",\"owner\":\"%s\",\"entries\":%d,"
                        + "\"gets\":%d,\"puts\":%d,\"forwarded\":%d}", MemSync.nodeName(),
                MemSync.isOwner(REGION) ? "owner" : "replica", MemSync.owner(REGION), CacheStore.count(m),
                gets.get(), puts.get(), forwarded.get());
    }

    /** POST mounts the region lazily; GET reports availability and checks every present chunk's content. */
    private void mount(HttpExchange x, String region, String method) throws IOException {
        if (method.equals("POST")) {
            long start = System.nanoTime();
            MemorySegment m = MemSync.mount(region);
            long mounted = System.nanoTime();
            long first = m.get(ValueLayout.JAVA_LONG, 0);
            long touched = System.nanoTime();
            send(x, 200, String.format(Locale.ROOT, "{\"mountMs\":%d,\"firstTouchUs\":%d,\"firstValue\":%d}",
                    (mounted - start) / 1_000_000, (touched - mounted) / 1000, first));
            return;
        }
        double availability = MemSync.availability(region);
        String verified = "null";
        if (availability >= 1.0) {
            // Everything is here: check what the owner wrote (see CATALOG), reading it all from local memory.
            MemorySegment m = MemSync.mount(region);
            long bad = 0;
            for (long page = 0; page < m.byteSize(); page += 4096) {
                bad += m.get(ValueLayout.JAVA_LONG, page) == page / (64 * 1024) ? 0 : 1;
            }
            verified = Boolean.toString(bad == 0);
        }
        send(x, 200, String.format(Locale.ROOT, "{\"availability\":%.4f,\"verified\":%s}", availability,
                verified));
    }

    /** A write here if this node owns the cache (paused during a migration's handover), else at the owner. */
    private void write(HttpExchange x, Write w) throws IOException {
        byte[] body = x.getRequestBody().readAllBytes();
        if (writers.enter()) {
            try {
                Answer a;
                // One writer at a time: two puts probing for a free slot could otherwise both take the same one.
                synchronized (tableLock) {
                    a = w.apply(body);
                }
                send(x, a.status(), a.body());
                return;
            } finally {
                writers.exit();
            }
        }
        forward(x, body);
    }

    private void forward(HttpExchange x, byte[] body) throws IOException {
        String owner = MemSync.owner(REGION);
        String address = peers.get(owner);
        if (address == null || owner.equals(MemSync.nodeName())) {
            send(x, 503, "the owner " + owner + " has no known HTTP address (or ownership is moving): retry");
            return;
        }
        forwarded.incrementAndGet();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + address + x.getRequestURI()))
                .timeout(Duration.ofSeconds(10))
                .method(x.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body)).build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            send(x, r.statusCode(), r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            send(x, 503, "interrupted while forwarding to " + owner);
        }
    }

    private static void send(HttpExchange x, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", body.startsWith("{") ? "application/json" : "text/plain");
        x.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void sendQuietly(HttpExchange x, int status, String body) {
        try {
            send(x, status, body == null ? "error" : body);
        } catch (IOException | RuntimeException ignored) {
            // the response was started already, or the client went away
        }
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> out = new HashMap<>();
        if (uri.getRawQuery() != null) {
            for (String kv : uri.getRawQuery().split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    out.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }

    private record Answer(int status, String body) {
    }

    @FunctionalInterface
    private interface Write {
        Answer apply(byte[] body) throws IOException;
    }

    /**
     * The cache's writers, as a migration's handover needs them: {@link #pause()} waits for writes in flight and
     * holds new ones back until {@link #resume()} or until this node no longer owns the region (they go to the new
     * owner then).
     */
    static final class PausableWriters implements Writers {
        private final AtomicInteger inFlight = new AtomicInteger();
        private volatile boolean paused;

        /** True if the caller may write here (call {@link #exit()} after); false: forward to the owner. */
        boolean enter() {
            while (true) {
                if (!MemSync.isOwner(REGION)) {
                    // A handover that paused us is over: nothing is written here now, so nothing is held back.
                    paused = false;
                    return false;
                }
                inFlight.incrementAndGet();
                if (!paused) {
                    if (MemSync.isOwner(REGION)) {
                        return true;
                    }
                    inFlight.decrementAndGet();
                    return false;
                }
                inFlight.decrementAndGet();
                synchronized (this) {
                    try {
                        wait(5);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
            }
        }

        void exit() {
            inFlight.decrementAndGet();
        }

        @Override
        public void pause() throws InterruptedException {
            paused = true;
            while (inFlight.get() > 0) {
                Thread.onSpinWait();
            }
        }

        @Override
        public synchronized void resume() {
            paused = false;
            notifyAll();
        }
    }
}
