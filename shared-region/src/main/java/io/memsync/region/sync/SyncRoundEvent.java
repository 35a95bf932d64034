package io.memsync.region.sync;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A JFR event for one push cycle of a {@link Syncer} that pushed chunks or was a flush: the cycle's duration
 * covers collecting the dirty chunks, pushing them and, for a flush, waiting for the sink's barrier. Idle
 * background cycles (nothing written) are not recorded: at a 2 ms interval they would flood the recording.
 */
@Name("io.memsync.region.sync.SyncRoundEvent")
@Label("Sync Round")
@Category("memsync")
@Description("A push cycle of a region's syncer: dirty chunks collected and pushed to the sink")
@StackTrace(false)
final class SyncRoundEvent extends jdk.jfr.Event {
    @Label("Region")
    @Description("Name of the region (the syncer's name)")
    String region;

    @Label("Chunks")
    @Description("Chunks pushed in this cycle")
    int chunks;

    @Label("Bytes")
    @Description("Bytes pushed in this cycle")
    @DataAmount
    long bytes;

    @Label("Flush")
    @Description("Whether the cycle was a flush (a barrier that waits for the sink), not a background push")
    boolean flush;

    @Label("Failed")
    @Description("Whether the push or the barrier failed; the chunks not pushed stay pending")
    boolean failed;
}
