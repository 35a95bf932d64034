package io.memsync.agent;

import io.memsync.cluster.wire.ReplicaSink;
import io.memsync.region.track.TrackerKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static io.memsync.cluster.testkit.Fixtures.SECRET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemSyncConfigTest {
    @Test
    void agentArgumentsSplitOnCommasAndKeepListValuesTogether() {
        Map<String, String> args = MemSyncConfig.parseAgentArgs("config=/etc/m.properties,members=a:1,b:2,"
                + "memsync.node.name=n1");
        assertEquals(Map.of("memsync.config", "/etc/m.properties", "memsync.members", "a:1,b:2",
                "memsync.node.name", "n1"), args);
        ConfigException e = assertThrows(ConfigException.class, () -> MemSyncConfig.parseAgentArgs("oops"));
        assertTrue(e.getMessage().contains("key=value"), e.getMessage());
    }

    @Test
    void defaultsAndRegionKeys() {
        MemSyncConfig c = MemSyncConfig.from(Map.of("memsync.secret", SECRET, "memsync.region.cache.size", "16m",
                "memsync.region.cache.replicas", "2", "memsync.region.cache.chunk.size", "4k"), null);
        assertEquals("memsync", c.clusterName());
        assertEquals("127.0.0.1", c.bind());
        assertEquals(5701, c.hazelcastPort());
        assertEquals(ReplicaSink.ALL, c.flushQuorum());
        MemSyncConfig.RegionConfig r = c.regions().get("cache");
        assertEquals(16L << 20, r.size());
        assertEquals(4096, r.chunkSize());
        assertEquals(2, r.replicas());
        assertEquals(TrackerKind.AUTO, r.tracker());
        assertEquals(MemSyncConfig.Role.AUTO, r.role());
        assertNull(r.path());
    }

    @Test
    void aRegionWithAPathIsHashTrackedAndFoundByItsFile() {
        MemSyncConfig c = MemSyncConfig.from(Map.of("memsync.secret", SECRET, "memsync.region.s.size", "1m",
                "memsync.region.s.path", "/dev/shm/memsync-config-test/../memsync-config-test/s"), null);
        assertEquals(TrackerKind.HASH, c.regions().get("s").tracker());
        assertEquals("s", c.regionAt(Path.of("/dev/shm/memsync-config-test/s")).name());
        assertNull(c.regionAt(Path.of("/dev/shm/other")));
        ConfigException e = assertThrows(ConfigException.class, () -> MemSyncConfig.from(Map.of("memsync.secret",
                SECRET, "memsync.region.s.size", "1m", "memsync.region.s.path", "/dev/shm/memsync-config-test/s",
                "memsync.region.s.tracker", "wp"), null));
        assertTrue(e.getMessage().contains("use hash"), e.getMessage());
    }

    @Test
    void aRegionWithAPathTakesItsFilesSizeAndMemsyncCreatesTheFileOnlyWhenTold() {
        MemSyncConfig c = MemSyncConfig.from(Map.of("memsync.secret", SECRET,
                "memsync.region.s.path", "/dev/shm/memsync-config-test/s"), null);
        assertEquals(0, c.regions().get("s").size(), "no size: the file's");
        assertEquals(false, c.regions().get("s").create());
        assertEquals(true, MemSyncConfig.from(Map.of("memsync.secret", SECRET, "memsync.region.s.size", "1m",
                "memsync.region.s.path", "/dev/shm/memsync-config-test/s", "memsync.region.s.create", "true"),
                null).regions().get("s").create());
        assertBad(Map.of("memsync.region.c.replicas", "1"), "memsync.region.c.size is missing",
                "without a path needs a size");
        assertBad(Map.of("memsync.region.c.size", "1m", "memsync.region.c.create", "true"),
                "memsync.region.c.create=true", "only a region with a path");
        assertBad(Map.of("memsync.region.c.path", "/dev/shm/memsync-config-test/c", "memsync.region.c.create",
                "true"), "memsync.region.c.size is missing", "create=true needs the size");
    }

    @Test
    void everyBadValueNamesItsKeyTheValueAndWhatIsAllowed() {
        assertBad(Map.of("memsync.region.c.size", "100000"), "memsync.region.c.size=100000",
                "multiple of the chunk size");
        assertBad(Map.of("memsync.region.c.size", "1m", "memsync.region.c.chunk.size", "48k"),
                "memsync.region.c.chunk.size=48k", "power of two");
        assertBad(Map.of("memsync.region.c.chunk.size", "64k"), "memsync.region.c.size is missing", "needs a size");
        assertBad(Map.of("memsync.hazelcast.port", "70000"), "memsync.hazelcast.port=70000", "1 to 65535");
        assertBad(Map.of("memsync.members", "a:1,b"), "memsync.members=a:1,b", "'b' is not host:port");
        assertBad(Map.of("memsync.region.c.size", "1m", "memsync.region.c.role", "leader"),
                "memsync.region.c.role=leader", "owner, replica or auto");
        assertBad(Map.of("memsync.region.c.sise", "1m"), "memsync.region.c.sise=1m", "did you mean size?");
        assertBad(Map.of("memsync.jmx.ssl", "maybe"), "memsync.jmx.ssl=maybe", "true or false");
        assertBad(Map.of("memsync.push.interval.ms", "0"), "memsync.push.interval.ms=0", "1 to 60000");
        assertBad(Map.of("memsync.dashboard.port", "8080", "memsync.dashboard.host", "0.0.0.0"),
                "memsync.dashboard.host=0.0.0.0", "give memsync.jmx.password.file");
        ConfigException shortSecret = assertThrows(ConfigException.class,
                () -> MemSyncConfig.from(Map.of("memsync.secret", "short"), null));
        assertTrue(shortSecret.getMessage().contains("at least 16"), shortSecret.getMessage());
        assertTrue(!shortSecret.getMessage().contains("short"), "the secret is not printed");
    }

    @Test
    void systemPropertiesOverrideArgumentsWhichOverrideTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.properties");
        Files.write(file, List.of("memsync.secret=" + SECRET, "memsync.node.name=from-file",
                "memsync.cluster.name=from-file", "memsync.hazelcast.port=6000"));
        Properties system = new Properties();
        system.setProperty("memsync.node.name", "from-system");
        MemSyncConfig c = MemSyncConfig.load("config=" + file + ",node.name=from-args,cluster.name=from-args",
                system);
        assertEquals("from-system", c.nodeName());
        assertEquals("from-args", c.clusterName());
        assertEquals(6000, c.hazelcastPort());
        Files.write(file, List.of("cluster.name=x"));
        ConfigException e = assertThrows(ConfigException.class, () -> MemSyncConfig.load("config=" + file,
                new Properties()));
        assertTrue(e.getMessage().contains("must start with memsync."), e.getMessage());
    }

    @Test
    void aSecretFileOpenToOthersIsRefusedAndOneOnlyItsOwnerReadsIsTaken(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("secret");
        Files.write(file, List.of(SECRET));
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        ConfigException e = assertThrows(ConfigException.class,
                () -> MemSyncConfig.from(Map.of("memsync.secret.file", file.toString()), null));
        assertTrue(e.getMessage().contains("memsync.secret.file") && e.getMessage().contains("chmod 600"),
                e.getMessage());
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals(SECRET, new String(MemSyncConfig.from(Map.of("memsync.secret.file", file.toString()), null)
                .secret(), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void tlsKeysMakeTheNodesTlsAndEveryMistakeNamesItsKey(@TempDir Path dir) throws Exception {
        io.memsync.cluster.testkit.TlsStores stores = io.memsync.cluster.testkit.TlsStores.get();
        Path password = dir.resolve("tls-password");
        Files.write(password, List.of(io.memsync.cluster.testkit.TlsStores.PASSWORD));
        Files.setPosixFilePermissions(password, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Map<String, String> keys = new java.util.HashMap<>(Map.of("memsync.secret", SECRET, "memsync.tls", "required",
                "memsync.tls.keystore", stores.nodeKeys().toString(), "memsync.tls.truststore",
                stores.trusted().toString(), "memsync.tls.keystore.password.file", password.toString()));
        io.memsync.cluster.NodeConfig node = MemSyncConfig.from(keys, null).nodeConfig();
        assertEquals(io.memsync.cluster.wire.TlsConfig.Mode.REQUIRED, node.tls().mode());
        assertEquals(io.memsync.cluster.testkit.TlsStores.PASSWORD, node.tls().trustStorePassword(),
                "the trust store's password defaults to the key store's");
        assertTrue(node.bindAddresses());
        assertTrue(!node.tls().toString().contains(io.memsync.cluster.testkit.TlsStores.PASSWORD));
        // The node loads the stores at start: what the configuration names works.
        new io.memsync.cluster.wire.LinkSecurity(node.secret(), node.tls(), node.bindAddresses());

        Map<String, String> noStore = new java.util.HashMap<>(keys);
        noStore.remove("memsync.tls.truststore");
        assertRefused(noStore, "memsync.tls.truststore");
        Map<String, String> noPassword = new java.util.HashMap<>(keys);
        noPassword.remove("memsync.tls.keystore.password.file");
        assertRefused(noPassword, "memsync.tls.keystore.password.file");
        Map<String, String> missing = new java.util.HashMap<>(keys);
        missing.put("memsync.tls.keystore", dir.resolve("none.p12").toString());
        assertRefused(missing, "memsync.tls.keystore");
        assertRefused(Map.of("memsync.secret", SECRET, "memsync.tls", "maybe"), "memsync.tls");
        assertRefused(Map.of("memsync.secret", SECRET, "memsync.tls.keystore", stores.nodeKeys().toString()),
                "memsync.tls.keystore");
        assertRefused(Map.of("memsync.secret", SECRET, "memsync.channel.binding", "mac"), "memsync.channel.binding");
        Files.setPosixFilePermissions(password, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        ConfigException open = assertRefused(keys, "memsync.tls.keystore.password.file");
        assertTrue(open.getMessage().contains("chmod 600"), open.getMessage());
        assertTrue(!MemSyncConfig.from(Map.of("memsync.secret", SECRET, "memsync.channel.binding", "none"), null)
                .nodeConfig().bindAddresses());
    }

    private static ConfigException assertRefused(Map<String, String> keys, String key) {
        ConfigException e = assertThrows(ConfigException.class, () -> MemSyncConfig.from(keys, null), key);
        assertTrue(e.getMessage().contains(key), e.getMessage());
        return e;
    }

    @Test
    void aWeakSecretIsRefusedWithoutPrintingIt() {
        for (String weak : List.of("aaaaaaaaaaaaaaaaaaaa", "1212121212121212", "abcdabcdabcdabcd")) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> MemSyncConfig.from(Map.of("memsync.secret", weak), null), weak);
            assertTrue(e.getMessage().contains("too weak") && e.getMessage().contains("openssl rand"), e.getMessage());
            assertTrue(!e.getMessage().contains(weak), "the secret is not printed");
        }
    }

    @Test
    void aSecretOnTheCommandLineIsTakenWithAWarningThatNamesTheSecretFile() {
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(MemSyncConfig.class.getName());
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                warnings.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(handler);
        try {
            MemSyncConfig c = MemSyncConfig.load("memsync.secret=" + SECRET, new Properties());
            assertEquals(SECRET, new String(c.secret(), java.nio.charset.StandardCharsets.UTF_8));
            assertTrue(warnings.stream().anyMatch(w -> w.startsWith("WARNING") && w.contains("/proc/<pid>/cmdline")
                    && w.contains("memsync.secret.file")), warnings.toString());
            warnings.clear();
            Properties system = new Properties();
            system.setProperty("memsync.secret", SECRET);
            MemSyncConfig.load("", system);
            assertTrue(warnings.stream().anyMatch(w -> w.contains("-Dmemsync.secret")), warnings.toString());
        } finally {
            jul.removeHandler(handler);
        }
    }

    private static void assertBad(Map<String, String> keys, String names, String allowed) {
        Map<String, String> all = new java.util.HashMap<>(keys);
        all.put("memsync.secret", SECRET);
        ConfigException e = assertThrows(ConfigException.class, () -> MemSyncConfig.from(all, null));
        assertTrue(e.getMessage().startsWith("memsync: invalid configuration: ") && e.getMessage().contains(names)
                && e.getMessage().contains(allowed), e.getMessage());
    }

    /**
     * Found while writing the configuration's fuzz target: a NUL in a path threw InvalidPathException, naming no
     * key, and a secret file that is a FIFO blocked the start for ever (it must be a regular file).
     */
    @Test
    @org.junit.jupiter.api.Timeout(30)
    void aPathThatIsNoneAndASecretFileThatIsNoFileNameTheirKey(@TempDir Path dir) throws Exception {
        assertBad(Map.of("memsync.region.c.size", "1m", "memsync.region.c.path", "/dev/shm/a\u0000b"),
                "memsync.region.c.path", "not a path");
        Path fifo = dir.resolve("secret.fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", "-m", "600", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo");
        ConfigException e = assertThrows(ConfigException.class, () -> MemSyncConfig.from(Map.of(
                "memsync.secret.file", fifo.toString()), null));
        assertTrue(e.getMessage().contains("memsync.secret.file") && e.getMessage().contains("regular file"),
                e.getMessage());
        ConfigException nul = assertThrows(ConfigException.class, () -> MemSyncConfig.from(Map.of(
                "memsync.secret.file", "/tmp/a\u0000b"), null));
        assertTrue(nul.getMessage().contains("memsync.secret.file") && nul.getMessage().contains("not a path"),
                nul.getMessage());
    }
}
