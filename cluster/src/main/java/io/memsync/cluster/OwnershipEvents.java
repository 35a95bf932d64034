package io.memsync.cluster;

import java.util.function.Supplier;

/** Records every ownership change of its node as an {@link OwnershipChangeEvent} (when a JFR recording wants it). */
final class OwnershipEvents implements OwnershipListener {
    private final Supplier<String> memberId;

    OwnershipEvents(Supplier<String> memberId) {
        this.memberId = memberId;
    }

    @Override
    public void gained(ClusterRegion region) {
        commit(region.name(), true, memberId.get(), region.token());
    }

    @Override
    public void lost(String name, String newOwner, long token) {
        commit(name, false, newOwner, token);
    }

    private static void commit(String region, boolean gained, String newOwner, long token) {
        OwnershipChangeEvent event = new OwnershipChangeEvent();
        if (event.shouldCommit()) {
            event.region = region;
            event.gained = gained;
            event.newOwner = newOwner;
            event.token = token;
            event.commit();
        }
    }
}
