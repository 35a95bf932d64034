package io.memsync.agent;

import io.memsync.cluster.WriterControl;

/**
 * The writer control of a region whose application registered none: memsync cannot stop writers it does not know
 * (an unmodified application writing through its own mapping), so a migration hands over without pausing them, and
 * says so. Writes made on the old owner after the last round are not sent anywhere: migrate such regions while the
 * application is idle, or register a real control with {@code MemSync.writerControl}.
 */
final class UnpausedWriters implements WriterControl {
    private static final System.Logger LOG = System.getLogger(UnpausedWriters.class.getName());
    private final String region;

    UnpausedWriters(String region) {
        this.region = region;
    }

    @Override
    public void pause() {
        LOG.log(System.Logger.Level.WARNING, "memsync: handing region " + region + " over without pausing its "
                + "writers (none registered with MemSync.writerControl): writes made here from now on are not "
                + "sent");
    }

    @Override
    public void resume() {
        // Nothing was paused.
    }
}
