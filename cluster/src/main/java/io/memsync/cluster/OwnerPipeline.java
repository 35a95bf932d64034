package io.memsync.cluster;

import io.memsync.region.track.Trackers;
import io.memsync.cluster.wire.DataServer;
import io.memsync.cluster.wire.PeerLink;
import io.memsync.cluster.wire.ReplicaSink;
import io.memsync.cluster.wire.ServedRegion;
import io.memsync.region.Region;
import io.memsync.region.page.LazyRegion;
import io.memsync.region.sync.Syncer;
import io.memsync.region.track.DirtyTracker;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/**
 * Builds an owner's copy, the one way every path to ownership takes (creating a region, failover, a migration's
 * handover to a replica or to its destination): the copy served as the owner's under its token, a tracker, a
 * {@link ReplicaSink} fenced by that token, a {@link Syncer} pushing into it, and the {@link AckRecorder} that tells
 * the directory what the replicas hold after each flush.
 */
final class OwnerPipeline {
    private final NodeConfig config;
    private final DataServer data;
    private final Copies copies;
    private final RegionDirectory directory;

    OwnerPipeline(NodeConfig config, DataServer data, Copies copies, RegionDirectory directory) {
        this.config = config;
        this.data = data;
        this.copies = copies;
        this.directory = directory;
    }

    /**
     * How any copy of a region is served here, whatever its role: under {@code id}, answering pulls from the region's
     * own mapping, taking pushes through a second mapping (never tracked as this node's writes, never faulted in),
     * and checking a newer token with the directory before adopting it.
     */
    ServedRegion served(long id, String name, Region region, ServedRegion.Role role, long token) {
        ServedRegion served = new ServedRegion(id, name, region.segment(), region.layout(), role, token);
        MemorySegment second = region.untrackedMapping();
        if (role == ServedRegion.Role.OWNER) {
            served.applyWhenDemoted(second);
        } else {
            served.applyThrough(second);
        }
        return served.authority(() -> {
            RegionRecord now = directory.get(name);
            return now == null ? 0 : now.token();
        });
    }

    /**
     * A tracker for a copy about to be written here: a paged copy's is its pager's userfaultfd's (a range belongs to
     * one userfaultfd: a second tracker on it fails with EBUSY), started once and kept for the copy's life; a plain
     * region gets one of the kind configured for it.
     */
    DirtyTracker tracker(String name, Region region, LazyRegion lazy) {
        if (lazy != null) {
            DirtyTracker t = lazy.tracker();
            return t != null ? t : lazy.startTracking();
        }
        return Trackers.start(region, copies.trackerKind(name));
    }

    /**
     * The owner's copy of {@code name} under {@code token}: {@code served} answers pulls and refuses pushes from now
     * on; the syncer is built but not started ({@link #start}); the sink has no replica yet.
     *
     * @param expected the replicas the region should have: flushes count their quorum against this many
     */
    ClusterRegion open(String name, long id, Region region, LazyRegion lazy, ServedRegion served, long token,
                       DirtyTracker tracker, int expected) {
        ReplicaSink sink = new ReplicaSink(region.layout(), id, () -> token, config.flushQuorum(),
                config.flushTimeout());
        sink.expect(expected);
        Syncer syncer = new Syncer(name, tracker, sink, copies.pushInterval(name));
        served.becomeOwner(token);
        data.serve(served);
        AckRecorder acks = new AckRecorder(sink, (member, epoch) ->
                directory.held(name, member, new RegionRecord.Held(token, epoch)));
        return ClusterRegion.owner(name, region, lazy, served, syncer, sink, acks);
    }

    /**
     * Pushes to {@code members} from now on, over the links in {@code ready} where they work; returns those it had
     * no link for (placement connects and fills them). With {@code fill}, each is taken to hold nothing yet.
     */
    List<String> connect(ClusterRegion owner, List<String> members, Map<String, PeerLink> ready, boolean fill) {
        List<String> unlinked = new java.util.ArrayList<>();
        for (String member : members) {
            PeerLink link = Links.take(ready, member);
            if (link == null) {
                unlinked.add(member);
            } else {
                owner.sink().add(member, link, fill);
            }
        }
        return unlinked;
    }

    /** Starts pushing. */
    void start(ClusterRegion owner) {
        owner.syncer().start();
    }
}
