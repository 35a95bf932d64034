package io.memsync.cluster;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hazelcast's log: WARNING and above, one line each, without the warnings of members starting and leaving. */
class HazelcastLogsTest {
    @Test
    void onlyUnexpectedWarningsReachTheLogAndEachOnOneLine() {
        HazelcastLogs.install();
        List<LogRecord> seen = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLoggerName() != null && r.getLoggerName().contains("hazelcast")) {
                    seen.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        root.addHandler(capture);
        try {
            Logger hz = Logger.getLogger("com.hazelcast.internal.server.tcp.TcpServerConnection");
            hz.info("Members {size:2, ver:2} [ ... ]");
            hz.warning("[127.0.0.1]:5701 [c] [5.7.0] Connection[id=2, /127.0.0.1:5701->/127.0.0.1:46029] closed. "
                    + "Reason: Exception in Connection");
            hz.log(Level.WARNING, "[127.0.0.1]:5701 [c] [5.7.0] Removing connection to endpoint [127.0.0.1]:5702",
                    new java.io.IOException("Connection refused to address /127.0.0.1:5702"));
            hz.log(Level.WARNING, "[127.0.0.1]:5701 [c] [5.7.0] operation failed",
                    new IllegalStateException("Migration initiator is not master node!"));
            assertEquals(0, seen.size(), "expected noise reached the log: " + seen.stream()
                    .map(LogRecord::getMessage).toList());

            hz.log(Level.SEVERE, "[127.0.0.1]:5701 [c] [5.7.0] split-brain protection memsync-quorum is not met",
                    new IllegalStateException("below 2 members"));
            assertEquals(1, seen.size());
            LogRecord line = seen.getFirst();
            assertEquals(Level.SEVERE, line.getLevel());
            assertNull(line.getThrown(), "a stack trace reached the log");
            assertTrue(line.getMessage().contains("is not met") && line.getMessage().contains("below 2 members"),
                    line.getMessage());
        } finally {
            root.removeHandler(capture);
        }
    }
}
