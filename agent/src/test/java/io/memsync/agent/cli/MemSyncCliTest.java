package io.memsync.agent.cli;

import io.memsync.cluster.testkit.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line's help and its answers to wrong use, without a JVM to talk to. */
class MemSyncCliTest {
    private String out;
    private String err;

    private int run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int status = new MemSyncCli(new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8)).run(args);
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return status;
    }

    @Test
    void helpForEveryCommand() {
        assertEquals(0, run("help"));
        assertTrue(out.startsWith("usage: java -jar memsync.jar"), out);
        String help = out;
        for (String command : new String[] {"attach", "status", "migrate", "verify", "tls-keys", "completion"}) {
            assertTrue(help.contains("\n  " + command + " "), "help lists no " + command + ":\n" + help);
            assertEquals(0, run("help", command));
            assertTrue(out.startsWith("usage: java -jar memsync.jar " + command), out);
            assertEquals(0, run(command, "--help"));
            assertTrue(out.startsWith("usage: java -jar memsync.jar " + command), out);
        }
        assertEquals(2, run("help", "nosuchthing"));
        assertTrue(err.contains("no command or topic 'nosuchthing'"), err);
        assertEquals(0, run("help", "config"));
        assertTrue(out.contains("memsync.region.NAME.size") && out.contains("memsync.members"), out);
        assertEquals(2, run());
    }

    @Test
    void wrongUseExitsWithTwoAndSaysWhy() {
        assertEquals(2, run("frobnicate"));
        assertTrue(err.contains("unknown command 'frobnicate'"), err);
        assertEquals(2, run("verify"));
        assertTrue(err.contains("Missing required parameter: '<region>'") && err.contains("help verify"), err);
        assertEquals(2, run("status", "--colour", "red"));
        assertTrue(err.contains("Unknown option") && err.contains("'--colour'"), err);
        assertEquals(2, run("status", "--pid"));
        assertTrue(err.contains("Missing required parameter for option '--pid'"), err);
        assertEquals(2, run("migrate", "r", "b", "--timeout-ms", "soon"));
        assertTrue(err.contains("'soon' is not a long"), err);
        assertEquals(2, run("status", "--pid", "notanumber"));
        assertTrue(err.contains("'notanumber' is not a process id"), err);
        assertEquals(2, run("status", "--jmx", "nohostport"));
        assertTrue(err.contains("--jmx wants host:port"), err);
        assertEquals(2, run("attach", "1", "region.x.size=12x,secret=" + Fixtures.SECRET));
        assertTrue(err.contains("memsync.region.x.size=12x"), err);
    }

    @Test
    void tlsKeysMakesStoresWithWhichTwoNodesConnectOverMutualTls(@org.junit.jupiter.api.io.TempDir
                                                                      java.nio.file.Path dir) throws Exception {
        java.nio.file.Path keys = dir.resolve("keys");
        assertEquals(0, run("tls-keys", keys.toString(), "a", "b"), err);
        assertTrue(out.contains("memsync.tls.keystore=" + keys.resolve("a.p12")), out);
        java.nio.file.Path passwordFile = keys.resolve("password");
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(passwordFile)));
        String password = java.nio.file.Files.readAllLines(passwordFile).getFirst();
        io.memsync.cluster.wire.TlsConfig.Mode required = io.memsync.cluster.wire.TlsConfig.Mode.REQUIRED;
        io.memsync.cluster.wire.LinkSecurity a = new io.memsync.cluster.wire.LinkSecurity(Fixtures.secret(),
                io.memsync.cluster.wire.TlsConfig.of(required, keys.resolve("a.p12"), password,
                        keys.resolve("trust.p12"), password), true);
        io.memsync.cluster.wire.LinkSecurity b = new io.memsync.cluster.wire.LinkSecurity(Fixtures.secret(),
                io.memsync.cluster.wire.TlsConfig.of(required, keys.resolve("b.p12"), password,
                        keys.resolve("trust.p12"), password), true);
        try (io.memsync.cluster.wire.DataServer server = new io.memsync.cluster.wire.DataServer(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), b, 4);
             io.memsync.cluster.wire.LinkWatchdog watchdog = new io.memsync.cluster.wire.LinkWatchdog("test");
             io.memsync.cluster.wire.PeerLink link = io.memsync.cluster.wire.PeerLink.connect(server.address(), a,
                     "a", 65536, java.time.Duration.ZERO, java.time.Duration.ofSeconds(10), watchdog)) {
            assertEquals(0, server.refusedConnections(), link.peer());
        }
        assertEquals(2, run("tls-keys", keys.toString(), "c"));
        assertTrue(err.contains("exists already"), err);
        assertEquals(2, run("tls-keys", keys.toString()));
        assertTrue(err.contains("Missing required parameter: '<node>'"), err);
    }

    @Test
    void statusWithNoMemsyncJvmIsBadNewsNotWrongUse() {
        // No JVM of this user runs memsync here while this unit test runs (the ITs run later, in their own phase).
        assertEquals(1, run("status", "--pid", Long.toString(ProcessHandle.current().pid() + 1_000_000)));
        assertTrue(err.contains("no process"), err);
        assertEquals(1, run("status"));
        assertTrue(err.contains("no JVM on this host runs memsync"), err);
    }

    @Test
    void completionScriptCompletesTheCommands() {
        assertEquals(0, run("completion"));
        assertTrue(out.contains("complete -F _complete_memsync") && out.contains("tls-keys")
                && out.contains("--timeout-ms"), out);
    }

    @Test
    void progressBar() {
        assertEquals("  PRECOPY   [###############---------------]  50%", MemSyncCli.bar("PRECOPY", 0.5));
        assertEquals("  DONE      [##############################] 100%", MemSyncCli.bar("DONE", 1.0));
    }
}
