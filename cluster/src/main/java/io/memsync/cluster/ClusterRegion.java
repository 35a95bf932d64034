package io.memsync.cluster;

import io.memsync.cluster.wire.ReplicaSink;
import io.memsync.cluster.wire.ServedRegion;
import io.memsync.region.Region;
import io.memsync.region.sync.Syncer;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32C;

/**
 * This node's copy of a cluster region: the owner's writable one, whose syncer pushes to the replicas, or a
 * replica's, filled by the owner and read-only here.
 */
public final class ClusterRegion implements AutoCloseable {
    private final String name;
    private final Region region;
    private final ServedRegion served;
    private final Syncer syncer;
    private final ReplicaSink sink;
    private final boolean owner;
    private final Runnable afterFlush;

    /** A replica's copy. */
    ClusterRegion(String name, Region region, ServedRegion served) {
        this(name, region, served, null, null, () -> { });
    }

    /** The owner's copy: {@code syncer} pushes into {@code sink}; {@code afterFlush} runs after each flush. */
    ClusterRegion(String name, Region region, ServedRegion served, Syncer syncer, ReplicaSink sink,
                  Runnable afterFlush) {
        this.name = name;
        this.region = region;
        this.served = served;
        this.syncer = syncer;
        this.sink = sink;
        this.owner = syncer != null;
        this.afterFlush = afterFlush;
    }

    public String name() {
        return name;
    }

    public boolean isOwner() {
        return owner;
    }

    /** The memory: writable on the owner, a read-only view on a replica. */
    public MemorySegment segment() {
        return owner ? region.segment() : region.readOnlyView();
    }

    public long size() {
        return region.size();
    }

    public int chunkCount() {
        return region.layout().chunkCount();
    }

    /** On the owner: returns once the replica quorum holds every write made before the call. */
    public void flush() throws IOException {
        if (!owner) {
            throw new IllegalStateException("region " + name + " is a replica here: flush on its owner");
        }
        syncer.flush();
        afterFlush.run();
    }

    /** CRC32C of the whole region, to compare copies. */
    public long checksum() {
        CRC32C crc = new CRC32C();
        MemorySegment m = region.readOnlyView();
        for (long o = 0; o < m.byteSize(); o += 1L << 30) {
            crc.update(m.asSlice(o, Math.min(1L << 30, m.byteSize() - o)).asByteBuffer());
        }
        return crc.getValue();
    }

    /** The last epoch applied here (replicas). */
    public long appliedEpoch() {
        return served.appliedEpoch();
    }

    ServedRegion served() {
        return served;
    }

    Region region() {
        return region;
    }

    Syncer syncer() {
        return syncer;
    }

    /** On the owner: the replicas and their links; null on a replica. */
    ReplicaSink sink() {
        return sink;
    }

    /** The fencing token this copy follows. */
    public long token() {
        return served.token();
    }

    /** Stops the syncer without its final flush and closes the links: this copy is no longer the owner's. */
    void stopPushing() {
        try {
            syncer.close();
        } catch (IOException | RuntimeException expected) {
            // The final flush fails against replicas that follow the new owner: that is the point.
        }
        closeLinks();
    }

    private void closeLinks() {
        if (sink != null) {
            for (ReplicaSink.Replica r : sink.replicas()) {
                r.link().close();
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (syncer != null) {
                syncer.close();
            }
        } finally {
            closeLinks();
            region.close();
        }
    }
}
