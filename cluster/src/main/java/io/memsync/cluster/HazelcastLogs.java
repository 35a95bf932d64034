package io.memsync.cluster;

import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Keeps Hazelcast's own log to what needs the user: WARNING and above, one line each (a stack trace is reduced to
 * its exception's message), and none of the warnings Hazelcast logs while members start, merge or leave in order
 * (connections closed or refused, operations sent to a member that is no longer one, partition migrations started
 * by a member that is not yet master). memsync logs each membership change itself, one line, and a member gone
 * without leaving as a WARNING.
 * <p>
 * It works on the JUL logger that is the parent of Hazelcast's loggers (named after Hazelcast's package, so the
 * relocated one in the agent): unless the user configured that logger (a level or a handler of their own), its level
 * becomes WARNING and its records go through {@link Rules} to the root logger's handlers.
 */
final class HazelcastLogs {
    /** Parts of Hazelcast's messages that are noise to a memsync user. */
    static final List<String> EXPECTED = List.of(
            "] closed. Reason:",
            "Removing connection to endpoint",
            "Connection refused to address",
            "is suspected to be dead for reason",
            "Not Member!",
            "Cannot send response",
            "Migration initiator is not master node",
            "doesn't seem to be master",
            "is not master",
            "while the member is being shut down",
            "Hazelcast instance is not active",
            "Connection reset");

    /** Held: JUL holds loggers weakly, and a collected one forgets its level and handlers. */
    private static Logger parent;

    private HazelcastLogs() {
    }

    /** Installs the rules once per JVM (the first node to start does it). */
    static synchronized void install() {
        if (parent != null) {
            return;
        }
        String root = com.hazelcast.core.Hazelcast.class.getPackageName();
        root = root.substring(0, root.lastIndexOf('.'));
        Logger logger = Logger.getLogger(root);
        parent = logger;
        if (logger.getLevel() != null && logger.getLevel() != Level.WARNING || logger.getHandlers().length > 0
                || !logger.getUseParentHandlers()) {
            return;
        }
        logger.setLevel(Level.WARNING);
        logger.addHandler(new Rules());
        logger.setUseParentHandlers(false);
    }

    /** Whether a record of Hazelcast's is one of the expected warnings. */
    static boolean expected(LogRecord record) {
        String message = record.getMessage();
        Throwable thrown = record.getThrown();
        for (String part : EXPECTED) {
            if (message != null && message.contains(part)
                    || thrown != null && String.valueOf(thrown.getMessage()).contains(part)) {
                return true;
            }
        }
        return false;
    }

    /** Drops the expected warnings, puts the rest on one line, and hands them to the root logger's handlers. */
    static final class Rules extends Handler {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() < Level.WARNING.intValue() || expected(record)) {
                return;
            }
            LogRecord line = record;
            if (record.getThrown() != null) {
                line = new LogRecord(record.getLevel(), record.getMessage() + " (" + record.getThrown() + ")");
                line.setLoggerName(record.getLoggerName());
                line.setSourceClassName(record.getSourceClassName());
                line.setSourceMethodName(record.getSourceMethodName());
                line.setInstant(record.getInstant());
                line.setLongThreadID(record.getLongThreadID());
            }
            for (Handler h : Logger.getLogger("").getHandlers()) {
                h.publish(line);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
