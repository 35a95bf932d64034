package io.memsync.jmx.dashboard;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.Node;
import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.TestNodes;
import io.memsync.region.page.LazyRegion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard's endpoints over plain HTTP, on two nodes in this JVM: the JSON holds the nodes' real state, the
 * chunk map follows writes and pushes, the actions act, and bad requests get a 4xx naming what is wrong.
 */
@Timeout(180)
class DashboardHttpTest {
    private static final int CHUNK = 64 * 1024;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void endpointsReportTheRealStateAndActions() throws Exception {
        List<Node> nodes = TestNodes.start("dashboard-http", "a", "b");
        Node a = nodes.get(0);
        Node b = nodes.get(1);
        try (Dashboard da = Dashboard.start(a, "127.0.0.1", 0);
             Dashboard db = Dashboard.start(b, null, 0)) {
            assertTrue(da.address().getAddress().isLoopbackAddress());
            assertTrue(db.address().getAddress().isLoopbackAddress(), "null host must mean loopback");
            a.writerControl("prices", TestNodes.NO_WRITERS);
            ClusterRegion owned = a.createRegion("prices", 64L * CHUNK, CHUNK, 1);
            b.awaitRegion("prices", Duration.ofSeconds(10));

            // The page and its files, with a policy that lets it load nothing from elsewhere.
            HttpResponse<String> page = get(da, "/");
            assertEquals(200, page.statusCode());
            assertTrue(page.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
            assertTrue(page.body().contains("dashboard.js") && page.body().contains("id=\"status-line\""));
            assertTrue(page.headers().firstValue("Content-Security-Policy").orElseThrow().contains("default-src 'self'"));
            assertTrue(get(da, "/dashboard.js").body().contains("X-MemSync-Dashboard"));
            assertEquals(200, get(da, "/dashboard.css").statusCode());

            // Status on the owner and on the replica.
            Map<String, Object> status = json(get(da, "/api/status"), 200);
            assertEquals("a", path(status, "node", "name"));
            assertEquals(a.memberId(), path(status, "node", "memberId"));
            assertEquals("127.0.0.1:" + a.dataAddress().getPort(), path(status, "node", "dataAddress"));
            List<?> members = (List<?>) status.get("members");
            assertEquals(2, members.size(), members.toString());
            assertEquals("a", ((Map<?, ?>) members.get(0)).get("name"));
            assertEquals(true, ((Map<?, ?>) members.get(0)).get("self"));
            assertEquals(b.memberId(), ((Map<?, ?>) members.get(1)).get("uuid"));
            assertEquals(true, ((Map<?, ?>) members.get(1)).get("live"));
            Map<?, ?> region = region(status, "prices");
            assertEquals("a", region.get("owner"));
            assertEquals("OWNER", region.get("role"));
            assertEquals(1.0, region.get("token"));
            assertEquals(List.of("b"), region.get("replicas"));
            assertEquals(1.0, region.get("availability"));
            assertEquals(64.0, region.get("chunkCount"));
            assertEquals((double) CHUNK, region.get("chunkSize"));
            assertEquals(64.0 * CHUNK, region.get("size"));
            assertEquals(0.0, region.get("lag"));
            assertNull(region.get("migration"));
            assertTrue(((Number) status.get("time")).longValue() > 0);
            Map<?, ?> atB = region(json(get(db, "/api/status"), 200), "prices");
            assertEquals("REPLICA", atB.get("role"));
            assertEquals("a", atB.get("owner"));
            assertNull(atB.get("lag"), "only the owner knows its replicas' lag");

            // The chunk map: one character per chunk; D and S show up on the owner while it writes.
            Map<String, Object> chunks = json(get(da, "/api/chunks?region=prices"), 200);
            assertEquals(64, ((String) chunks.get("map")).length());
            assertEquals(64.0, chunks.get("chunkCount"));
            assertEquals("OWNER", chunks.get("source"));
            assertTrue(((String) json(get(db, "/api/chunks?region=prices"), 200).get("map")).matches("P{64}"));
            seenWhileWriting(da, owned.segment(), 'D', 'S');
            Thread.sleep(1600);
            assertTrue(((String) json(get(da, "/api/chunks?region=prices"), 200).get("map")).matches("P{64}"),
                    "chunks stayed dirty or recently sent long after the writes stopped");

            // Flush: an epoch ends, on the owner and then on the replica.
            double epoch = (Double) region(json(get(da, "/api/status"), 200), "prices").get("epoch");
            owned.segment().set(JAVA_LONG, 3L * CHUNK, 42L);
            Map<String, Object> flushed = json(post(da, "/api/flush?region=prices", true), 200);
            assertTrue(((String) flushed.get("result")).startsWith("flushed region prices: epoch "), flushed.toString());
            assertEquals(epoch + 1, flushed.get("epoch"));
            assertEquals(epoch + 1, region(json(get(da, "/api/status"), 200), "prices").get("epoch"));
            assertEquals(epoch + 1, region(json(get(db, "/api/status"), 200), "prices").get("epoch"));

            // Bad requests: the status and the message say what is wrong.
            assertError(get(da, "/api/chunks?region=nope"), 404, "no region nope in the cluster; regions: [prices]");
            assertError(post(da, "/api/flush?region=nope", true), 404, "no region nope in the cluster");
            assertError(post(da, "/api/migrate?region=nope&member=b", true), 404, "no region nope");
            assertError(post(da, "/api/migrate?region=prices&member=nobody", true), 400,
                    "no live member is named or has the uuid 'nobody'");
            assertError(post(da, "/api/migrate?region=prices&member=a", true), 400, "owned by a already");
            assertError(post(da, "/api/migrate?region=prices", true), 400, "missing query parameter 'member'");
            assertError(post(db, "/api/flush?region=prices", true), 409, "flush it on its owner, a");
            assertError(post(da, "/api/flush?region=prices", false), 403, "X-MemSync-Dashboard");
            assertError(get(da, "/api/flush?region=prices"), 405, "takes POST, not GET");
            assertError(get(da, "/nothing-here"), 404, "no such page or endpoint: /nothing-here");
            assertError(rawGet(da, "/api/status", "rebound.example.com"), 421, "only, not to 'rebound.example.com'");
            assertEquals(200, rawGet(da, "/api/status", "localhost").statusCode());

            // A lazy mount: listed with the regions, and its chunk map comes from its pager.
            ClusterRegion plain = a.createRegion("plain", 32L * CHUNK, CHUNK, 0);
            plain.segment().set(JAVA_LONG, 5L * CHUNK, 5L);
            plain.flush();
            assertError(get(db, "/api/chunks?region=plain"), 404, "node b holds no copy of region plain (owner a)");
            LazyRegion mount = b.mount("plain", 2, false);
            assertTrue(mount.awaitAvailability(1.0, Duration.ofSeconds(30)), "the mount never completed");
            Map<String, Object> withMount = json(get(db, "/api/status"), 200);
            assertEquals(true, region(withMount, "plain").get("mounted"));
            assertEquals("none", region(withMount, "plain").get("role"));
            Map<?, ?> mounted = (Map<?, ?>) ((List<?>) withMount.get("mounts")).getFirst();
            assertEquals("plain", mounted.get("name"));
            assertEquals(1.0, mounted.get("availability"));
            Map<String, Object> mountMap = json(get(db, "/api/chunks?region=plain"), 200);
            assertEquals("MOUNT", mountMap.get("source"));
            assertTrue(((String) mountMap.get("map")).matches("P{32}"), mountMap.toString());
            assertError(get(db, "/api/chunks?region=nope"), 404, "no region nope");

            // Migration, started over HTTP from the destination's dashboard: returns at once, then happens.
            Map<String, Object> started = json(post(db, "/api/migrate?region=prices&member=b", true), 200);
            assertTrue(((String) started.get("result")).startsWith("migration of region prices from a to b started"),
                    started.toString());
            Fixtures.await(() -> "OWNER".equals(role(db, "prices")), 60, "b never became the owner");
            Map<?, ?> source = region(json(get(da, "/api/status"), 200), "prices");
            assertEquals("b", source.get("owner"));
            assertEquals("DONE", ((Map<?, ?>) source.get("migration")).get("phase"));
            assertEquals("b", ((Map<?, ?>) source.get("migration")).get("destination"));
            assertTrue(((Number) ((Map<?, ?>) source.get("migration")).get("lastPauseMs")).doubleValue() >= 0);

            // Closed, it answers no more (and closing twice is harmless).
            da.close();
            da.close();
            assertThrows(IOException.class, () -> get(da, "/api/status"));
            assertEquals(200, get(db, "/api/status").statusCode());
        } finally {
            TestNodes.close(nodes);
        }
    }

    @Test
    void jsonIsEscapedAndQueriesDecoded() {
        String tricky = "a\"b\\c</script><img src=x onerror=alert(1)>&\u2028\n\u0001";
        String json = Json.write(Map.of("k", tricky, "n", List.of(1, 2.5, Double.NaN)));
        assertFalse(json.contains("<") || json.contains(">") || json.contains("&") || json.contains("\u2028"), json);
        Map<String, Object> back = JsonReader.object(json);
        assertEquals(tricky, back.get("k"));
        assertEquals(java.util.Arrays.asList(1.0, 2.5, null), back.get("n"));
        assertEquals(Map.of("region", "a b", "member", "c&d"), Router.query("region=a+b&member=c%26d"));
        ApiException bad = assertThrows(ApiException.class, () -> Router.query("region=%zz"));
        assertEquals(400, bad.status());
    }

    /** Writes every chunk over and over until the chunk map has shown each of {@code states}, within 30 s. */
    private void seenWhileWriting(Dashboard d, MemorySegment memory, char... states) throws Exception {
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = Thread.ofPlatform().name("dashboard-test-writer").start(() -> {
            for (long v = 1; writing.get(); v++) {
                for (long o = 0; o < memory.byteSize(); o += CHUNK) {
                    memory.set(JAVA_LONG, o, v);
                }
            }
        });
        try {
            StringBuilder seen = new StringBuilder();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                String map = (String) json(get(d, "/api/chunks?region=prices"), 200).get("map");
                assertEquals(64, map.length());
                assertFalse(map.contains("M"), "the owner's complete copy showed a missing chunk: " + map);
                for (char c : map.toCharArray()) {
                    if (seen.indexOf(String.valueOf(c)) < 0) {
                        seen.append(c);
                    }
                }
                if (new String(states).chars().allMatch(c -> seen.indexOf(String.valueOf((char) c)) >= 0)) {
                    return;
                }
            }
            throw new AssertionError("within 30 s of writes the chunk map showed only " + seen + ", not all of "
                    + new String(states));
        } finally {
            writing.set(false);
            writer.join(5000);
        }
    }

    private String role(Dashboard d, String region) {
        try {
            return (String) region(json(get(d, "/api/status"), 200), region).get("role");
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static Map<?, ?> region(Map<String, Object> status, String name) {
        return ((List<?>) status.get("regions")).stream().map(r -> (Map<?, ?>) r)
                .filter(r -> name.equals(r.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no region " + name + " in " + status));
    }

    private static Object path(Map<String, Object> json, String... keys) {
        Object at = json;
        for (String k : keys) {
            at = ((Map<?, ?>) at).get(k);
        }
        return at;
    }

    private static URI uri(Dashboard d, String path) {
        return URI.create("http://127.0.0.1:" + d.address().getPort() + path);
    }

    private HttpResponse<String> get(Dashboard d, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(d, path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(Dashboard d, String path, boolean withHeader)
            throws IOException, InterruptedException {
        HttpRequest.Builder r = HttpRequest.newBuilder(uri(d, path)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (withHeader) {
            r.header(Router.ACTION_HEADER, "1");
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A GET with a Host header of our choosing (HttpClient sets its own), answered as a status and a body. */
    private static HttpResponse<String> rawGet(Dashboard d, String path, String host) throws IOException {
        try (Socket s = new Socket(d.address().getAddress(), d.address().getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + d.address().getPort()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            String body = response.substring(response.indexOf("\r\n\r\n") + 4);
            return new RawResponse(status, body);
        }
    }

    private static Map<String, Object> json(HttpResponse<String> response, int status) {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("application/json")
                .startsWith("application/json"));
        return JsonReader.object(response.body());
    }

    private static void assertError(HttpResponse<String> response, int status, String message) {
        assertEquals(status, response.statusCode(), response.body());
        if (status >= 400) {
            Object error = JsonReader.object(response.body()).get("error");
            assertTrue(error instanceof String e && e.contains(message), "expected '" + message + "' in " + error);
        }
    }

    /** Enough of an HttpResponse for {@link #rawGet}'s callers. */
    private record RawResponse(int statusCode, String body) implements HttpResponse<String> {
        @Override
        public HttpRequest request() {
            throw new UnsupportedOperationException();
        }

        @Override
        public java.util.Optional<HttpResponse<String>> previousResponse() {
            return java.util.Optional.empty();
        }

        @Override
        public java.net.http.HttpHeaders headers() {
            return java.net.http.HttpHeaders.of(Map.of(), (k, v) -> true);
        }

        @Override
        public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
            return java.util.Optional.empty();
        }

        @Override
        public URI uri() {
            throw new UnsupportedOperationException();
        }

        @Override
        public HttpClient.Version version() {
            return HttpClient.Version.HTTP_1_1;
        }
    }
}
