package io.memsync.agent;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An application under the agent ends exactly when it would without memsync: its {@code main} returns (standard
 * input closed) and nothing else of its own runs, so the JVM exits, after memsync flushed the regions owned there
 * and left the cluster in order; the replica has the last writes and logs a leave, not a failure. For each way in:
 * a mapped file, the API, a {@code @SharedRegion} field, and a JVM attached to after it started.
 */
@Timeout(240)
class AppExitIT {
    private static final Duration T = Duration.ofSeconds(60);
    /** From the end of main to the exit: the last flush is bounded by 5 s, the leave by Hazelcast's shutdown. */
    private static final Duration EXIT = Duration.ofSeconds(30);

    @ParameterizedTest
    @ValueSource(strings = {"mapped", "api", "annotation", "attach"})
    void anApplicationWhoseMainReturnsExitsAndItsLastWritesAreOnTheReplica(String way) throws Exception {
        boolean api = way.equals("api") || way.equals("annotation");
        String region = way.equals("annotation") ? "counters" : api ? "notes" : "state";
        try (ItCluster cluster = new ItCluster(2)) {
            Path fileA = cluster.file("a", "state");
            Path fileB = cluster.file("b", "state");
            // Pushes between flushes once a minute only: what the replica holds came with the last flush.
            String[] regionsA = api ? new String[] {"memsync.region.counters.size=256k",
                    "memsync.region.counters.push.interval.ms=60000", "memsync.region.notes.size=1m",
                    "memsync.region.notes.push.interval.ms=60000", "memsync.region.counters.role=owner",
                    "memsync.region.notes.role=owner"}
                    : new String[] {"memsync.region.state.size=1m", "memsync.region.state.path=" + fileA,
                    "memsync.region.state.role=owner", "memsync.region.state.push.interval.ms=60000"};
            String[] regionsB = api ? new String[] {"memsync.region.counters.size=256k",
                    "memsync.region.notes.size=1m", "memsync.region.counters.role=replica",
                    "memsync.region.notes.role=replica"}
                    : new String[] {"memsync.region.state.size=1m", "memsync.region.state.path=" + fileB,
                    "memsync.region.state.role=replica"};
            Path configA = cluster.config(0, "a", regionsA);
            Path configB = cluster.config(1, "b", regionsB);
            List<String> jvmA = way.equals("attach") ? List.of("-XX:+EnableDynamicAgentLoading")
                    : List.of(AppProcess.agent("config=" + configA));
            String main = api ? "example.app.ApiApp" : "example.app.MappedFileApp";
            String[] argsA = api ? new String[0] : new String[] {fileA.toString(), "segment", "1048576"};
            String[] argsB = api ? new String[0] : new String[] {fileB.toString(), "segment", "1048576"};
            try (AppProcess a = AppProcess.start("exit-" + way + "-a", jvmA, null, main, argsA);
                 AppProcess b = AppProcess.start("exit-" + way + "-b",
                         List.of(AppProcess.agent("config=" + configB)), null, main, argsB)) {
                a.awaitLine("READY", T);
                b.awaitLine("READY", T);
                if (way.equals("attach")) {
                    AttachCliIT.Cli attach = AttachCliIT.cli("attach", Long.toString(a.pid()), "config=" + configA);
                    assertEquals(0, attach.status(), attach.output());
                }
                a.awaitOutput(l -> l.contains("memsync: node a ready"), T);
                b.awaitOutput(l -> l.contains("serving region " + region + " as a replica"), T);
                String put = api ? "put " + region + " 4096 77" : "put 4096 77";
                assertEquals("ok", a.ask(put, T));

                a.endInput();
                assertEquals(0, a.awaitExit(EXIT), "the application's exit status");
                List<String> outA = a.output();
                assertTrue(outA.stream().anyMatch(l -> l.contains("region " + region + ": flushed to 1 replica")),
                        "no successful last flush on a:\n" + String.join("\n", outA));
                assertTrue(outA.stream().anyMatch(l -> l.contains("memsync: node a left cluster")),
                        String.join("\n", outA));

                String await = api ? "await " + region + " 4096 77 10000" : "await 4096 77 10000";
                assertTrue(b.ask(await, T).startsWith("ok"), "the replica lacks the last write");
                b.awaitOutput(l -> l.contains("member a is leaving the cluster in order"), T);
                b.awaitOutput(l -> l.contains("owns region " + region), T);
                List<String> outB = b.output();
                assertFalse(outB.stream().anyMatch(l -> l.contains("gone without leaving")),
                        String.join("\n", outB));
                assertFalse(outB.stream().anyMatch(l -> l.startsWith("SEVERE")), String.join("\n", outB));
                assertTrue(outB.stream().anyMatch(l -> l.contains("claimed region " + region
                        + " from a (it left in order)")), String.join("\n", outB));
            }
        }
    }

    /**
     * A replica's application ends: its JVM exits, and the owner logs one line for the leave and no warning or
     * error (it used to log "maintaining region state failed ... Connection refused" with a stack trace every pass).
     */
    @org.junit.jupiter.api.Test
    void aReplicaLeavingInOrderIsOneLineInTheOwnersLog() throws Exception {
        try (ItCluster cluster = new ItCluster(2)) {
            Path fileA = cluster.file("a", "state");
            Path fileB = cluster.file("b", "state");
            Path configA = cluster.config(0, "a", "memsync.region.state.size=1m", "memsync.region.state.path=" + fileA,
                    "memsync.region.state.role=owner");
            Path configB = cluster.config(1, "b", "memsync.region.state.size=1m", "memsync.region.state.path=" + fileB,
                    "memsync.region.state.role=replica");
            try (AppProcess a = AppProcess.start("leave-replica-a", List.of(AppProcess.agent("config=" + configA)),
                    null, "example.app.MappedFileApp", fileA.toString(), "segment", "1048576");
                 AppProcess b = AppProcess.start("leave-replica-b", List.of(AppProcess.agent("config=" + configB)),
                         null, "example.app.MappedFileApp", fileB.toString(), "segment", "1048576")) {
                a.awaitLine("READY", T);
                b.awaitLine("READY", T);
                b.awaitOutput(l -> l.contains("serving region state as a replica"), T);
                assertEquals("ok", a.ask("put 8 5", T));
                assertTrue(a.ask("force", T).startsWith("ok forced"));
                int before = a.output().size();

                b.endInput();
                assertEquals(0, b.awaitExit(EXIT), "the replica's exit status");
                a.awaitOutput(l -> l.contains("member b is leaving the cluster in order"), T);
                // Two maintenance passes and more: whatever the owner would complain about, it has by now.
                Thread.sleep(3000);
                assertEquals("ok", a.ask("put 16 6", T), "the owner goes on writing");
                assertTrue(a.ask("force", T).startsWith("ok"), "a flush with its only replica gone");
                List<String> after = a.output().subList(before, a.output().size());
                List<String> complaints = after.stream().filter(l -> l.startsWith("SEVERE")
                        || l.startsWith("WARNING") && !l.contains("Unsafe") && !l.contains("Please consider")
                        || l.contains("Exception")).toList();
                assertTrue(complaints.isEmpty(), "the owner complained about a clean leave:\n"
                        + String.join("\n", after));
            }
        }
    }
}
