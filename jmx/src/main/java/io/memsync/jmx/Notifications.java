package io.memsync.jmx;

import javax.management.MBeanNotificationInfo;
import javax.management.Notification;
import javax.management.NotificationBroadcasterSupport;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.CompositeDataSupport;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenDataException;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The notification types memsync's MBeans emit, and one emitter per MBean. Each notification carries a one-line
 * message and, as user data, a {@link CompositeData} of its facts (open types only, so any JMX client reads it
 * without memsync's classes).
 */
public final class Notifications {
    /** This node became the owner of a region (failover, migration, a deposed owner coming back). */
    public static final String OWNERSHIP_GAINED = "memsync.ownership.gained";
    /** This node stopped owning a region: another member owns it with a newer fencing token. */
    public static final String OWNERSHIP_LOST = "memsync.ownership.lost";
    /** A migration this node runs as the source entered a phase. */
    public static final String MIGRATION_PHASE = "memsync.migration.phase";
    /** A replica of a region this node owns fell behind by more than the threshold (once per crossing). */
    public static final String REPLICA_LAG = "memsync.replica.lag";
    /** Chunks of a replica of a region this node owns differed from the owner's and were sent again. */
    public static final String REPLICA_DIVERGED = "memsync.replica.diverged";
    /** A Hazelcast member left the cluster or was declared dead. */
    public static final String PEER_LOST = "memsync.peer.lost";

    private Notifications() {
    }

    /** What the Node MBean emits. */
    static MBeanNotificationInfo[] nodeInfo() {
        return new MBeanNotificationInfo[]{ownership(), migration(), lag(), diverged(), peer()};
    }

    /** What a Region MBean emits: the same as the Node MBean, for its region only, and no peer loss. */
    static MBeanNotificationInfo[] regionInfo() {
        return new MBeanNotificationInfo[]{ownership(), migration(), lag(), diverged()};
    }

    private static MBeanNotificationInfo ownership() {
        return new MBeanNotificationInfo(new String[]{OWNERSHIP_GAINED, OWNERSHIP_LOST}, Notification.class.getName(),
                "This node gained (" + OWNERSHIP_GAINED + ") or lost (" + OWNERSHIP_LOST + ") the ownership of a"
                        + " region; user data: region, newOwner, newOwnerId, token");
    }

    private static MBeanNotificationInfo migration() {
        return new MBeanNotificationInfo(new String[]{MIGRATION_PHASE}, Notification.class.getName(),
                "A migration run by this node (its source) entered a phase: PREPARING, PRECOPY, HANDOVER, then DONE,"
                        + " FAILED or CANCELLED; user data: region, destination, destinationId, phase, rounds,"
                        + " chunksSent, pauseMicros, failure");
    }

    private static MBeanNotificationInfo lag() {
        return new MBeanNotificationInfo(new String[]{REPLICA_LAG}, Notification.class.getName(),
                "A replica of a region owned here is more epochs (flushes) behind than ReplicaLagThresholdEpochs;"
                        + " sent once each time it crosses the threshold; user data: region, replica, replicaId,"
                        + " lagEpochs, thresholdEpochs");
    }

    private static MBeanNotificationInfo diverged() {
        return new MBeanNotificationInfo(new String[]{REPLICA_DIVERGED}, Notification.class.getName(),
                "Chunks of a replica of a region owned here differed from the owner's (something other than memsync"
                        + " wrote them there) and were sent again, by the background check or repair; user data:"
                        + " region, replica, chunks");
    }

    private static MBeanNotificationInfo peer() {
        return new MBeanNotificationInfo(new String[]{PEER_LOST}, Notification.class.getName(),
                "A member left the cluster or was declared dead (5 s without a heartbeat); its regions fail over to"
                        + " their replicas; user data: member, memberId, address");
    }

    /** An emitter for the MBean named {@code source}; listeners are called on {@code executor}, never on memsync's. */
    static Emitter emitter(ObjectName source, Executor executor, MBeanNotificationInfo[] info) {
        return new Emitter(source, executor, info);
    }

    /** Sends notifications from one MBean, numbered in order. */
    static final class Emitter extends NotificationBroadcasterSupport {
        private final ObjectName source;
        private final AtomicLong sequence = new AtomicLong();

        private Emitter(ObjectName source, Executor executor, MBeanNotificationInfo[] info) {
            super(executor, info);
            this.source = source;
        }

        /** Sends a notification of {@code type} with {@code message} and {@code facts} (String, Long or Double). */
        void send(String type, String message, Map<String, Object> facts) {
            Notification n = new Notification(type, source, sequence.incrementAndGet(), System.currentTimeMillis(),
                    message);
            n.setUserData(composite(type, facts));
            try {
                sendNotification(n);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // The registration is closing: its listeners are going away with it.
            }
        }
    }

    static CompositeData composite(String type, Map<String, Object> facts) {
        String[] names = facts.keySet().toArray(String[]::new);
        OpenType<?>[] types = new OpenType<?>[names.length];
        Object[] values = new Object[names.length];
        for (int i = 0; i < names.length; i++) {
            Object v = facts.get(names[i]);
            types[i] = v instanceof Long ? SimpleType.LONG
                    : v instanceof Double ? SimpleType.DOUBLE : SimpleType.STRING;
            values[i] = v instanceof Long || v instanceof Double ? v : String.valueOf(v);
        }
        try {
            return new CompositeDataSupport(new CompositeType(type, "facts of a " + type + " notification", names,
                    names, types), names, values);
        } catch (OpenDataException e) {
            throw new IllegalArgumentException("notification facts " + facts + " are not open data: " + e.getMessage(),
                    e);
        }
    }
}
