package io.memsync.cluster;

import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Workers}: an idle worker is reused before a thread is added, at most the maximum run, one job per key. */
class WorkersTest {

    @Test
    void jobsOneAfterAnotherRunOnOneThread() throws Exception {
        try (Workers workers = new Workers("test-worker", 4)) {
            Set<String> names = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < 20; i++) {
                CountDownLatch done = new CountDownLatch(1);
                assertTrue(workers.submit("job " + i, () -> {
                    names.add(Thread.currentThread().getName());
                    done.countDown();
                }));
                assertTrue(done.await(10, TimeUnit.SECONDS));
                // The worker goes back to waiting for the next job just after it counted down.
                waitIdle(workers);
            }
            assertEquals(1, names.size(), "threads used: " + names);
            assertEquals(1, workers.threadCount());
        }
    }

    @Test
    void busyWorkersAddThreadsUpToTheMaximumAndTheRestWaitInLine() throws Exception {
        try (Workers workers = new Workers("test-worker", 3)) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch started = new CountDownLatch(3);
            Set<String> names = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < 3; i++) {
                assertTrue(workers.submit("blocking " + i, () -> {
                    names.add(Thread.currentThread().getName());
                    started.countDown();
                    release.await();
                }));
            }
            assertTrue(started.await(10, TimeUnit.SECONDS));
            CountDownLatch fourth = new CountDownLatch(1);
            assertTrue(workers.submit("fourth", fourth::countDown));
            assertFalse(fourth.await(200, TimeUnit.MILLISECONDS), "a fourth job ran beside three busy workers");
            assertEquals(3, workers.threadCount());
            assertFalse(workers.submit("blocking 0", () -> { }), "a second job under a running key was accepted");
            release.countDown();
            assertTrue(fourth.await(10, TimeUnit.SECONDS), "the queued job never ran");
            assertEquals(3, names.size());
            assertEquals(3, workers.threadCount());
        }
    }

    private static void waitIdle(Workers workers) throws InterruptedException {
        for (int i = 0; i < 200 && workers.idleCount() < workers.threadCount(); i++) {
            Thread.sleep(5);
        }
    }
}
