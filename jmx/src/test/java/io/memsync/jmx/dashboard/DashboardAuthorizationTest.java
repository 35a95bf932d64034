package io.memsync.jmx.dashboard;

import io.memsync.cluster.Node;
import io.memsync.cluster.testkit.TestNodes;
import io.memsync.jmx.PasswordFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13: a dashboard that listens beyond loopback takes its actions from JMX's users only, and without a password
 * file it does not start there. (The test listens on loopback, with the users asked as they would be elsewhere: tests
 * use no address but loopback.)
 */
@Timeout(120)
class DashboardAuthorizationTest {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void actionsNeedAJmxUserBeyondLoopback(@TempDir Path dir) throws Exception {
        Path passwords = dir.resolve("jmx.password");
        Files.writeString(passwords, "# operators\nops s3cret-pass\n");
        Files.setPosixFilePermissions(passwords, PosixFilePermissions.fromString("rw-------"));
        List<Node> nodes = TestNodes.start("dashboard-auth", "a");
        try {
            Node a = nodes.getFirst();
            a.createRegion("guarded", 1 << 20, 65536, 0);
            IllegalArgumentException open = assertThrows(IllegalArgumentException.class,
                    () -> Dashboard.start(a, "0.0.0.0", 0, null));
            assertTrue(open.getMessage().contains("memsync.jmx.password.file"), open.getMessage());
            try (Dashboard d = Dashboard.start(a, InetAddress.getLoopbackAddress(), "127.0.0.1", 0,
                    PasswordFile.load(passwords))) {
                assertEquals(200, send(d, "GET", "/api/status", null).statusCode(), "reading needs no user");
                HttpResponse<String> anonymous = send(d, "POST", "/api/flush?region=guarded", null);
                assertEquals(401, anonymous.statusCode(), anonymous.body());
                assertTrue(anonymous.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"));
                assertEquals(401, send(d, "POST", "/api/flush?region=guarded", "ops:wrong").statusCode());
                assertEquals(401, send(d, "POST", "/api/flush?region=guarded", "nobody:s3cret-pass").statusCode());
                HttpResponse<String> ok = send(d, "POST", "/api/flush?region=guarded", "ops:s3cret-pass");
                assertEquals(200, ok.statusCode(), ok.body());
                assertTrue(ok.body().contains("flushed region guarded"), ok.body());
                // A lone node's flush says that nothing was acknowledged, not that a quorum was.
                assertTrue(ok.body().contains("no replica is placed (0 wanted): nothing was acknowledged"), ok.body());
            }
        } finally {
            TestNodes.close(nodes);
        }
    }

    private HttpResponse<String> send(Dashboard d, String method, String path, String user) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + d.address().getPort() + path))
                .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody())
                .header(Router.ACTION_HEADER, "1");
        if (user != null) {
            r.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(user.getBytes(
                    StandardCharsets.UTF_8)));
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }
}
