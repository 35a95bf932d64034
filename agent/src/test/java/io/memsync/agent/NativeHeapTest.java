package io.memsync.agent;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link NativeHeap#trim()} reaches the JVM's {@code System.trim_native_heap} command on this machine (glibc) and
 * reports what it returned: a wrong operation name or signature would report "not trimmed" and leave the start-up's
 * freed C heap resident.
 */
class NativeHeapTest {

    @Test
    void trimsThroughTheJvmsDiagnosticCommand() {
        String result = NativeHeap.trim();
        assertTrue(result.startsWith("Trim native heap: RSS+Swap: "), result);
    }
}
