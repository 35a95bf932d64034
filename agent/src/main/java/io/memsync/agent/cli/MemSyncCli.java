package io.memsync.agent.cli;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import io.memsync.agent.ConfigException;
import io.memsync.agent.MemSyncConfig;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code java -jar memsync.jar <command>}: attach the agent to a running JVM, talk to a running memsync node over JMX
 * (status, migrate, verify), make TLS keys, and print a shell completion script. Parsing, help and errors are
 * picocli's. Exit status 0 on success, 1 when the command ran and found bad news (no memsync JVM, checksums differ,
 * a migration failed), 2 on wrong use.
 */
@Command(name = "java -jar memsync.jar", synopsisHeading = "usage: ", commandListHeading = "%nCommands:%n",
        mixinStandardHelpOptions = true, versionProvider = MemSyncCli.Version.class,
        description = "memsync keeps off-heap memory in sync between JVMs.",
        footer = {"", "As an agent: java -javaagent:memsync.jar=config=memsync.properties -jar app.jar",
                "Configuration keys: java -jar memsync.jar help config"},
        subcommands = {MemSyncCli.Attach.class, MemSyncCli.Status.class, MemSyncCli.Migrate.class,
                MemSyncCli.Verify.class, MemSyncCli.Repair.class, MemSyncCli.TlsKeys.class, MemSyncCli.Completion.class,
                MemSyncCli.Help.class})
public final class MemSyncCli implements Callable<Integer> {
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
        CommandLine cl = commandLine();
        if (args.length == 0) {
            cl.usage(out);
            return USAGE;
        }
        return cl.execute(args);
    }

    /** The command tree, printing to this instance's streams, with memsync's exit statuses. */
    CommandLine commandLine() {
        CommandLine cl = new CommandLine(this, new Factory());
        // A command's header is its line in the list of commands; its own usage starts with the synopsis.
        for (CommandLine sub : cl.getSubcommands().values()) {
            List<String> keys = new ArrayList<>(sub.getHelpSectionKeys());
            keys.remove(CommandLine.Model.UsageMessageSpec.SECTION_KEY_HEADER_HEADING);
            keys.remove(CommandLine.Model.UsageMessageSpec.SECTION_KEY_HEADER);
            sub.setHelpSectionKeys(keys);
        }
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine where = e.getCommandLine();
            String problem = e.getMessage();
            if (e instanceof CommandLine.UnmatchedArgumentException u && where.getCommandSpec().parent() == null
                    && !u.getUnmatched().isEmpty()) {
                problem = "unknown command '" + u.getUnmatched().getFirst() + "'";
            }
            return usage(problem, where);
        });
        cl.setExecutionExceptionHandler((e, where, parsed) -> {
            if (e instanceof UsageException) {
                return usage(e.getMessage(), where);
            }
            if (e instanceof ConfigException) {
                err.println(e.getMessage());
                return USAGE;
            }
            err.println("memsync: " + messageOf(e));
            return FAILED;
        });
        return cl;
    }

    private int usage(String problem, CommandLine where) {
        err.println("memsync: " + problem);
        String command = where.getCommandSpec().parent() == null ? "" : " " + where.getCommandName();
        err.println("run java -jar memsync.jar help" + command + " for " + (command.isEmpty() ? "the commands"
                : "its usage"));
        return USAGE;
    }

    /** No command: the usage, and exit status 2. */
    @Override
    public Integer call() {
        new CommandLine(this).usage(out);
        return USAGE;
    }

    /** Makes the subcommands as inner classes of this instance, so they print to its streams. */
    private final class Factory implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> type) throws Exception {
            if (type.getEnclosingClass() == MemSyncCli.class && !java.lang.reflect.Modifier.isStatic(
                    type.getModifiers())) {
                var constructor = type.getDeclaredConstructor(MemSyncCli.class);
                constructor.setAccessible(true);
                return constructor.newInstance(MemSyncCli.this);
            }
            return CommandLine.defaultFactory().create(type);
        }
    }

    /** The jar's Implementation-Version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = MemSyncCli.class.getPackage().getImplementationVersion();
            return new String[] {"memsync " + (v == null ? "(not from memsync.jar)" : v) + " on Java "
                    + Runtime.version()};
        }
    }

    /** How to reach the node: --pid, --jmx, and JMX credentials. */
    static final class Connection {
        @Option(names = "--pid", paramLabel = "PID", description = "a JVM on this host that runs memsync")
        String pid;
        @Option(names = "--jmx", paramLabel = "HOST:PORT", description = "memsync.jmx.port of a JVM, on any host")
        String jmx;
        @Option(names = "--user", description = "JMX user, when its JMX wants a password")
        String user;
        @Option(names = "--password", description = "JMX password")
        String password;
    }

    private static final String CONNECT = "Connecting: --pid PID (a JVM on this host), --jmx HOST:PORT "
            + "(memsync.jmx.port of a JVM), or neither: the only JVM on this host that runs memsync.";

    @Command(name = "attach", synopsisHeading = "usage: ", mixinStandardHelpOptions = true,
            header = "load memsync into a running JVM",
            description = {"Loads memsync into JVM <pid> with the given agent arguments (the same as "
                    + "-javaagent:memsync.jar=ARGS, for instance config=/etc/memsync.properties). Region files the JVM "
                    + "has mapped already are found in /proc/<pid>/maps and synchronized; @SharedRegion fields of "
                    + "loaded classes are set. The JVM prints a warning about dynamically loaded agents unless it "
                    + "runs with -XX:+EnableDynamicAgentLoading."})
    final class Attach implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<pid>", description = "the JVM's process id")
        String pid;
        @Parameters(index = "1", arity = "0..1", paramLabel = "<key=value,...>", description = "agent arguments")
        String agentArgs = "";

        @Override
        public Integer call() throws Exception {
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
    }

    @Command(name = "status", synopsisHeading = "usage: ", mixinStandardHelpOptions = true,
            header = "members, regions, owners, tokens, lag, availability", footer = {"", CONNECT},
            description = "Prints the cluster's members and every region with its owner, token, replicas and their "
                    + "lag, and this node's role and availability.")
    final class Status implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Override
        public Integer call() throws Exception {
            try (JMXConnector c = connect(connection)) {
                MBeanServerConnection s = c.getMBeanServerConnection();
                out.print(s.invoke(NODE, "status", new Object[0], new String[0]));
                return OK;
            }
        }
    }

    @Command(name = "verify", synopsisHeading = "usage: ", mixinStandardHelpOptions = true,
            header = "compare the region's checksum on every member (exit 1 if they differ)", footer = {"", CONNECT},
            description = "Computes the region's CRC32C on every member that holds a copy and compares them: exit "
                    + "status 0 if they are identical, 1 if not. Copies match once the owner has flushed and stopped "
                    + "writing.")
    final class Verify implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<region>", description = "the region's name")
        String region;
        @Mixin
        Connection connection;

        @Override
        public Integer call() throws Exception {
            try (JMXConnector c = connect(connection)) {
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
                out.println("region " + region + ": copies DIFFER (" + distinct.size() + " different checksums). While "
                        + "the owner writes, copies differ until its next flush; if they still differ with the "
                        + "writers idle, something other than memsync wrote a replica: java -jar memsync.jar repair "
                        + region + " (against the owner's JVM) sends the differing chunks again");
                return FAILED;
            }
        }
    }

    @Command(name = "repair", synopsisHeading = "usage: ", mixinStandardHelpOptions = true,
            header = "make every replica of a region identical to its owner's again",
            footer = {"", CONNECT},
            description = "Compares every chunk of the region with each replica's copy, sends again the chunks that "
                    + "differ (something other than memsync wrote them there, such as a process on the replica's "
                    + "host), and says what it fixed. Run it against the owner's JVM. Owners also do it in the "
                    + "background, a window at a time (memsync.antientropy.interval.ms).")
    final class Repair implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<region>", description = "the region's name")
        String region;
        @Mixin
        Connection connection;

        @Override
        public Integer call() throws Exception {
            try (JMXConnector c = connect(connection)) {
                MBeanServerConnection s = c.getMBeanServerConnection();
                out.println(s.invoke(NODE, "repair", new Object[] {region}, new String[] {String.class.getName()}));
                return OK;
            }
        }
    }

    @Command(name = "migrate", synopsisHeading = "usage: ", mixinStandardHelpOptions = true,
            header = "move a region's ownership to another member, with a progress bar", footer = {"", CONNECT},
            description = "Moves region <region> to <member> (a node name or member uuid) while its writers keep "
                    + "running, with a progress bar of the destination's copy, and prints the writers' pause. Run it "
                    + "against the owner's JVM.")
    final class Migrate implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<region>", description = "the region's name")
        String region;
        @Parameters(index = "1", paramLabel = "<member>", description = "the destination: node name or member uuid")
        String member;
        @Option(names = "--timeout-ms", paramLabel = "N", defaultValue = "600000",
                description = "give up waiting after N ms (default ${DEFAULT-VALUE})")
        long timeoutMs;
        @Mixin
        Connection connection;

        @Override
        public Integer call() throws Exception {
            try (JMXConnector c = connect(connection)) {
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
    }

    @Command(name = "tls-keys", synopsisHeading = "usage: ", mixinStandardHelpOptions = true,
            header = "make a CA and TLS key stores for the data plane of these nodes",
            description = {"Makes, with the JDK's keytool, what memsync.tls needs: a CA (ca.p12; keep it off the "
                    + "nodes), a trust store holding the CA's certificate (trust.p12), a key store per node with its "
                    + "own key and the certificate the CA signed (NODE.p12), and a random password for all of them "
                    + "(password, owner-only). Prints the memsync.tls keys for each node. <dir> must not hold these "
                    + "files already."})
    final class TlsKeys implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "<dir>", description = "where to write the stores")
        Path dir;
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "<node>", description = "the nodes' names")
        List<String> nodes;

        @Override
        public Integer call() throws Exception {
            Path d = dir.toAbsolutePath();
            byte[] random = new byte[24];
            new java.security.SecureRandom().nextBytes(random);
            String password = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            out.println("memsync: making a CA and key stores for " + String.join(", ", nodes) + " in " + d + " ...");
            Map<String, Path> made;
            try {
                made = io.memsync.cluster.wire.TlsKeyMaker.make(d, nodes, password);
            } catch (IllegalArgumentException | java.nio.file.FileAlreadyExistsException e) {
                throw new UsageException(e.getMessage());
            }
            out.println("memsync: done. Keep " + d.resolve("ca.p12") + " (the CA's key) off the nodes: with it and "
                    + "the password anyone can make a certificate the cluster trusts.");
            out.println("Give node NAME its NAME.p12, trust.p12 and password (each readable by the node's user "
                    + "only), and these keys:");
            made.forEach((node, store) -> out.println("  " + node + ": memsync.tls=required memsync.tls.keystore="
                    + store + " memsync.tls.truststore=" + d.resolve("trust.p12")
                    + " memsync.tls.keystore.password.file=" + d.resolve("password")));
            return OK;
        }
    }

    @Command(name = "completion", synopsisHeading = "usage: ", mixinStandardHelpOptions = true,
            header = "print a bash/zsh completion script",
            description = {"Prints a bash/zsh completion script for the command memsync. Use it with an alias:",
                    "  alias memsync='java -jar /path/to/memsync.jar'",
                    "  source <(java -jar /path/to/memsync.jar completion)"})
    final class Completion implements Callable<Integer> {
        @Override
        public Integer call() {
            CommandLine named = commandLine();
            named.setCommandName("memsync");
            out.print(AutoComplete.bash("memsync", named));
            return OK;
        }
    }

    @Command(name = "help", synopsisHeading = "usage: ", mixinStandardHelpOptions = true,
            header = "the commands, a command's usage, or every configuration key (help config)",
            description = "Prints the commands, a command's usage, or (help config) every configuration key.")
    final class Help implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", arity = "0..1", paramLabel = "<command|config>", description = "what to explain")
        String topic;

        @Override
        public Integer call() throws UsageException {
            CommandLine root = spec.root().commandLine();
            if (topic == null) {
                root.usage(out);
            } else if (topic.equals("config")) {
                out.print("Configuration keys (agent arguments, a properties file, or -D):\n"
                        + MemSyncConfig.describeKeys());
            } else if (root.getSubcommands().containsKey(topic)) {
                root.getSubcommands().get(topic).usage(out);
            } else {
                throw new UsageException("no command or topic '" + topic + "'");
            }
            return OK;
        }
    }

    private static String messageOf(Exception e) {
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
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
    private static JMXConnector connect(Connection o) throws Exception {
        Map<String, Object> env = new HashMap<>();
        if (o.user != null) {
            env.put(JMXConnector.CREDENTIALS, new String[] {o.user, o.password == null ? "" : o.password});
        }
        String jmx = o.jmx;
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
        String pid = o.pid;
        if (pid == null) {
            pid = findMemSyncJvm();
        }
        VirtualMachine vm = attachTo(pid);
        try {
            String address = vm.startLocalManagementAgent();
            if (vm.getSystemProperties().getProperty("memsync.agent.node") == null) {
                throw new NotRunningException("JVM " + pid + " does not run memsync: attach it first (java -jar memsync.jar "
                        + "attach " + pid + " ARGS)");
            }
            return JMXConnectorFactory.connect(new JMXServiceURL(address), env);
        } finally {
            vm.detach();
        }
    }

    private static String findMemSyncJvm() throws UsageException, NotRunningException {
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
        if (found.isEmpty()) {
            throw new NotRunningException("no JVM on this host runs memsync (that this user may attach to): start "
                    + "one with -javaagent:memsync.jar, or give --jmx HOST:PORT for one elsewhere");
        }
        throw new UsageException("several JVMs run memsync here, choose one with --pid: " + String.join("; ", found));
    }

    private static VirtualMachine attachTo(String pid) throws IOException, UsageException {
        if (!pid.matches("\\d+")) {
            throw new UsageException("'" + pid + "' is not a process id");
        }
        if (ProcessHandle.of(Long.parseLong(pid)).isEmpty()) {
            throw new NotRunningException("no process " + pid + " runs here");
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

    /** Bad news rather than wrong use: no memsync JVM where the user looked (exit status 1). */
    static final class NotRunningException extends IOException {
        NotRunningException(String message) {
            super(message);
        }
    }
}
