package io.memsync.cluster;

import io.memsync.region.Region;
import io.memsync.region.track.TrackerKind;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The copies of cluster regions this node holds, by name, one per region, in whatever role; and how regions are
 * kept on this host ({@link LocalRegionSettings}: the file an application maps, the tracker, the push interval).
 * Readable from any thread; changed by the {@link Conductor}, and by {@code createRegion} for a region nobody else
 * can know of yet.
 */
final class Copies {
    private final Map<String, ClusterRegion> copies = new ConcurrentHashMap<>();
    private final Map<String, LocalRegionSettings> settings = new ConcurrentHashMap<>();
    private final Duration defaultInterval;

    Copies(Map<String, LocalRegionSettings> initial, Duration defaultInterval) {
        this.settings.putAll(initial);
        this.defaultInterval = defaultInterval;
    }

    ClusterRegion get(String name) {
        return copies.get(name);
    }

    /** Adds {@code copy} if this node holds no copy of its region; returns whether it did. */
    boolean add(ClusterRegion copy) {
        boolean added = copies.putIfAbsent(copy.name(), copy) == null;
        if (added) {
            synchronized (this) {
                notifyAll();
            }
        }
        return added;
    }

    /** Replaces {@code before} with {@code after} (a change of role); false if {@code before} is not held. */
    boolean replace(ClusterRegion before, ClusterRegion after) {
        boolean replaced = copies.replace(before.name(), before, after);
        if (replaced) {
            synchronized (this) {
                notifyAll();
            }
        }
        return replaced;
    }

    /** Forgets {@code copy}; false if it was not held (any more). */
    boolean remove(ClusterRegion copy) {
        return copies.remove(copy.name(), copy);
    }

    Collection<ClusterRegion> all() {
        return copies.values();
    }

    List<String> names() {
        return copies.keySet().stream().sorted().toList();
    }

    /** Waits until this node has a copy of {@code name}; null if none appeared within {@code timeout}. */
    ClusterRegion await(String name, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            ClusterRegion r;
            while ((r = copies.get(name)) == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
            return r;
        }
    }

    void settings(String name, LocalRegionSettings s) {
        LocalRegionSettings previous = settings.putIfAbsent(name, s);
        if (previous != null && !previous.equals(s)) {
            throw new IllegalStateException("region " + name + " has local settings here already: " + previous);
        }
    }

    /** The file region {@code name} lives in on this host, or null if it is a memfd. */
    Path backingFile(String name) {
        LocalRegionSettings s = settings.get(name);
        return s == null ? null : s.file();
    }

    /** A new local region for {@code name}: in its file (adopted with its content) if it has one, else a memfd. */
    Region newRegion(String name, long size, int chunkSize) {
        LocalRegionSettings s = settings.get(name);
        Region.Builder builder = Region.builder(name).size(size).chunkSize(chunkSize);
        if (s != null && s.file() != null) {
            builder.sharedPath(s.file()).adoptExisting();
        }
        return builder.create();
    }

    TrackerKind trackerKind(String name) {
        LocalRegionSettings s = settings.get(name);
        return s == null ? TrackerKind.AUTO : s.tracker();
    }

    Duration pushInterval(String name) {
        LocalRegionSettings s = settings.get(name);
        return s == null || s.pushInterval() == null ? defaultInterval : s.pushInterval();
    }
}
