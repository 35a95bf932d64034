package io.memsync.agent.cli;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import io.memsync.agent.ConfigException;
import io.memsync.agent.MemSyncConfig;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code java -jar memsync.jar <command>}: attach the agent to a running JVM, and talk to a running memsync node over
 * JMX (status, migrate, verify). Exit status 0 on success, 1 when the command ran and found a problem (checksums
 * differ, a migration failed), 2 on bad usage or when it could not run.
 */
public final class MemSyncCli {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    private final PrintStream out;
    private final PrintStream err;

    MemSyncCli(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(new MemSyncCli(System.out, System.err).run(args));
    }

    int run(String[] args) {
        if (args.length == 0) {
            out.print(HELP);
            return USAGE;
        }
        try {
            Options o = Options.parse(args);
            return switch (o.command()) {
                case "help", "-h", "--help" -> help(o);
                case "attach" -> attach(o);
                case "status" -> status(o);
                case "migrate" -> migrate(o);
                case "verify" -> verify(o);
                case "tls-keys" -> tlsKeys(o);
                default -> usage("unknown command '" + o.command() + "'");
            };
        } catch (UsageException e) {
            return usage(e.getMessage());
        } catch (ConfigException e) {
            err.println(e.getMessage());
            return USAGE;
        } catch (Exception e) {
            err.println("memsync: " + messageOf(e));
            return USAGE;
        }
    }

    private static String messageOf(Exception e) {
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    private int usage(String problem) {
        err.println("memsync: " + problem);
        err.println("run java -jar memsync.jar help for the commands");
        return USAGE;
    }

    private int help(Options o) {
        String topic = o.positional().isEmpty() ? "" : o.positional().getFirst();
        out.print(switch (topic) {
            case "attach" -> ATTACH_HELP;
            case "status" -> STATUS_HELP;
            case "migrate" -> MIGRATE_HELP;
            case "verify" -> VERIFY_HELP;
            case "tls-keys" -> TLS_KEYS_HELP;
            case "config" -> "Configuration keys (agent arguments, a properties file, or -D):\n"
                    + MemSyncConfig.describeKeys();
            default -> HELP;
        });
        return OK;
    }

    private int attach(Options o) throws Exception {
        if (o.positional().isEmpty() || o.positional().size() > 2) {
            throw new UsageException("attach needs a pid and optionally the agent arguments\n" + ATTACH_HELP);
        }
        String pid = o.positional().get(0);
        String agentArgs = o.positional().size() > 1 ? o.positional().get(1) : "";
        // Checked here first for a message on this terminal; the target checks again with its own -D properties.
        MemSyncConfig.load(agentArgs, new Properties());
        Path jar = ownJar();
        VirtualMachine vm = attachTo(pid);
        try {
            out.println("memsync: loading " + jar + " into JVM " + pid + " ...");
            long start = System.nanoTime();
            vm.loadAgent(jar.toString(), agentArgs);
            out.println("memsync: running in JVM " + pid + " (" + (System.nanoTime() - start) / 1_000_000
                    + " ms); its regions are opening. See java -jar memsync.jar status --pid " + pid);
            return OK;
        } catch (AgentInitializationException e) {
            err.println("memsync: the agent failed to start in JVM " + pid + " (its standard error says why)");
            return FAILED;
        } catch (AgentLoadException e) {
            err.println("memsync: JVM " + pid + " could not load " + jar + ": " + e.getMessage());
            return FAILED;
        } finally {
            vm.detach();
        }
    }

    /** Makes a CA, a trust store and each node's key store for the data plane's TLS, and says how to use them. */
    private int tlsKeys(Options o) throws Exception {
        if (o.positional().size() < 2) {
            throw new UsageException("tls-keys needs a directory and at least one node name\n" + TLS_KEYS_HELP);
        }
        Path dir = Path.of(o.positional().getFirst()).toAbsolutePath();
        List<String> nodes = o.positional().subList(1, o.positional().size());
        byte[] random = new byte[24];
        new java.security.SecureRandom().nextBytes(random);
        String password = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        out.println("memsync: making a CA and key stores for " + String.join(", ", nodes) + " in " + dir + " ...");
        Map<String, Path> made = io.memsync.cluster.wire.TlsKeyMaker.make(dir, nodes, password);
        out.println("memsync: done. Keep " + dir.resolve("ca.p12") + " (the CA's key) off the nodes: with it and "
                + "the password anyone can make a certificate the cluster trusts.");
        out.println("Give node NAME its NAME.p12, trust.p12 and password (each readable by the node's user only), "
                + "and these keys:");
        made.forEach((node, store) -> out.println("  " + node + ": memsync.tls=required memsync.tls.keystore="
                + store + " memsync.tls.truststore=" + dir.resolve("trust.p12")
                + " memsync.tls.keystore.password.file=" + dir.resolve("password")));
        return OK;
    }

    private int status(Options o) throws Exception {
        try (JMXConnector c = connect(o)) {
            MBeanServerConnection s = c.getMBeanServerConnection();
            out.print(s.invoke(NODE, "status", new Object[0], new String[0]));
            return OK;
        }
    }

    private int verify(Options o) throws Exception {
        if (o.positional().size() != 1) {
            throw new UsageException("verify needs one region name\n" + VERIFY_HELP);
        }
        String region = o.positional().getFirst();
        try (JMXConnector c = connect(o)) {
            MBeanServerConnection s = c.getMBeanServerConnection();
            String[] sums = (String[]) s.invoke(NODE, "checksums", new Object[] {region},
                    new String[] {String.class.getName()});
            if (sums.length == 0) {
                err.println("memsync: no member holds a copy of region " + region);
                return FAILED;
            }
            java.util.Set<String> distinct = new java.util.TreeSet<>();
            for (String line : sums) {
                out.println("  " + line);
                distinct.add(line.substring(line.indexOf('=') + 1));
            }
            if (distinct.size() == 1) {
                out.println("region " + region + ": " + sums.length + " copies, all identical");
                return OK;
            }
            out.println("region " + region + ": copies DIFFER (" + distinct.size() + " different checksums); if the "
                    + "owner is writing, flush and run verify again");
            return FAILED;
        }
    }

    private int migrate(Options o) throws Exception {
        if (o.positional().size() != 2) {
            throw new UsageException("migrate needs a region and a member\n" + MIGRATE_HELP);
        }
        String region = o.positional().get(0);
        String member = o.positional().get(1);
        long timeoutMs = Long.parseLong(o.option("timeout-ms", "600000"));
        try (JMXConnector c = connect(o)) {
            MBeanServerConnection s = c.getMBeanServerConnection();
            ObjectName name = new ObjectName("io.memsync:type=Region,name=" + region);
            if (!s.isRegistered(name)) {
                err.println("memsync: this JVM holds no copy of region " + region + ": connect to its owner");
                return USAGE;
            }
            String role = String.valueOf(s.getAttribute(name, "Role"));
            if (!"OWNER".equals(role)) {
                err.println("memsync: region " + region + " is a " + role.toLowerCase() + " here; it is owned by "
                        + s.getAttribute(name, "Owner") + ": run migrate against the owner's JVM");
                return USAGE;
            }
            s.invoke(name, "startMigration", new Object[] {member}, new String[] {String.class.getName()});
            long deadline = System.nanoTime() + timeoutMs * 1_000_000;
            String phase = "";
            while (System.nanoTime() < deadline) {
                phase = String.valueOf(s.getAttribute(name, "MigrationPhase"));
                double share = ((Number) s.getAttribute(name, "MigrationDestinationAvailability")).doubleValue();
                out.print("\r" + bar(phase, share));
                out.flush();
                if (phase.equals("DONE") || phase.equals("FAILED") || phase.equals("CANCELLED")) {
                    break;
                }
                LockSupport.parkNanos(100_000_000);
            }
            out.println();
            switch (phase) {
                case "DONE" -> {
                    out.println("region " + region + " migrated to " + member + ": writers paused "
                            + s.getAttribute(name, "LastMigrationPauseMillis") + " ms");
                    return OK;
                }
                case "FAILED", "CANCELLED" -> {
                    err.println("memsync: the migration of " + region + " " + phase.toLowerCase() + "; it stays "
                            + "owned here. See the node's log.");
                    return FAILED;
                }
                default -> {
                    err.println("memsync: the migration of " + region + " did not finish within " + timeoutMs
                            + " ms (phase " + phase + "); cancel it with JMX cancelMigration or wait");
                    return FAILED;
                }
            }
        }
    }

    static String bar(String phase, double share) {
        int width = 30;
        int filled = (int) Math.round(Math.max(0, Math.min(1, share)) * width);
        return String.format("  %-9s [%s%s] %3d%%", phase, "#".repeat(filled), "-".repeat(width - filled),
                Math.round(share * 100));
    }

    static final ObjectName NODE = objectName("io.memsync:type=Node");

    private static ObjectName objectName(String s) {
        try {
            return new ObjectName(s);
        } catch (javax.management.MalformedObjectNameException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JMX connection to the node named by --jmx or --pid, or to the only local JVM running memsync. */
    private JMXConnector connect(Options o) throws Exception {
        Map<String, Object> env = new HashMap<>();
        if (o.option("user", null) != null) {
            env.put(JMXConnector.CREDENTIALS, new String[] {o.option("user", null), o.option("password", "")});
        }
        String jmx = o.option("jmx", null);
        if (jmx != null) {
            if (!jmx.matches("[^:\\s]+:\\d{1,5}")) {
                throw new UsageException("--jmx wants host:port, got " + jmx);
            }
            JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + jmx + "/jmxrmi");
            try {
                return JMXConnectorFactory.connect(url, env);
            } catch (IOException e) {
                throw new IOException("cannot reach memsync's JMX at " + jmx + " (" + messageOf(e) + "): is "
                        + "memsync.jmx.port set on that JVM?", e);
            }
        }
        String pid = o.option("pid", null);
        if (pid == null) {
            pid = findMemSyncJvm();
        }
        VirtualMachine vm = attachTo(pid);
        try {
            String address = vm.startLocalManagementAgent();
            if (vm.getSystemProperties().getProperty("memsync.agent.node") == null) {
                throw new IOException("JVM " + pid + " does not run memsync: attach it first (java -jar memsync.jar "
                        + "attach " + pid + " ARGS)");
            }
            return JMXConnectorFactory.connect(new JMXServiceURL(address), env);
        } finally {
            vm.detach();
        }
    }

    private static String findMemSyncJvm() throws UsageException {
        String self = Long.toString(ProcessHandle.current().pid());
        List<String> found = new ArrayList<>();
        for (VirtualMachineDescriptor d : VirtualMachine.list()) {
            if (d.id().equals(self)) {
                continue;
            }
            try {
                VirtualMachine vm = VirtualMachine.attach(d);
                try {
                    String node = vm.getSystemProperties().getProperty("memsync.agent.node");
                    if (node != null) {
                        found.add(d.id() + " (node " + node + ", " + d.displayName() + ")");
                    }
                } finally {
                    vm.detach();
                }
            } catch (AttachNotSupportedException | IOException e) {
                // Not ours to look into (another user, or a JVM with attach disabled).
            }
        }
        if (found.size() == 1) {
            return found.getFirst().substring(0, found.getFirst().indexOf(' '));
        }
        throw new UsageException(found.isEmpty()
                ? "no JVM on this host runs memsync: give --pid PID or --jmx HOST:PORT"
                : "several JVMs run memsync here, choose one with --pid: " + String.join("; ", found));
    }

    private static VirtualMachine attachTo(String pid) throws IOException, UsageException {
        if (!pid.matches("\\d+")) {
            throw new UsageException("'" + pid + "' is not a process id");
        }
        if (ProcessHandle.of(Long.parseLong(pid)).isEmpty()) {
            throw new UsageException("no process " + pid + " runs here");
        }
        try {
            return VirtualMachine.attach(pid);
        } catch (AttachNotSupportedException e) {
            throw new IOException("cannot attach to JVM " + pid + ": " + e.getMessage() + " (is it a JVM of the same "
                    + "user, started without -XX:+DisableAttachMechanism?)", e);
        }
    }

    private static Path ownJar() throws URISyntaxException {
        Path jar = Path.of(MemSyncCli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!jar.toString().endsWith(".jar")) {
            throw new IllegalStateException("attach must run from memsync.jar (java -jar memsync.jar attach ...), "
                    + "not from " + jar);
        }
        return jar;
    }

    /** Wrong use of the command line; the message says what to do. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    /** The command, its positional arguments and --name value options. */
    record Options(String command, List<String> positional, Map<String, String> options) {
        static Options parse(String[] args) throws UsageException {
            List<String> positional = new ArrayList<>();
            Map<String, String> options = new HashMap<>();
            for (int i = 1; i < args.length; i++) {
                String a = args[i];
                if (a.startsWith("--")) {
                    String key = a.substring(2);
                    String value;
                    int eq = key.indexOf('=');
                    if (eq >= 0) {
                        value = key.substring(eq + 1);
                        key = key.substring(0, eq);
                    } else if (i + 1 < args.length) {
                        value = args[++i];
                    } else {
                        throw new UsageException("option --" + key + " needs a value");
                    }
                    if (!List.of("pid", "jmx", "user", "password", "timeout-ms").contains(key)) {
                        throw new UsageException("unknown option --" + key + " (options: --pid, --jmx, --user, "
                                + "--password, --timeout-ms)");
                    }
                    options.put(key, value);
                } else {
                    positional.add(a);
                }
            }
            return new Options(args[0], positional, options);
        }

        String option(String key, String fallback) {
            return options.getOrDefault(key, fallback);
        }
    }

    private static final String CONNECT = """
              Connecting: --pid PID (a JVM on this host), --jmx HOST:PORT (memsync.jmx.port of a JVM), or neither:
              the only JVM on this host that runs memsync. --user/--password when its JMX wants a password.
            """;
    static final String HELP = """
            usage: java -jar memsync.jar <command> [arguments]

              attach <pid> [args]          load memsync into a running JVM
              status                       members, regions, owners, tokens, lag, availability
              migrate <region> <member>    move a region's ownership to another member, with a progress bar
              verify <region>              compare the region's checksum on every member (exit 1 if they differ)
              tls-keys <dir> <node>...     make a CA and TLS key stores for the data plane of these nodes
              help [command | config]      this text, a command's, or every configuration key

            As an agent: java -javaagent:memsync.jar=config=memsync.properties -jar app.jar
            """ + CONNECT;
    static final String ATTACH_HELP = """
            usage: java -jar memsync.jar attach <pid> [key=value,...]

              Loads memsync into JVM <pid> with the given agent arguments (the same as -javaagent:memsync.jar=ARGS,
              for instance config=/etc/memsync.properties). Region files the JVM has mapped already are found in
              /proc/<pid>/maps and synchronized; @SharedRegion fields of loaded classes are set. The JVM prints a
              warning about dynamically loaded agents unless it runs with -XX:+EnableDynamicAgentLoading.
            """;
    static final String STATUS_HELP = """
            usage: java -jar memsync.jar status [--pid PID | --jmx HOST:PORT]

              Prints the cluster's members and every region with its owner, token, replicas and their lag, and this
              node's role and availability.
            """ + CONNECT;
    static final String MIGRATE_HELP = """
            usage: java -jar memsync.jar migrate <region> <member> [--pid PID | --jmx HOST:PORT] [--timeout-ms N]

              Moves region <region> to <member> (a node name or member uuid) while its writers keep running, with a
              progress bar of the destination's copy, and prints the writers' pause. Run it against the owner's JVM.
            """ + CONNECT;
    static final String TLS_KEYS_HELP = """
            usage: java -jar memsync.jar tls-keys <dir> <node> [<node> ...]

              Makes, with the JDK's keytool, what memsync.tls needs: a CA (ca.p12; keep it off the nodes), a trust
              store holding the CA's certificate (trust.p12), a key store per node with its own key and the
              certificate the CA signed (NODE.p12), and a random password for all of them (password, owner-only).
              Prints the memsync.tls keys for each node. <dir> must not hold these files already.
            """;
    static final String VERIFY_HELP = """
            usage: java -jar memsync.jar verify <region> [--pid PID | --jmx HOST:PORT]

              Computes the region's CRC32C on every member that holds a copy and compares them: exit status 0 if
              they are identical, 1 if not. Copies match once the owner has flushed and stopped writing.
            """ + CONNECT;
}
