package io.memsync.jmx;

import io.memsync.cluster.testkit.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXServiceURL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The remote connector's guards: loopback unless authenticated, private password files, passwords checked. */
@Timeout(60)
class RemoteJmxTest {

    @Test
    void aHostOtherThanLoopbackNeedsAPasswordFile() {
        String m = assertThrows(IllegalArgumentException.class,
                () -> MemSyncMBeans.startRemote("0.0.0.0", 1, null, false)).getMessage();
        assertTrue(m.contains("not a loopback address") && m.contains("password file"), m);
    }

    @Test
    void aPasswordFileOthersCanReadIsRefused(@TempDir Path tmp) throws Exception {
        Path passwords = Files.writeString(tmp.resolve("jmx.password"), "ops secret\n");
        Files.setPosixFilePermissions(passwords, PosixFilePermissions.fromString("rw-r--r--"));
        String m = assertThrows(IllegalArgumentException.class,
                () -> MemSyncMBeans.startRemote("127.0.0.1", FreePorts.pick(), passwords, false)).getMessage();
        assertTrue(m.contains("readable by other users") && m.contains("chmod 600"), m);
        m = assertThrows(IllegalArgumentException.class, () -> MemSyncMBeans.startRemote("127.0.0.1",
                FreePorts.pick(), tmp.resolve("missing"), false)).getMessage();
        assertTrue(m.contains("missing or unreadable"), m);
    }

    @Test
    void withAPasswordFileOnlyItsUsersGetIn(@TempDir Path tmp) throws Exception {
        Path passwords = Files.writeString(tmp.resolve("jmx.password"), "# operators\nops s3cret\n");
        Files.setPosixFilePermissions(passwords, PosixFilePermissions.fromString("rw-------"));
        int port = FreePorts.pick();
        JMXConnectorServer server = MemSyncMBeans.startRemote("127.0.0.1", port, passwords, false);
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi");
        try {
            assertEquals(url, server.getAddress());
            assertThrows(SecurityException.class, () -> JMXConnectorFactory.connect(url).close());
            assertThrows(SecurityException.class, () -> JMXConnectorFactory.connect(url,
                    Map.of(JMXConnector.CREDENTIALS, new String[]{"ops", "wrong"})).close());
            try (JMXConnector c = JMXConnectorFactory.connect(url,
                    Map.of(JMXConnector.CREDENTIALS, new String[]{"ops", "s3cret"}))) {
                ObjectName runtime = new ObjectName("java.lang:type=Runtime");
                assertEquals(ProcessHandle.current().pid(),
                        c.getMBeanServerConnection().getAttribute(runtime, "Pid"));
            }
        } finally {
            server.stop();
        }
        assertFalse(server.isActive());
        // The port is free again: registry and connector are closed. RMI closes its listening socket on a thread of
        // its own once the last object exported on it is gone, so the port may take a moment to come free.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try {
                MemSyncMBeans.startRemote("127.0.0.1", port, null, false).stop();
                break;
            } catch (java.io.IOException stillBound) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("port " + port + " still bound 10 s after stop()", stillBound);
                }
                Thread.sleep(50);
            }
        }
    }
}
