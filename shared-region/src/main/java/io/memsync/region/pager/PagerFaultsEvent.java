package io.memsync.region.pager;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * A periodic JFR event per paged copy (a copy being paged in by a pager process): its faults and their service
 * times so far. The pager processes serve the faults, so the application's JVM cannot record them as they happen;
 * it samples the counters they share ({@link PagerStatus}). Registered with
 * {@code FlightRecorder.addPeriodicEvent} by whoever samples (the JMX registration does); {@link #record} emits one.
 * <p>
 * The event keeps the name it had when it lived in the cluster module, {@value #NAME}, so that recording settings
 * and tools that enable it by name go on working.
 */
@Name(PagerFaultsEvent.NAME)
@Label("Pager Faults")
@Category("memsync")
@Description("Faults of a region paged in by a pager process, and their service times, since it was mapped")
@Period("1 s")
@StackTrace(false)
public final class PagerFaultsEvent extends jdk.jfr.Event {
    /** The JFR event name, as {@code jfr print --events} and recording settings know it. */
    public static final String NAME = "io.memsync.cluster.PagerFaultsEvent";

    @Label("Region")
    @Description("Name of the region")
    String region;

    @Label("Faults")
    @Description("Page faults the pagers read since the region was mapped here")
    long faults;

    @Label("Chunks Pulled")
    @Description("Chunks installed by the pagers (faults and background pullers)")
    long chunksPulled;

    @Label("Present Chunks")
    @Description("Chunks present here now")
    long presentChunks;

    @Label("Fault p50")
    @Description("Median time from a fault to the install of its chunk")
    @Timespan(Timespan.MICROSECONDS)
    long p50Micros;

    @Label("Fault p99")
    @Description("99th percentile of the time from a fault to the install of its chunk")
    @Timespan(Timespan.MICROSECONDS)
    long p99Micros;

    @Label("Fault max")
    @Description("Longest time from a fault to the install of its chunk")
    @Timespan(Timespan.MICROSECONDS)
    long maxMicros;

    /** Emits one sample of {@code status}, the pager status of region {@code region}. */
    public static void record(String region, PagerStatus status) {
        PagerFaultsEvent event = new PagerFaultsEvent();
        if (event.shouldCommit()) {
            event.region = region;
            event.faults = status.faults();
            event.chunksPulled = status.chunksInstalled();
            event.presentChunks = status.presentChunks();
            event.p50Micros = status.faultNanosPercentile(50) / 1000;
            event.p99Micros = status.faultNanosPercentile(99) / 1000;
            event.maxMicros = status.maxFaultNanos() / 1000;
            event.commit();
        }
    }
}
