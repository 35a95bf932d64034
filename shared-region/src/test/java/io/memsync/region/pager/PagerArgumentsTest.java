package io.memsync.region.pager;

import io.memsync.region.ChunkLayout;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PagerArgumentsTest {
    /** A spec with every character the argument format could trip on: '=', '&', '?', ':' and spaces. */
    private static final String SPEC = "tcp:host:7000/region a?secretRef=x=y&delayUs=5&failFirst=2";

    private static PagerArguments sample() {
        return new PagerArguments(PagerArguments.Role.ACTIVE, false, new ChunkLayout(64L << 20, 1 << 20),
                new PagerArguments.Settings(SPEC, InstallMethod.MAP, 3, 2, 7, 5, Duration.ofNanos(1_500_001),
                        Duration.ofSeconds(5), true, Duration.ofMillis(1500)),
                new PagerArguments.Target(4242, 17, 18, 19, 0x7f12_3456_0000L));
    }

    @Test
    void argumentsReadBackAsTheyWereWritten() {
        PagerArguments a = sample();
        assertEquals(a, PagerArguments.fromArguments(a.toArguments()));
        PagerArguments standby = a.as(PagerArguments.Role.STANDBY, false);
        assertEquals(standby, PagerArguments.fromArguments(standby.toArguments()));
        PagerArguments takeover = a.as(PagerArguments.Role.ACTIVE, true);
        assertEquals(takeover, PagerArguments.fromArguments(takeover.toArguments()));
        assertTrue(a.toArguments().contains("--source=" + SPEC), "the spec travels verbatim: " + a.toArguments());
    }

    @Test
    void everyBadArgumentIsNamed() {
        List<String> good = sample().toArguments();

        List<String> missing = new ArrayList<>(good);
        missing.removeIf(s -> s.startsWith("--memfd="));
        assertMessage(missing, "pager needs --memfd=...");

        List<String> unknown = new ArrayList<>(good);
        unknown.add("--colour=blue");
        assertMessage(unknown, "unknown key 'colour'");

        List<String> twice = new ArrayList<>(good);
        twice.add("--pullers=1");
        assertMessage(twice, "--pullers is given twice");

        assertMessage(replace(good, "--pullers=", "--pullers=four"), "--pullers=four is not a whole number");
        assertMessage(replace(good, "--retry-backoff=", "--retry-backoff=10ms"), "--retry-backoff=10ms is not an ISO");
        assertMessage(replace(good, "--write-tracking=", "--write-tracking=yes"), "--write-tracking=yes: write true");
        assertMessage(replace(good, "--role=", "--role=boss"), "--role=boss: choose active or standby");
        assertMessage(replace(good, "--install=", "--install=teleport"), "unknown install method 'teleport'");
        assertMessage(List.of("pullers=3"), "'pullers=3' is not --key=value");
    }

    private static List<String> replace(List<String> args, String prefix, String with) {
        List<String> out = new ArrayList<>();
        for (String a : args) {
            out.add(a.startsWith(prefix) ? with : a);
        }
        return out;
    }

    private static void assertMessage(List<String> args, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PagerArguments.fromArguments(args));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
