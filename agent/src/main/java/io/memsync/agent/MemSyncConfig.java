package io.memsync.agent;

import io.memsync.cluster.NodeConfig;
import io.memsync.cluster.wire.ReplicaSink;
import io.memsync.cluster.wire.TlsConfig;
import io.memsync.region.track.TrackerKind;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's configuration, validated as a whole before anything starts. Keys are {@code memsync.*}; they come
 * from, lowest precedence first: a properties file ({@code config=<file>} in the agent arguments, or
 * {@code -Dmemsync.config=<file>}), the agent arguments' inline {@code key=value} pairs (the {@code memsync.} prefix
 * may be left out), and {@code -Dmemsync.*} system properties. Every key is documented in the README and in
 * {@link #describeKeys()}.
 */
public record MemSyncConfig(String clusterName, String nodeName, String bind, int hazelcastPort,
                            List<String> members, int dataPort, byte[] secret, Duration pushInterval,
                            Duration flushTimeout, int flushQuorum, int minClusterSize, Duration startTimeout,
                            String jmxHost, int jmxPort, Path jmxPasswordFile, boolean jmxSsl,
                            String dashboardHost, int dashboardPort, Map<String, RegionConfig> regions,
                            TlsConfig tls, boolean channelBinding, Duration exitFlushTimeout,
                            Duration antiEntropyInterval, long antiEntropyBytes, boolean flushRequiresReplica) {
    private static final System.Logger LOG = System.getLogger(MemSyncConfig.class.getName());
    /** A secret of fewer different characters is refused as weak ("aaaa...", "1212..."). */
    static final int MIN_DISTINCT_SECRET_CHARACTERS = 8;

    /** Who creates a region: {@code owner} does, {@code replica} waits to be given a copy, {@code auto} either. */
    public enum Role { OWNER, REPLICA, AUTO }

    /**
     * One region as this node declares it.
     *
     * @param size   bytes; 0 for a region with a path and no size: the size of the file the application creates
     * @param path   a tmpfs file that is the region's memory here, for applications that map it; null: API only
     * @param create whether memsync creates a missing file (else it waits for the application to, and adopts it)
     */
    public record RegionConfig(String name, long size, int chunkSize, TrackerKind tracker, int replicas,
                               Duration pushInterval, Path path, Role role, boolean create) {
    }

    static final String PREFIX = "memsync.";
    private static final Pattern REGION_KEY = Pattern.compile("memsync\\.region\\.([^.]+)\\.(.+)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kKmMgGtT]?)[iI]?[bB]?");

    /** Global keys, with what each means and its default. */
    private static final Map<String, String> KEYS = new LinkedHashMap<>();
    /** Per-region keys (memsync.region.NAME.KEY). */
    private static final Map<String, String> REGION_KEYS = new LinkedHashMap<>();

    static {
        KEYS.put("memsync.config", "a properties file with more memsync.* keys");
        KEYS.put("memsync.cluster.name", "the cluster to join: nodes join only their own (default memsync)");
        KEYS.put("memsync.node.name", "this node's name in logs, JMX and the command line (default host-pid)");
        KEYS.put("memsync.bind", "the address Hazelcast and the data plane bind to and advertise (default "
                + "127.0.0.1)");
        KEYS.put("memsync.hazelcast.port", "Hazelcast member port (default 5701)");
        KEYS.put("memsync.members", "the members to join, host:port of their Hazelcast ports, comma-separated "
                + "(default: none, this node starts a cluster)");
        KEYS.put("memsync.data.port", "data plane port (default 0: any free port, published to the cluster)");
        KEYS.put("memsync.secret", "the cluster's shared secret, at least 16 characters (or memsync.secret.file, "
                + "or the MEMSYNC_SECRET environment variable)");
        KEYS.put("memsync.secret.file", "a file whose first line is the cluster's shared secret");
        KEYS.put("memsync.tls", "TLS 1.3 with mutual authentication on the data plane: off, on (connects with "
                + "TLS, accepts TLS and plain peers: the step of a rolling change) or required (refuses plain "
                + "peers); default off");
        KEYS.put("memsync.tls.keystore", "PKCS12 file with this node's private key and certificate chain");
        KEYS.put("memsync.tls.keystore.password.file", "a file (owner-only) whose first line is the key store's "
                + "password (also the key's)");
        KEYS.put("memsync.tls.truststore", "PKCS12 file with the certificates (or their CA's) of the nodes this node "
                + "accepts");
        KEYS.put("memsync.tls.truststore.password.file", "a file (owner-only) with the trust store's password "
                + "(default: the key store's)");
        KEYS.put("memsync.channel.binding", "without TLS, bind the data plane's secret handshake to the "
                + "connection's addresses, so a relayed handshake fails: addresses or none (NAT or a proxy between "
                + "nodes; default addresses)");
        KEYS.put("memsync.push.interval.ms", "how often owners push written chunks between flushes (default 10)");
        KEYS.put("memsync.flush.timeout.ms", "how long a flush waits for its replicas (default 10000)");
        KEYS.put("memsync.flush.require.replica", "true: a flush (MemSync.flush, force()) of a region that should "
                + "have replicas but has none placed fails; false: it succeeds and the writes are on this node only "
                + "(default false)");
        KEYS.put("memsync.flush.quorum", "replicas that must acknowledge a flush: all or a number (default all)");
        KEYS.put("memsync.min.cluster.size", "below this many members ownership is frozen (split-brain "
                + "protection; default 1: off)");
        KEYS.put("memsync.exit.flush.timeout.ms", "when the application ends (main returned, System.exit, SIGTERM): "
                + "how long the last flush of the regions owned here may wait for their replicas before the node "
                + "leaves anyway (default 5000)");
        KEYS.put("memsync.antientropy.interval.ms", "how often an owner compares a window of each region with its "
                + "replicas and sends again what differs (default 60000; 0: never, repair on demand only)");
        KEYS.put("memsync.antientropy.bytes", "how much of each region one such check compares (default 64m)");
        KEYS.put("memsync.start.timeout.ms", "how long API calls wait for the node to join and its regions to "
                + "open (default 60000)");
        KEYS.put("memsync.jmx.port", "remote JMX port (default 0: no remote JMX; the local platform server "
                + "always has the MBeans)");
        KEYS.put("memsync.jmx.host", "remote JMX bind address (default 127.0.0.1; other addresses need a "
                + "password file)");
        KEYS.put("memsync.jmx.password.file", "JMX password file (user password per line): turns on "
                + "authentication");
        KEYS.put("memsync.dashboard.port", "port of the web dashboard (members, regions, live charts, chunk maps, "
                + "flush and migrate buttons; default 0: none)");
        KEYS.put("memsync.dashboard.host", "the dashboard's bind address (default 127.0.0.1)");
        KEYS.put("memsync.jmx.ssl", "true: remote JMX over TLS with the JVM's default SSL context (default false)");
        REGION_KEYS.put("size", "the region's size: bytes, or with a k, m or g suffix (required without a path; with "
                + "one, the size of the file the application creates)");
        REGION_KEYS.put("create", "true: memsync creates the region's file (zeros, at its size) if it is missing; "
                + "false: it waits for the application to create and map it, and adopts it (default false)");
        REGION_KEYS.put("chunk.size", "unit of tracking and transfer: a power of two from 4k to 64m (default 64k)");
        REGION_KEYS.put("tracker", "auto, wp or hash (default: hash with a path, auto without)");
        REGION_KEYS.put("replicas", "how many other members hold a copy (default 1)");
        REGION_KEYS.put("push.interval.ms", "this region's push interval (default memsync.push.interval.ms)");
        REGION_KEYS.put("path", "a file on a tmpfs (/dev/shm) that is the region's memory here: the application "
                + "maps it with FileChannel.map or mmap and memsync keeps it in sync");
        REGION_KEYS.put("role", "owner (creates it), replica (waits for a copy) or auto (creates it unless the "
                + "cluster has it; default)");
    }

    /** Every key and what it means, for help texts. */
    public static String describeKeys() {
        StringBuilder b = new StringBuilder();
        KEYS.forEach((k, v) -> b.append(String.format("  %-28s %s%n", k, v)));
        REGION_KEYS.forEach((k, v) -> b.append(String.format("  %-28s %s%n", "memsync.region.NAME." + k, v)));
        return b.toString();
    }

    /**
     * Reads the configuration from the agent arguments and the system properties.
     *
     * @throws ConfigException naming the first key at fault
     */
    public static MemSyncConfig load(String agentArgs, Properties system) {
        Map<String, String> inline = parseAgentArgs(agentArgs);
        Map<String, String> merged = new TreeMap<>();
        String file = firstNonNull(system.getProperty("memsync.config"), inline.get("memsync.config"));
        if (file != null) {
            merged.putAll(readFile(Path.of(file)));
        }
        merged.putAll(inline);
        for (String name : system.stringPropertyNames()) {
            if (name.startsWith(PREFIX)) {
                merged.put(name, system.getProperty(name));
            }
        }
        merged.remove("memsync.config");
        MemSyncConfig config = from(merged, System.getenv("MEMSYNC_SECRET"));
        // Once the configuration holds: a start that fails says one thing, what is wrong.
        if (inline.containsKey("memsync.secret") || system.getProperty("memsync.secret") != null) {
            LOG.log(System.Logger.Level.WARNING, "memsync.secret is given on the command line ("
                    + (inline.containsKey("memsync.secret") ? "agent arguments" : "-Dmemsync.secret")
                    + "), which every user of this host can read in /proc/<pid>/cmdline: put it in a file only its "
                    + "owner can read and name that file with memsync.secret.file (or set MEMSYNC_SECRET)");
        }
        return config;
    }

    /**
     * Splits agent arguments: {@code key=value} pairs separated by commas; a piece without '=' continues the
     * previous value (so {@code members=a:1,b:2} works). Keys may leave out the {@code memsync.} prefix;
     * {@code config=} names a properties file.
     */
    static Map<String, String> parseAgentArgs(String args) {
        Map<String, String> out = new LinkedHashMap<>();
        if (args == null || args.isBlank()) {
            return out;
        }
        String lastKey = null;
        for (String piece : args.split(",")) {
            int eq = piece.indexOf('=');
            if (eq < 0) {
                if (lastKey == null) {
                    throw new ConfigException("agent arguments", args, "expected key=value pairs separated by "
                            + "commas, such as config=/etc/memsync.properties,node.name=a");
                }
                out.put(lastKey, out.get(lastKey) + "," + piece.trim());
                continue;
            }
            String key = piece.substring(0, eq).trim();
            if (key.isEmpty()) {
                throw new ConfigException("agent arguments", args, "'" + piece + "' has no key before '='");
            }
            lastKey = key.startsWith(PREFIX) ? key : PREFIX + key;
            out.put(lastKey, piece.substring(eq + 1).trim());
        }
        return out;
    }

    private static Map<String, String> readFile(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new ConfigException("memsync.config", file.toString(), "cannot read it (" + e + ")");
        } catch (IllegalArgumentException e) {
            throw new ConfigException("memsync.config", file.toString(), "not a properties file: " + e.getMessage());
        }
        Map<String, String> out = new TreeMap<>();
        for (String name : p.stringPropertyNames()) {
            if (!name.startsWith(PREFIX)) {
                throw new ConfigException(name, p.getProperty(name), "keys in " + file + " must start with "
                        + "memsync.");
            }
            out.put(name, p.getProperty(name).trim());
        }
        return out;
    }

    /** Validates {@code keys} (all {@code memsync.*}) into a configuration. */
    static MemSyncConfig from(Map<String, String> keys, String secretFromEnvironment) {
        Map<String, Map<String, String>> regionKeys = new TreeMap<>();
        for (Map.Entry<String, String> e : keys.entrySet()) {
            String key = e.getKey();
            Matcher m = REGION_KEY.matcher(key);
            if (m.matches()) {
                if (!REGION_KEYS.containsKey(m.group(2))) {
                    throw new ConfigException(key, e.getValue(), "unknown region key '" + m.group(2) + "'"
                            + suggestion(m.group(2), REGION_KEYS.keySet()) + "; region keys are "
                            + String.join(", ", REGION_KEYS.keySet()));
                }
                regionKeys.computeIfAbsent(m.group(1), n -> new TreeMap<>()).put(m.group(2), e.getValue());
            } else if (!KEYS.containsKey(key)) {
                throw new ConfigException(key, e.getValue(), "unknown key" + suggestion(key, KEYS.keySet())
                        + "; see the README's configuration table, or java -jar memsync.jar help config");
            }
        }
        Keys r = new Keys(keys);
        String clusterName = r.string("memsync.cluster.name", "memsync");
        String nodeName = r.string("memsync.node.name", defaultNodeName());
        String bind = r.string("memsync.bind", "127.0.0.1");
        int hzPort = r.integer("memsync.hazelcast.port", 5701, 1, 65535);
        List<String> members = r.list("memsync.members");
        for (String member : members) {
            if (!member.matches("[^:\\s]+:\\d{1,5}")) {
                throw new ConfigException("memsync.members", keys.get("memsync.members"), "'" + member + "' is "
                        + "not host:port");
            }
        }
        int dataPort = r.integer("memsync.data.port", 0, 0, 65535);
        byte[] secret = secret(keys, secretFromEnvironment);
        Duration push = Duration.ofMillis(r.integer("memsync.push.interval.ms", 10, 1, 60_000));
        Duration flushTimeout = Duration.ofMillis(r.integer("memsync.flush.timeout.ms", 10_000, 200, 3_600_000));
        String quorumText = r.string("memsync.flush.quorum", "all");
        int quorum = quorumText.equalsIgnoreCase("all") ? ReplicaSink.ALL
                : r.integer("memsync.flush.quorum", 0, 0, 64);
        int minClusterSize = r.integer("memsync.min.cluster.size", 1, 1, 1000);
        Duration startTimeout = Duration.ofMillis(r.integer("memsync.start.timeout.ms", 60_000, 1, 3_600_000));
        Duration exitFlushTimeout = Duration.ofMillis(r.integer("memsync.exit.flush.timeout.ms", 5_000, 0,
                3_600_000));
        Duration antiEntropyInterval = Duration.ofMillis(r.integer("memsync.antientropy.interval.ms", 60_000, 0,
                86_400_000));
        long antiEntropyBytes = r.size("memsync.antientropy.bytes", 64L << 20, 4096, 1L << 40);
        boolean flushRequiresReplica = r.bool("memsync.flush.require.replica", false);
        String jmxHost = r.string("memsync.jmx.host", "127.0.0.1");
        int jmxPort = r.integer("memsync.jmx.port", 0, 0, 65535);
        String pw = r.string("memsync.jmx.password.file", null);
        Path jmxPasswords = pw == null ? null : path("memsync.jmx.password.file", pw);
        if (jmxPasswords != null && !Files.isReadable(jmxPasswords)) {
            throw new ConfigException("memsync.jmx.password.file", pw, "the file cannot be read");
        }
        boolean jmxSsl = r.bool("memsync.jmx.ssl", false);
        String dashboardHost = r.string("memsync.dashboard.host", "127.0.0.1");
        int dashboardPort = r.integer("memsync.dashboard.port", 0, 0, 65535);
        if (dashboardPort > 0 && jmxPasswords == null && !loopback(dashboardHost)) {
            throw new ConfigException("memsync.dashboard.host", dashboardHost, "not a loopback address: anyone who "
                    + "reaches the dashboard there could flush and migrate; give memsync.jmx.password.file (its users "
                    + "may act on the dashboard) or keep the dashboard on 127.0.0.1");
        }
        TlsConfig tls = tls(r, keys);
        String bindingText = r.string("memsync.channel.binding", "addresses");
        if (!bindingText.equals("addresses") && !bindingText.equals("none")) {
            throw new ConfigException("memsync.channel.binding", bindingText, "choose addresses or none");
        }
        Map<String, RegionConfig> regions = new LinkedHashMap<>();
        regionKeys.forEach((name, values) -> regions.put(name, region(name, values, push)));
        Set<Path> paths = new TreeSet<>();
        for (RegionConfig region : regions.values()) {
            if (region.path() != null && !paths.add(region.path())) {
                throw new ConfigException("memsync.region." + region.name() + ".path", region.path().toString(),
                        "another region has this path already: each region needs its own file");
            }
        }
        return new MemSyncConfig(clusterName, nodeName, bind, hzPort, members, dataPort, secret, push, flushTimeout,
                quorum, minClusterSize, startTimeout, jmxHost, jmxPort, jmxPasswords, jmxSsl, dashboardHost,
                dashboardPort, java.util.Collections.unmodifiableMap(regions), tls, bindingText.equals("addresses"),
                exitFlushTimeout, antiEntropyInterval, antiEntropyBytes, flushRequiresReplica);
    }

    private static TlsConfig tls(Keys r, Map<String, String> keys) {
        String modeText = r.string("memsync.tls", "off");
        TlsConfig.Mode mode;
        try {
            mode = TlsConfig.Mode.parse(modeText);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("memsync.tls", modeText, "choose off, on or required");
        }
        if (mode == TlsConfig.Mode.OFF) {
            for (String key : KEYS.keySet()) {
                if (key.startsWith("memsync.tls.") && keys.containsKey(key)) {
                    throw new ConfigException(key, keys.get(key), "given while memsync.tls is off: set memsync.tls=on "
                            + "or required to use it, or remove it");
                }
            }
            return TlsConfig.OFF;
        }
        Path keyStore = store(r, keys, "memsync.tls.keystore");
        Path trustStore = store(r, keys, "memsync.tls.truststore");
        if (!keys.containsKey("memsync.tls.keystore.password.file")) {
            throw new ConfigException("memsync.tls.keystore.password.file", null, "memsync.tls=" + modeText + " needs "
                    + "the key store's password in a file readable by its owner only");
        }
        String keyPassword = privateFirstLine("memsync.tls.keystore.password.file", keys);
        String trustPassword = keys.containsKey("memsync.tls.truststore.password.file")
                ? privateFirstLine("memsync.tls.truststore.password.file", keys) : keyPassword;
        return TlsConfig.of(mode, keyStore, keyPassword, trustStore, trustPassword);
    }

    private static Path store(Keys r, Map<String, String> keys, String key) {
        String text = r.string(key, null);
        if (text == null) {
            throw new ConfigException(key, null, "memsync.tls=" + keys.get("memsync.tls") + " needs it (a PKCS12 "
                    + "file; docs/security.md shows how to make one with keytool)");
        }
        Path file = path(key, text);
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new ConfigException(key, text, "not a readable file");
        }
        return file;
    }

    /**
     * The first line of the owner-only file named by {@code key}: a secret or a password, refused when others can
     * read it or when it is not a small regular file (a FIFO or a device would block the start).
     */
    private static String privateFirstLine(String key, Map<String, String> keys) {
        try {
            Path file = path(key, keys.get(key));
            if (!Files.isRegularFile(file) || Files.size(file) > 65536) {
                throw new ConfigException(key, keys.get(key), "not a regular file of at most 64 KiB (the secret "
                        + "or password on its first line)");
            }
            Set<PosixFilePermission> open = new java.util.HashSet<>(Files.getPosixFilePermissions(file));
            open.retainAll(Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                    PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE));
            if (!open.isEmpty()) {
                throw new ConfigException(key, keys.get(key), "the file is open to others ("
                        + PosixFilePermissions.toString(Files.getPosixFilePermissions(file)) + "): make it "
                        + "readable by its owner only (chmod 600)");
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return lines.isEmpty() ? "" : lines.getFirst().trim();
        } catch (IOException e) {
            throw new ConfigException(key, keys.get(key), "cannot read it (" + e + ")");
        }
    }

    private static RegionConfig region(String name, Map<String, String> values, Duration defaultPush) {
        String p = "memsync.region." + name + ".";
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,199}")) {
            throw new ConfigException(p + "*", name, "region names are 1 to 200 letters, digits, '_' or '-', "
                    + "starting with a letter or digit");
        }
        Map<String, String> keys = new TreeMap<>();
        values.forEach((k, v) -> keys.put(p + k, v));
        Keys r = new Keys(keys);
        int chunk = (int) r.size(p + "chunk.size", 64 * 1024, 4096, 64L << 20);
        if (Integer.bitCount(chunk) != 1) {
            throw new ConfigException(p + "chunk.size", keys.get(p + "chunk.size"), "a power of two from 4k to 64m");
        }
        boolean sized = keys.containsKey(p + "size");
        if (!sized && !keys.containsKey(p + "path")) {
            throw new ConfigException(p + "size", null, "every region without a path needs a size (bytes, or with a "
                    + "k, m or g suffix), a multiple of its chunk size");
        }
        long size = sized ? r.size(p + "size", 0, chunk, 1L << 40) : 0;
        if (size % chunk != 0) {
            throw new ConfigException(p + "size", keys.get(p + "size"), "must be a multiple of the chunk size ("
                    + chunk + " bytes)");
        }
        String pathText = r.string(p + "path", null);
        Path path = null;
        if (pathText != null) {
            path = path("memsync.region." + name + ".path", pathText).toAbsolutePath().normalize();
            // The nearest directory that exists decides the file system; the agent makes the rest at start.
            Path dir = path.getParent();
            while (dir != null && !Files.isDirectory(dir)) {
                dir = dir.getParent();
            }
            try {
                String type = dir == null ? "nothing" : Files.getFileStore(dir).type();
                if (!"tmpfs".equals(type)) {
                    throw new ConfigException(p + "path", pathText, "the file must be on a tmpfs such as /dev/shm "
                            + "(its directory is on " + type + ")");
                }
            } catch (IOException e) {
                throw new ConfigException(p + "path", pathText, "its directory cannot be read (" + e + ")");
            }
        }
        String trackerText = r.string(p + "tracker", path == null ? "auto" : "hash");
        TrackerKind tracker;
        try {
            tracker = TrackerKind.parse(trackerText);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(p + "tracker", trackerText, "choose auto, wp or hash");
        }
        if (tracker == TrackerKind.EXPLICIT) {
            throw new ConfigException(p + "tracker", trackerText, "choose auto, wp or hash (explicit tracking "
                    + "is for the library API)");
        }
        if (path != null && tracker != TrackerKind.HASH) {
            throw new ConfigException(p + "tracker", trackerText, "a region with a path is written through the "
                    + "application's own mappings, which write-protect tracking cannot see: use hash");
        }
        int replicas = r.integer(p + "replicas", 1, 0, 64);
        Duration push = keys.containsKey(p + "push.interval.ms")
                ? Duration.ofMillis(r.integer(p + "push.interval.ms", 10, 1, 60_000)) : defaultPush;
        String roleText = r.string(p + "role", "auto");
        Role role;
        try {
            role = Role.valueOf(roleText.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(p + "role", roleText, "choose owner, replica or auto");
        }
        boolean create = r.bool(p + "create", false);
        if (create && path == null) {
            throw new ConfigException(p + "create", keys.get(p + "create"), "only a region with a path has a file to "
                    + "create");
        }
        if (create && !sized) {
            throw new ConfigException(p + "size", null, "memsync.region." + name + ".create=true needs the size of "
                    + "the file to create");
        }
        return new RegionConfig(name, size, chunk, tracker, replicas, push, path, role, create);
    }

    private static byte[] secret(Map<String, String> keys, String fromEnvironment) {
        String text = keys.get("memsync.secret");
        String key = "memsync.secret";
        if (text == null && keys.containsKey("memsync.secret.file")) {
            key = "memsync.secret.file";
            text = privateFirstLine(key, keys);
        }
        if (text == null) {
            text = fromEnvironment;
            key = "MEMSYNC_SECRET (environment)";
        }
        if (text == null) {
            throw new ConfigException("memsync.secret", null, "every node of a cluster needs the same secret of at "
                    + "least 16 characters: set memsync.secret, memsync.secret.file or MEMSYNC_SECRET");
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < 16) {
            throw new ConfigException(key, "(" + bytes.length + " bytes, hidden)", "the secret must be at least 16 "
                    + "bytes");
        }
        long distinct = text.chars().distinct().count();
        if (distinct < MIN_DISTINCT_SECRET_CHARACTERS) {
            throw new ConfigException(key, "(" + bytes.length + " bytes, hidden)", "the secret is too weak ("
                    + distinct + " different characters; one sniffed handshake lets anyone guess it offline): use at "
                    + "least " + MIN_DISTINCT_SECRET_CHARACTERS + " different characters, for example the output of "
                    + "'openssl rand -base64 24'");
        }
        return bytes;
    }

    /** The node configuration these keys describe. */
    public NodeConfig nodeConfig() {
        return new NodeConfig(nodeName, clusterName, bind, hazelcastPort, members, dataPort, secret, pushInterval,
                flushTimeout, flushQuorum, Duration.ofSeconds(1), minClusterSize, 4, tls, channelBinding);
    }

    /** The region whose path is {@code file}, or null. */
    public RegionConfig regionAt(Path file) {
        Path normal = file.toAbsolutePath().normalize();
        for (RegionConfig r : regions.values()) {
            if (normal.equals(r.path())) {
                return r;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "MemSyncConfig[cluster " + clusterName + ", node " + nodeName + " at " + bind + ":" + hazelcastPort
                + ", members " + members + ", regions " + regions.keySet() + "]";
    }

    private static String defaultNodeName() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "host";
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    private static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }

    /** " (did you mean X?)" for a near miss among {@code known}, else "". */
    private static String suggestion(String key, Set<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(key, k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return best != null && bestDistance <= Math.max(2, key.length() / 5) ? " (did you mean " + best + "?)" : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Typed reads of keys, each failing with the key, the value and what is allowed. */
    private record Keys(Map<String, String> keys) {
        String string(String key, String fallback) {
            String v = keys.get(key);
            if (v == null) {
                return fallback;
            }
            if (v.isBlank()) {
                throw new ConfigException(key, v, "must not be empty");
            }
            return v.trim();
        }

        int integer(String key, int fallback, int min, int max) {
            String v = keys.get(key);
            if (v == null) {
                return fallback;
            }
            try {
                int n = Integer.parseInt(v.trim());
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new ConfigException(key, v, "a whole number from " + min + " to " + max);
        }

        boolean bool(String key, boolean fallback) {
            String v = keys.get(key);
            if (v == null) {
                return fallback;
            }
            return switch (v.trim().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on" -> true;
                case "false", "no", "off" -> false;
                default -> throw new ConfigException(key, v, "true or false");
            };
        }

        long size(String key, long fallback, long min, long max) {
            String v = keys.get(key);
            if (v == null) {
                return fallback;
            }
            Matcher m = SIZE.matcher(v.trim());
            if (m.matches()) {
                try {
                    long n = Long.parseLong(m.group(1));
                    int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                        case "k" -> 10;
                        case "m" -> 20;
                        case "g" -> 30;
                        case "t" -> 40;
                        default -> 0;
                    };
                    if (n <= (Long.MAX_VALUE >> shift)) {
                        long bytes = n << shift;
                        if (bytes >= min && bytes <= max) {
                            return bytes;
                        }
                    }
                } catch (NumberFormatException ignored) {
                    // reported below
                }
            }
            throw new ConfigException(key, v, "a size from " + min + " to " + max + " bytes, such as 65536, 64k, "
                    + "16m or 1g");
        }

        List<String> list(String key) {
            String v = keys.get(key);
            if (v == null || v.isBlank()) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (String s : v.split("[,\\s]+")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
            return out;
        }
    }

    /** Whether {@code host} is a loopback address: "localhost" or a literal one (a name is not looked up). */
    private static boolean loopback(String host) {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!host.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
            return false;
        }
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            throw new ConfigException("memsync.dashboard.host", host, "not an address");
        }
    }

    private static Path path(String key, String text) {
        try {
            return Path.of(text);
        } catch (java.nio.file.InvalidPathException e) {
            throw new ConfigException(key, text, "not a path (" + e.getReason() + ")");
        }
    }
}
