package io.memsync.cluster;

/**
 * Test access to a replica's data plane from outside the cluster package: holds the lock under which the node's
 * data server applies pushed chunks and epoch ends to a region, so that the replica falls behind on the data plane
 * while it stays a healthy Hazelcast member (unlike SIGSTOP, which stops both).
 */
public final class DataPlaneStall {
    private DataPlaneStall() {
    }

    /** Blocks the applying of pushes to {@code region} on {@code node} for {@code millis}, on a thread of its own. */
    public static Thread hold(Node node, String region, long millis) {
        ClusterRegion copy = node.region(region);
        if (copy == null) {
            throw new IllegalArgumentException("node " + node.name() + " holds no copy of region " + region);
        }
        Object lock = copy.served();
        return Thread.ofPlatform().name("stall-" + region).daemon(true).start(() -> {
            synchronized (lock) {
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
    }
}
