package io.memsync.cluster;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Who wants to hear of a node's ownership changes, migration phases and peers, and telling them: a listener that
 * throws is logged and never fails the change it hears of.
 */
final class Listeners {
    private static final System.Logger LOG = System.getLogger(Listeners.class.getName());

    final List<OwnershipListener> ownership = new CopyOnWriteArrayList<>();
    final List<MigrationListener> migration = new CopyOnWriteArrayList<>();
    final List<PeerListener> peers = new CopyOnWriteArrayList<>();

    void gained(ClusterRegion owner) {
        tell(ownership, l -> l.gained(owner), "an ownership listener");
    }

    void lost(String name, String newOwner, long token) {
        tell(ownership, l -> l.lost(name, newOwner, token), "an ownership listener");
    }

    void phase(MigrationProgress progress) {
        tell(migration, l -> l.phaseChanged(progress), "a migration listener");
    }

    void peer(boolean joined, String memberId, String name, String address) {
        tell(peers, l -> {
            if (joined) {
                l.joined(memberId, name, address);
            } else {
                l.lost(memberId, name, address);
            }
        }, "a peer listener");
    }

    private static <L> void tell(List<L> listeners, Consumer<L> call, String what) {
        for (L l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, what + " failed: " + e);
                LOG.log(System.Logger.Level.DEBUG, what, e);
            }
        }
    }
}
