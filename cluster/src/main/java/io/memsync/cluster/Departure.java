package io.memsync.cluster;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The last flush of every region a leaving node owns, all at once and within one bound: a flush still waiting when
 * the bound passes has its replica links cut, which ends it at once, failed.
 */
final class Departure {
    private Departure() {
    }

    static List<LastFlush> flushOwned(List<ClusterRegion> owned, Duration bound) {
        long start = System.nanoTime();
        long deadline = start + bound.toNanos();
        List<CompletableFuture<Void>> flushes = new ArrayList<>();
        for (ClusterRegion copy : owned) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            Thread.ofPlatform().daemon(true).name("memsync-last-flush-" + copy.name()).start(() -> {
                try {
                    copy.flush();
                    done.complete(null);
                } catch (IOException | RuntimeException e) {
                    done.completeExceptionally(e);
                }
            });
            flushes.add(done);
        }
        List<LastFlush> out = new ArrayList<>();
        for (int i = 0; i < owned.size(); i++) {
            ClusterRegion copy = owned.get(i);
            String failure = null;
            try {
                flushes.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                failure = "its replicas did not acknowledge within " + bound.toMillis() + " ms";
                copy.cutLinks();
                try {
                    flushes.get(i).get(2, TimeUnit.SECONDS);
                } catch (InterruptedException | ExecutionException | TimeoutException ignored) {
                    // The links are cut: the flush thread ends, and it is a daemon either way.
                }
            } catch (ExecutionException e) {
                failure = e.getCause().getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = "interrupted";
                copy.cutLinks();
            }
            int replicas = copy.sink() == null ? 0 : copy.sink().replicas().size();
            out.add(new LastFlush(copy.name(), replicas, (System.nanoTime() - start) / 1_000_000, failure));
        }
        return out;
    }
}
