package io.memsync.jmx;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.Node;
import io.memsync.region.pager.PagerFaultsEvent;
import io.memsync.region.pager.PagerStatus;
import jdk.jfr.FlightRecorder;

/**
 * Emits a {@link PagerFaultsEvent} per paged copy of the node at each period a JFR recording asks for: the pager
 * processes serve the faults, so this JVM samples the counters they share instead of recording each fault.
 */
final class PagerSampler implements Runnable, AutoCloseable {
    private final Node node;

    private PagerSampler(Node node) {
        this.node = node;
    }

    /** Registers a sampler of {@code node} with JFR; {@link #close()} removes it. */
    static PagerSampler register(Node node) {
        PagerSampler sampler = new PagerSampler(node);
        FlightRecorder.addPeriodicEvent(PagerFaultsEvent.class, sampler);
        return sampler;
    }

    @Override
    public void run() {
        for (String name : node.regionNames()) {
            try {
                ClusterRegion copy = node.region(name);
                PagerStatus status = copy == null ? null : copy.pagerStatus();
                if (status != null) {
                    PagerFaultsEvent.record(name, status);
                }
            } catch (RuntimeException closed) {
                // The copy was closed while sampled (its status memory refuses reads then): no sample this time.
            }
        }
    }

    @Override
    public void close() {
        FlightRecorder.removePeriodicEvent(this);
    }
}
