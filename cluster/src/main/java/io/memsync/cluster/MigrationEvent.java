package io.memsync.cluster;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** A JFR event for a migration this node ran as the source, committed when it ended (done, failed or cancelled). */
@Name("io.memsync.cluster.MigrationEvent")
@Label("Region Migration")
@Category("memsync")
@Description("A migration of a region's ownership from this node to another, from its start to its end")
@StackTrace(false)
final class MigrationEvent extends jdk.jfr.Event {
    @Label("Region")
    @Description("Name of the migrated region")
    String region;

    @Label("Destination")
    @Description("Member uuid of the destination")
    String destination;

    @Label("Phase")
    @Description("The phase the migration ended in: DONE, FAILED or CANCELLED")
    String phase;

    @Label("Rounds")
    @Description("Dirty rounds sent, the final one included")
    int rounds;

    @Label("Chunks Sent")
    @Description("Chunks this node pushed to the destination during the migration")
    long chunksSent;

    @Label("Bytes Sent")
    @Description("Bytes this node pushed to the destination during the migration")
    @DataAmount
    long bytesSent;

    @Label("Writer Pause")
    @Description("How long the writers were paused for the handover (0 if it did not get there)")
    @Timespan(Timespan.NANOSECONDS)
    long pause;

    @Label("Failure")
    @Description("Why it failed or was cancelled; empty when done")
    String failure;
}
