package io.memsync.demo.cache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's demo, in its short mode, as CI runs it, with TLS required on the data plane ({@code --tls}: keys made
 * by {@code memsync.jar tls-keys}): three JVMs with the agent, and every figure the walkthrough prints checked against
 * what it claims (identical copies, a verified mount, a migration that happened, and every flushed entry present
 * after the owner was killed).
 */
class DemoIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    @Test
    @Timeout(600)
    void theWalkthroughMeasuresRealThings() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ClusterDemo.Options options = new ClusterDemo.Options(true, true, 5_000, Path.of("target/demo-it"),
                Path.of(System.getProperty("memsync.agent.jar")), Path.of(System.getProperty("memsync.demo.jar")),
                true);
        ClusterDemo demo = new ClusterDemo(options, out);
        ClusterDemo.Summary s;
        try {
            s = demo.run();
            // Every surviving node serves its dashboard, whose status names the cluster's members and the cache.
            for (DemoNode n : demo.liveNodes()) {
                HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(URI.create(n.dashboard())).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, page.statusCode());
                assertTrue(page.body().contains("<html") || page.body().contains("<!DOCTYPE"), page.body());
                HttpResponse<String> status = HTTP.send(HttpRequest.newBuilder(URI.create(n.dashboard()
                        + "api/status")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, status.statusCode(), status.body());
                assertTrue(status.body().contains("\"cache\"") && status.body().contains("\"" + n.name + "\""),
                        status.body());
            }
        } finally {
            demo.stopAll();
            System.out.print(bytes.toString(StandardCharsets.UTF_8));
        }
        assertEquals(5_000, s.entries());
        assertTrue(s.replicationLagP50Ms() > 0 && s.replicationLagMaxMs() < 10_000, "lag " + s);
        assertEquals(3, s.copiesIdentical(), "every copy identical after the flush: " + s);
        assertTrue(s.mountVerified() && s.mountFullMs() > 0, "mount " + s);
        assertEquals("b", s.newOwnerAfterMigration(), "the migration moved the cache to b: " + s);
        assertTrue(s.migrationPauseMs() > 0, "pause " + s);
        assertTrue(s.putsDuringMigration() > 0 && s.putsFailedDuringMigration() == 0, "load " + s);
        assertTrue(!s.ownerAfterFailover().equals("b"), "a replica took over from b: " + s);
        assertEquals(s.flushedEntries(), s.flushedEntriesPresent(), "nothing flushed was lost: " + s);
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("==> Summary") && text.contains("| failover (kill -9 the owner) |"), text);
        assertTrue(text.contains("keys made in"), text);
        for (String node : new String[] {"a", "b", "c"}) {
            String config = java.nio.file.Files.readString(Path.of("target/demo-it", node + ".properties"));
            assertTrue(config.contains("memsync.tls=required") && config.contains(node + ".p12"), config);
        }
    }
}
