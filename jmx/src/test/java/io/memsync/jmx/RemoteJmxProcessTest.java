package io.memsync.jmx;

import io.memsync.cluster.testkit.Fixtures;
import io.memsync.cluster.testkit.FreePorts;
import io.memsync.cluster.testkit.LineProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.management.Attribute;
import javax.management.MBeanServerConnection;
import javax.management.Notification;
import javax.management.NotificationListener;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.rmi.ssl.SslRMIClientSocketFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two nodes in JVMs of their own, driven the way an operator would: over their remote JMX connectors, with the
 * notifications coming back through them.
 */
@Timeout(240)
class RemoteJmxProcessTest {
    private static final ObjectName NODE = MemSyncMBeans.nodeObjectName();
    private static final ObjectName REGION = MemSyncMBeans.regionObjectName("remote");

    @Test
    void aNodeInAnotherJvmIsReadAndDrivenOverRemoteJmx() throws Exception {
        int[] hz = {FreePorts.pick(), FreePorts.pick()};
        int[] jmx = {FreePorts.pick(), FreePorts.pick()};
        String members = "127.0.0.1:" + hz[0] + ",127.0.0.1:" + hz[1];
        List<NodeJvm> jvms = new ArrayList<>();
        List<JMXConnector> connectors = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                jvms.add(new NodeJvm("p" + (i + 1), hz[i], members, jmx[i]));
            }
            for (NodeJvm jvm : jvms) {
                String ready = jvm.await("READY", 120);
                assertTrue(ready.startsWith("READY "), jvm.name + " did not start: " + ready);
            }
            List<MBeanServerConnection> servers = new ArrayList<>();
            for (int port : jmx) {
                JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(
                        "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi"));
                connectors.add(c);
                servers.add(c.getMBeanServerConnection());
            }
            MBeanServerConnection p1 = servers.get(0);
            MBeanServerConnection p2 = servers.get(1);
            await(() -> (Integer) p1.getAttribute(NODE, "ClusterSize") == 2, "the processes did not meet");
            assertEquals("p1", p1.getAttribute(NODE, "Name"));
            assertEquals("p2", p2.getAttribute(NODE, "Name"));

            BlockingQueue<Notification> at1 = listen(p1);
            BlockingQueue<Notification> at2 = listen(p2);
            assertEquals("ok created remote", jvms.get(0).call("create remote " + (4 << 20) + " 65536 1"));
            await(() -> p1.isRegistered(REGION) && p2.isRegistered(REGION), "no Region MBeans over JMX");
            assertEquals("OWNER", p1.getAttribute(REGION, "Role"));
            assertEquals("REPLICA", p2.getAttribute(REGION, "Role"));
            assertEquals(4L << 20, p1.getAttribute(REGION, "SizeBytes"));
            String[] regions = (String[]) p2.getAttribute(NODE, "Regions");
            assertEquals(List.of("remote"), Arrays.asList(regions));

            long before = (Long) p1.getAttribute(REGION, "ChunksPushed");
            assertEquals("ok wrote 3", jvms.get(0).call("write remote 4242 3"));
            String flushed = (String) p1.invoke(REGION, "flush", null, null);
            assertTrue(flushed.startsWith("flushed region remote: epoch "), flushed);
            assertTrue((Long) p1.getAttribute(REGION, "ChunksPushed") >= before + 3);

            String result = (String) p1.invoke(REGION, "migrateTo", new Object[]{"p2"},
                    new String[]{String.class.getName()});
            assertTrue(result.startsWith("migrated region remote to p2: writers paused "), result);
            for (String phase : List.of("PREPARING", "PRECOPY", "HANDOVER", "DONE")) {
                Notification n = MBeansInProcessTest.next(at1, Notifications.MIGRATION_PHASE);
                assertEquals(phase, ((CompositeData) n.getUserData()).get("phase"), n.getMessage());
            }
            Notification lost = MBeansInProcessTest.next(at1, Notifications.OWNERSHIP_LOST);
            assertEquals("p2", ((CompositeData) lost.getUserData()).get("newOwner"));
            Notification gained = MBeansInProcessTest.next(at2, Notifications.OWNERSHIP_GAINED);
            assertEquals("remote", ((CompositeData) gained.getUserData()).get("region"));
            await(() -> "OWNER".equals(p2.getAttribute(REGION, "Role")), "p2's Region MBean never said OWNER");
            assertEquals("p2", p1.getAttribute(REGION, "Owner"));
            assertTrue((Double) p1.getAttribute(REGION, "LastMigrationPauseMillis") >= 0);

            String[] sums = (String[]) p2.invoke(NODE, "checksums", new Object[]{"remote"},
                    new String[]{String.class.getName()});
            assertEquals(2, sums.length, Arrays.toString(sums));
            assertEquals(sums[0].substring(3), sums[1].substring(3), Arrays.toString(sums));
            String status = (String) p1.invoke(NODE, "status", null, null);
            assertTrue(status.contains("owner p2, token 2"), status);
        } finally {
            for (JMXConnector c : connectors) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // The process may be gone already.
                }
            }
            for (NodeJvm jvm : jvms) {
                jvm.close();
            }
        }
    }

    @Test
    void aReplicaFallingBehindOnTheDataPlaneRaisesTheLagNotification() throws Exception {
        int[] hz = {FreePorts.pick(), FreePorts.pick(), FreePorts.pick()};
        int[] jmx = {FreePorts.pick(), FreePorts.pick(), FreePorts.pick()};
        String members = "127.0.0.1:" + hz[0] + ",127.0.0.1:" + hz[1] + ",127.0.0.1:" + hz[2];
        List<NodeJvm> jvms = new ArrayList<>();
        JMXConnector connector = null;
        try {
            for (int i = 0; i < 3; i++) {
                // A flush needs one replica: the owner goes on flushing while the other falls behind.
                jvms.add(new NodeJvm("l" + (i + 1), hz[i], members, jmx[i], List.of(), List.of("--quorum=1")));
            }
            for (NodeJvm jvm : jvms) {
                String ready = jvm.await("READY", 120);
                assertTrue(ready.startsWith("READY "), jvm.name + " did not start: " + ready);
            }
            connector = JMXConnectorFactory.connect(new JMXServiceURL(
                    "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + jmx[0] + "/jmxrmi"));
            MBeanServerConnection owner = connector.getMBeanServerConnection();
            ObjectName region = MemSyncMBeans.regionObjectName("lagging");
            await(() -> (Integer) owner.getAttribute(NODE, "ClusterSize") == 3, "the processes did not meet");
            assertEquals("ok created lagging", jvms.get(0).call("create lagging " + (4 << 20) + " 65536 2"));
            await(() -> {
                if (!owner.isRegistered(region)) {
                    return false;
                }
                owner.invoke(region, "flush", null, null);
                return (Long) owner.getAttribute(region, "ReplicaLagEpochs") == 0
                        && ((String[]) owner.getAttribute(region, "Replicas")).length == 2;
            }, "the region never had both replicas in step");
            owner.setAttribute(NODE, new Attribute("ReplicaLagThresholdEpochs", 2L));
            BlockingQueue<Notification> events = listen(owner);

            // l3 stops applying what it receives (its data server waits), while it stays a live member.
            assertEquals("ok stalling lagging", jvms.get(2).call("stall lagging 20000"));
            for (int round = 1; round <= 5; round++) {
                assertEquals("ok wrote 3", jvms.get(0).call("write lagging " + round + " 3"));
                String flushed = (String) owner.invoke(region, "flush", null, null);
                assertTrue(flushed.startsWith("flushed region lagging"), flushed);
            }
            Notification lag = MBeansInProcessTest.next(events, Notifications.REPLICA_LAG);
            CompositeData facts = (CompositeData) lag.getUserData();
            assertEquals("l3", facts.get("replica"), lag.getMessage());
            assertEquals("lagging", facts.get("region"));
            assertTrue((Long) facts.get("lagEpochs") > 2, lag.getMessage());
            assertTrue((Long) owner.getAttribute(region, "ReplicaLagEpochs") > 2);
        } finally {
            if (connector != null) {
                connector.close();
            }
            for (NodeJvm jvm : jvms) {
                jvm.close();
            }
        }
    }

    @Test
    void overTlsOnlyAClientThatTrustsTheNodesCertificateGetsIn(@TempDir Path tmp) throws Exception {
        // A self-signed certificate for 127.0.0.1, made with the JDK's keytool as an operator would.
        Path keystore = tmp.resolve("node.p12");
        Path certificate = tmp.resolve("node.pem");
        Path truststore = tmp.resolve("trust.p12");
        keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                keystore.toString(), "-storepass", "changeit");
        keytool("-exportcert", "-rfc", "-alias", "node", "-keystore", keystore.toString(), "-storepass", "changeit",
                "-file", certificate.toString());
        keytool("-importcert", "-noprompt", "-alias", "node", "-file", certificate.toString(), "-storetype",
                "PKCS12", "-keystore", truststore.toString(), "-storepass", "changeit");
        int jmxPort = FreePorts.pick();
        int hzPort = FreePorts.pick();
        try (NodeJvm jvm = new NodeJvm("tls", hzPort, "127.0.0.1:" + hzPort, jmxPort,
                List.of("-Djavax.net.ssl.keyStore=" + keystore, "-Djavax.net.ssl.keyStorePassword=changeit",
                        "-Djavax.net.ssl.keyStoreType=PKCS12"), List.of("--jmx-ssl=true"))) {
            String ready = jvm.await("READY", 120);
            assertTrue(ready.startsWith("READY "), "the node did not start: " + ready);
            JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + jmxPort + "/jmxrmi");

            // A plain client is not let in: the registry speaks TLS only.
            assertThrows(IOException.class, () -> JMXConnectorFactory.connect(url).close(),
                    "a client without TLS connected");

            // TLS from this JVM on trusts the node's certificate (RMI's TLS sockets use the default context).
            KeyStore trust = KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(truststore)) {
                trust.load(in, "changeit".toCharArray());
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            SSLContext.setDefault(context);
            Map<String, Object> env = Map.of("com.sun.jndi.rmi.factory.socket", new SslRMIClientSocketFactory());
            try (JMXConnector c = JMXConnectorFactory.connect(url, env)) {
                MBeanServerConnection server = c.getMBeanServerConnection();
                assertEquals("tls", server.getAttribute(NODE, "Name"));
                assertEquals(1, server.getAttribute(NODE, "ClusterSize"));
            }
        }
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> cmd = new ArrayList<>(List.of(keytool.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool did not finish: " + cmd);
        assertEquals(0, p.exitValue(), "keytool " + String.join(" ", args) + " failed:\n" + output);
    }

    private static BlockingQueue<Notification> listen(MBeanServerConnection server) throws Exception {
        BlockingQueue<Notification> queue = new LinkedBlockingQueue<>();
        NotificationListener listener = (n, handback) -> queue.add(n);
        server.addNotificationListener(NODE, listener, null, null);
        return queue;
    }

    /** A condition read over JMX, within 60 s. */
    private static void await(Fixtures.Condition probe, String what) throws Exception {
        Fixtures.await(probe, 60, what);
    }

    /** A {@link JmxNodeMain} in its own JVM; its log goes to {@code target/node-logs/NAME-TESTPID.log}. */
    private static final class NodeJvm implements AutoCloseable {
        final String name;
        private final LineProcess process;

        NodeJvm(String name, int port, String members, int jmxPort) throws IOException {
            this(name, port, members, jmxPort, List.of(), List.of());
        }

        NodeJvm(String name, int port, String members, int jmxPort, List<String> jvmFlags, List<String> args)
                throws IOException {
            this.name = name;
            String flags = System.getProperty("memsync.hazelcast.flags");
            if (flags == null || flags.isBlank()) {
                throw new IllegalStateException("the system property memsync.hazelcast.flags is not set: run this"
                        + " test through Maven (jmx/pom.xml passes the parent pom's property)");
            }
            String java = ProcessHandle.current().info().command()
                    .orElseThrow(() -> new IllegalStateException("cannot tell which java runs this test"));
            List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
            cmd.addAll(Arrays.asList(flags.trim().split("\\s+")));
            cmd.addAll(jvmFlags);
            cmd.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"), JmxNodeMain.class.getName(),
                    "--name=" + name, "--cluster=jmx-remote-" + ProcessHandle.current().pid(), "--port=" + port,
                    "--members=" + members, "--jmx-port=" + jmxPort));
            cmd.addAll(args);
            process = new LineProcess(name, cmd, Map.of());
        }

        /** The next line starting with {@code prefix} or "error", within {@code seconds}. */
        String await(String prefix, int seconds) throws InterruptedException {
            return process.await(prefix, seconds);
        }

        String call(String command) throws IOException, InterruptedException {
            return process.ask(command, 60);
        }

        @Override
        public void close() {
            process.close(20);
        }
    }
}
