package io.memsync.jmx;

import io.memsync.cluster.Node;

import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.remote.JMXConnectorServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The JMX face of a memsync {@link Node}: {@code io.memsync:type=Node} for the node, and
 * {@code io.memsync:type=Region,name=NAME} for each region it holds a copy of (registered when the copy appears,
 * within 250 ms, and unregistered when it goes), with descriptions on every attribute, operation and parameter,
 * and notifications ({@link Notifications}) on ownership changes, migration phases, replica lag and peer loss.
 * Also samples paged copies for JFR ({@code io.memsync.cluster.PagerFaultsEvent}).
 * <p>
 * Threads: one monitor thread (region MBeans, replica lag every second) and one that delivers notifications to
 * listeners, both stopped by {@link #close()}; a virtual thread per migration started over JMX.
 */
public final class MemSyncMBeans implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(MemSyncMBeans.class.getName());

    private final Node node;
    private final MBeanServer server;
    private final ObjectName nodeName;
    private final ExecutorService notifications;
    private final Migrations migrations;
    private final RegionBeans regions;
    private final NodeEvents events;
    private final Monitor monitor;
    private PagerSampler sampler;
    private boolean registered;
    private boolean closed;

    private MemSyncMBeans(Node node, MBeanServer server, ScheduledExecutorService housekeeping) {
        this.node = node;
        this.server = server;
        this.nodeName = nodeObjectName();
        this.notifications = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform()
                .name("memsync-jmx-notifications-" + node.name()).daemon(true).unstarted(r));
        this.migrations = new Migrations(node);
        this.regions = new RegionBeans(node, server, migrations, notifications);
        NodeAdmin admin = new NodeAdmin(node, migrations);
        Notifications.Emitter emitter = Notifications.emitter(nodeName, notifications, Notifications.nodeInfo());
        this.events = new NodeEvents(node, emitter, regions, this::regionsChanged);
        this.monitor = new Monitor(node, regions, events, admin::getReplicaLagThresholdEpochs, housekeeping);
        try {
            server.registerMBean(new DescribedMBean<>(admin, NodeMBean.class, emitter), nodeName);
            registered = true;
        } catch (InstanceAlreadyExistsException e) {
            notifications.shutdown();
            throw new IllegalStateException(nodeName + " is registered already in this MBeanServer: close the"
                    + " MemSyncMBeans registered before, or register this node with an MBeanServer of its own", e);
        } catch (JMException e) {
            notifications.shutdown();
            throw new IllegalStateException("registering " + nodeName + " failed: " + e.getMessage(), e);
        }
    }

    /** Registers {@code node}'s MBeans in the platform MBeanServer; {@link #close()} unregisters them. */
    public static MemSyncMBeans register(Node node) {
        return register(node, ManagementFactory.getPlatformMBeanServer());
    }

    /**
     * Registers {@code node}'s MBeans in {@code server}: one node per server, for the ObjectNames carry no node
     * (a JVM running several nodes, as tests do, gives the others servers of their own).
     */
    public static MemSyncMBeans register(Node node, MBeanServer server) {
        return register(node, server, null);
    }

    /**
     * Registers {@code node}'s MBeans in {@code server}, their periodic work (the Region MBeans kept in line with the
     * node's copies, the replica-lag check) run on {@code housekeeping}, a thread the caller owns and shares, or on a
     * thread of their own if it is null.
     */
    public static MemSyncMBeans register(Node node, MBeanServer server, ScheduledExecutorService housekeeping) {
        MemSyncMBeans beans = new MemSyncMBeans(node, server, housekeeping);
        try {
            beans.start();
            return beans;
        } catch (RuntimeException e) {
            beans.close();
            throw e;
        }
    }

    private void start() {
        node.addOwnershipListener(events);
        node.addMigrationListener(events);
        node.addPeerListener(events);
        node.addDivergenceListener(events);
        regions.sync();
        monitor.start();
        sampler = PagerSampler.register(node);
    }

    private void regionsChanged() {
        monitor.regionsChanged();
    }

    /** {@code io.memsync:type=Node}. */
    public static ObjectName nodeObjectName() {
        try {
            return new ObjectName("io.memsync:type=Node");
        } catch (MalformedObjectNameException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code io.memsync:type=Region,name=REGION} (the name quoted if it holds characters ObjectNames reserve). */
    public static ObjectName regionObjectName(String region) {
        return RegionBeans.objectName(region);
    }

    /** The node these MBeans describe. */
    public Node node() {
        return node;
    }

    /**
     * Starts an RMI connector for the platform MBeanServer, for JConsole, VisualVM or any JMX client at
     * {@code service:jmx:rmi:///jndi/rmi://HOST:PORT/jmxrmi}. The RMI registry and the connector share
     * {@code port} and listen on {@code host} only.
     * <ul>
     * <li>Loopback ({@code 127.0.0.1}, {@code localhost}, {@code ::1}) is meant for local tools; any other host is
     * refused unless a password file is given.</li>
     * <li>{@code passwordFile} (nullable) turns authentication on ({@code jmx.remote.x.password.file}): one
     * {@code user password} per line, readable by its owner only (refused otherwise); every user it names gets
     * read-write access. The JDK may replace the clear passwords by salted hashes in the file when it can write
     * it.</li>
     * <li>{@code ssl} wraps the registry and the connector in TLS with the default {@code SSLContext} (configure it
     * with {@code javax.net.ssl.keyStore} and friends); clients then need {@code javax.net.ssl.trustStore} and,
     * for the registry, the environment entry {@code com.sun.jndi.rmi.factory.socket} set to an
     * {@code SslRMIClientSocketFactory}.</li>
     * <li>The stubs clients receive name {@code host}: the JVM-wide property {@code java.rmi.server.hostname} is set
     * to it when unset (RMI has no per-server setting).</li>
     * </ul>
     * Stop it with {@link JMXConnectorServer#stop()}, which also closes the registry.
     *
     * @throws IllegalArgumentException if the host is not loopback and there is no password file, or the password
     *                                  file is missing or readable by others
     * @throws IOException              if the port cannot be bound
     */
    public static JMXConnectorServer startRemote(String host, int port, Path passwordFile, boolean ssl)
            throws IOException {
        return RemoteJmx.start(ManagementFactory.getPlatformMBeanServer(), host, port, passwordFile, ssl);
    }

    /** Stops the threads, removes the node listeners and unregisters every MBean. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        node.removeOwnershipListener(events);
        node.removeMigrationListener(events);
        node.removePeerListener(events);
        node.removeDivergenceListener(events);
        monitor.close();
        regions.close();
        if (sampler != null) {
            sampler.close();
        }
        if (registered) {
            try {
                server.unregisterMBean(nodeName);
            } catch (InstanceNotFoundException alreadyGone) {
                // Unregistered by someone else: nothing to do.
            } catch (JMException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot unregister " + nodeName + ": " + e.getMessage());
            }
        }
        migrations.close();
        // Notifications queued before now are still delivered; nothing new is accepted.
        notifications.shutdown();
        try {
            notifications.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
