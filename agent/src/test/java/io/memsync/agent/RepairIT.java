package io.memsync.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A replica's file written by another process on its host (nothing stops root or the file's owner): verify says the
 * copies differ and what to do, repair on the owner sends the differing chunks again and says so, and verify then
 * finds them identical; the replica's application reads the owner's bytes again.
 */
@Timeout(180)
class RepairIT {
    private static final Duration T = Duration.ofSeconds(60);

    @Test
    void aReplicaWrittenBehindMemsyncsBackIsRepairedFromTheCommandLine() throws Exception {
        try (ItCluster cluster = new ItCluster(2)) {
            Path fileA = cluster.file("a", "state");
            Path fileB = cluster.file("b", "state");
            Path configA = cluster.config(0, "a", "memsync.region.state.size=1m", "memsync.region.state.path=" + fileA,
                    "memsync.region.state.role=owner", "memsync.antientropy.interval.ms=0");
            Path configB = cluster.config(1, "b", "memsync.region.state.size=1m", "memsync.region.state.path=" + fileB,
                    "memsync.region.state.role=replica");
            try (AppProcess a = AppProcess.start("repair-a", List.of("-XX:+EnableDynamicAgentLoading",
                    AppProcess.agent("config=" + configA)), null, "example.app.MappedFileApp", fileA.toString(),
                    "segment", "1048576");
                 AppProcess b = AppProcess.start("repair-b", List.of(AppProcess.agent("config=" + configB)), null,
                         "example.app.MappedFileApp", fileB.toString(), "segment", "1048576")) {
                a.awaitLine("READY", T);
                b.awaitLine("READY", T);
                b.awaitOutput(l -> l.contains("serving region state as a replica"), T);
                a.awaitOutput(l -> l.contains("sent the whole of region state"), T);
                assertEquals("ok", a.ask("fill 0 1024 11", T));
                assertTrue(a.ask("force", T).startsWith("ok forced"));
                assertEquals("ok", b.ask("check 0 1024 11", T));

                // Another process on b's host writes b's file.
                try (FileChannel ch = FileChannel.open(fileB, StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, -5L), 800);
                }
                assertTrue(b.ask("check 0 1024 11", T).startsWith("mismatch"));
                String pid = Long.toString(a.pid());
                AttachCliIT.Cli verify = AttachCliIT.cli("verify", "state", "--pid", pid);
                assertEquals(1, verify.status(), verify.output());
                assertTrue(verify.output().contains("copies DIFFER") && verify.output().contains(
                        "java -jar memsync.jar repair state"), verify.output());

                AttachCliIT.Cli repair = AttachCliIT.cli("repair", "state", "--pid", pid);
                assertEquals(0, repair.status(), repair.output());
                assertTrue(repair.output().contains("sent again the chunks that differed: {b=1}"), repair.output());
                assertEquals("ok", b.ask("check 0 1024 11", T), "the replica's application reads other bytes");
                AttachCliIT.Cli again = AttachCliIT.cli("verify", "state", "--pid", pid);
                assertEquals(0, again.status(), again.output());
                a.awaitOutput(l -> l.contains("1 chunk of region state on b differed from the owner's"), T);

                // On the replica's JVM it says where to run it.
                AttachCliIT.Cli wrong = AttachCliIT.cli("repair", "state", "--pid", Long.toString(b.pid()));
                assertEquals(1, wrong.status(), wrong.output());
                assertTrue(wrong.output().contains("repair it on its owner, a"), wrong.output());
            }
        }
    }
}
