package io.memsync.jmx;

import io.memsync.cluster.Node;

import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;

/**
 * Keeps one Region MBean registered for each region this node holds a copy of: {@link #sync()} registers those
 * that appeared and unregisters those that went.
 */
final class RegionBeans {
    private static final System.Logger LOG = System.getLogger(RegionBeans.class.getName());
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._-]+");

    /** One registered Region MBean. */
    record Registered(ObjectName name, RegionAdmin admin, Notifications.Emitter emitter) {
    }

    private final Node node;
    private final MBeanServer server;
    private final Migrations migrations;
    private final Executor notifications;
    private final Map<String, Registered> registered = new ConcurrentHashMap<>();
    /** Regions whose name the server refused (held by another registration): not retried, never unregistered. */
    private final Set<String> refused = new HashSet<>();
    private boolean closed;

    RegionBeans(Node node, MBeanServer server, Migrations migrations, Executor notifications) {
        this.node = node;
        this.server = server;
        this.migrations = migrations;
        this.notifications = notifications;
    }

    /** The ObjectName of region {@code region}'s MBean. */
    static ObjectName objectName(String region) {
        try {
            return new ObjectName("io.memsync:type=Region,name="
                    + (PLAIN.matcher(region).matches() ? region : ObjectName.quote(region)));
        } catch (JMException e) {
            throw new IllegalArgumentException("region name " + region + " makes no ObjectName: " + e.getMessage(), e);
        }
    }

    /** Registers the MBeans of new copies and unregisters those of copies that went. */
    synchronized void sync() {
        if (closed) {
            return;
        }
        Set<String> now = new HashSet<>(node.regionNames());
        for (String gone : Set.copyOf(registered.keySet())) {
            if (!now.contains(gone)) {
                unregister(gone);
            }
        }
        refused.retainAll(now);
        for (String name : now) {
            Registered r = registered.get(name);
            if (r == null && !refused.contains(name)) {
                register(name);
            } else if (r != null) {
                r.admin().applyInterval();
            }
        }
    }

    private void register(String region) {
        ObjectName name = objectName(region);
        RegionAdmin admin = new RegionAdmin(node, region, migrations);
        Notifications.Emitter emitter = Notifications.emitter(name, notifications, Notifications.regionInfo());
        try {
            server.registerMBean(new DescribedMBean<>(admin, RegionMBean.class, emitter), name);
            registered.put(region, new Registered(name, admin, emitter));
        } catch (JMException e) {
            // Another registration (a second node in this JVM on the same server) holds the name: say so once.
            LOG.log(System.Logger.Level.WARNING, "cannot register " + name + " for node " + node.name() + ": "
                    + e.getMessage() + " (register each node of a JVM with its own MBeanServer)");
            refused.add(region);
        }
    }

    private void unregister(String region) {
        Registered r = registered.remove(region);
        if (r != null) {
            try {
                server.unregisterMBean(r.name());
            } catch (InstanceNotFoundException alreadyGone) {
                // Unregistered by someone else (or never registered): nothing to do.
            } catch (JMException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot unregister " + r.name() + ": " + e.getMessage());
            }
        }
    }

    /** The emitter of region {@code region}'s MBean, or null when it has none (yet). */
    Notifications.Emitter emitter(String region) {
        Registered r = registered.get(region);
        return r == null ? null : r.emitter();
    }

    /** Unregisters every Region MBean; {@link #sync()} does nothing from now on. */
    synchronized void close() {
        closed = true;
        for (String region : Set.copyOf(registered.keySet())) {
            unregister(region);
        }
    }
}
