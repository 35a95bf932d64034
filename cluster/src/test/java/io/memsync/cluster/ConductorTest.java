package io.memsync.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The conductor survives what its tasks throw, Errors included, and keeps its periodic pass going. */
@Timeout(30)
class ConductorTest {

    @Test
    void anErrorInATaskOrAPassStopsNeitherTheThreadNorThePasses() throws Exception {
        AtomicInteger passes = new AtomicInteger();
        CountDownLatch passedAfterErrors = new CountDownLatch(3);
        try (Conductor c = new Conductor("test-conductor", () -> {
            int n = passes.incrementAndGet();
            if (n == 2) {
                throw new StackOverflowError("a pass that blew its stack");
            }
            if (n > 2) {
                passedAfterErrors.countDown();
            }
        }, Duration.ofMillis(10)).start()) {
            c.execute(() -> {
                throw new OutOfMemoryError("a task that ran out of memory");
            });
            c.execute(() -> {
                throw new IllegalStateException("a task that failed");
            });
            assertEquals(42, (int) c.call(() -> 42, Duration.ofSeconds(5)), "tasks still run after errors");
            assertTrue(passedAfterErrors.await(10, TimeUnit.SECONDS), "passes go on after an Error in one");
            assertTrue(c.errors() >= 3, "every failure is counted: " + c.errors());
            IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, () -> c.call(() -> {
                throw new IllegalArgumentException("told to the caller");
            }, Duration.ofSeconds(5)));
            assertEquals("told to the caller", thrown.getMessage());
        }
    }

    @Test
    void passSoonRunsOnePassHoweverOftenItIsAsked() throws Exception {
        AtomicInteger passes = new AtomicInteger();
        CountDownLatch gate = new CountDownLatch(1);
        try (Conductor c = new Conductor("test-conductor", passes::incrementAndGet, Duration.ofHours(1)).start()) {
            c.call(() -> passes.get(), Duration.ofSeconds(5));
            int before = passes.get();
            c.execute(() -> {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (int i = 0; i < 100; i++) {
                c.passSoon();
            }
            gate.countDown();
            c.call(() -> null, Duration.ofSeconds(5));
            assertEquals(before + 1, passes.get(), "100 requests while busy make one pass");
        }
    }
}
