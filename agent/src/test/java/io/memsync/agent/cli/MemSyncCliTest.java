package io.memsync.agent.cli;

import io.memsync.cluster.testkit.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line's help and its answers to wrong use, without a JVM to talk to. */
class MemSyncCliTest {
    private String out;
    private String err;

    private int run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int status = new MemSyncCli(new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8)).run(args);
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return status;
    }

    @Test
    void helpForEveryCommand() {
        assertEquals(0, run("help"));
        assertTrue(out.contains("attach <pid>") && out.contains("verify <region>"), out);
        for (String command : new String[] {"attach", "status", "migrate", "verify"}) {
            assertEquals(0, run("help", command));
            assertTrue(out.startsWith("usage: java -jar memsync.jar " + command), out);
        }
        assertEquals(0, run("help", "config"));
        assertTrue(out.contains("memsync.region.NAME.size") && out.contains("memsync.members"), out);
        assertEquals(2, run());
    }

    @Test
    void wrongUseExitsWithTwoAndSaysWhy() {
        assertEquals(2, run("frobnicate"));
        assertTrue(err.contains("unknown command 'frobnicate'"), err);
        assertEquals(2, run("verify"));
        assertTrue(err.contains("verify needs one region name"), err);
        assertEquals(2, run("status", "--colour", "red"));
        assertTrue(err.contains("unknown option --colour"), err);
        assertEquals(2, run("status", "--pid"));
        assertTrue(err.contains("--pid needs a value"), err);
        assertEquals(2, run("status", "--pid", "notanumber"));
        assertTrue(err.contains("'notanumber' is not a process id"), err);
        assertEquals(2, run("status", "--jmx", "nohostport"));
        assertTrue(err.contains("--jmx wants host:port"), err);
        assertEquals(2, run("attach", "1", "region.x.size=12x,secret=" + Fixtures.SECRET));
        assertTrue(err.contains("memsync.region.x.size=12x"), err);
    }

    @Test
    void progressBar() {
        assertEquals("  PRECOPY   [###############---------------]  50%", MemSyncCli.bar("PRECOPY", 0.5));
        assertEquals("  DONE      [##############################] 100%", MemSyncCli.bar("DONE", 1.0));
    }
}
