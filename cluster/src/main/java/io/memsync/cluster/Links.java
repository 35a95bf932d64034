package io.memsync.cluster;

import io.memsync.cluster.wire.LinkSecurity;
import io.memsync.cluster.wire.LinkWatchdog;
import io.memsync.cluster.wire.PeerLink;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Opens this node's data-plane links to other members, by member uuid, through the endpoints they publish. */
final class Links {
    private static final System.Logger LOG = System.getLogger(Links.class.getName());

    private final NodeConfig config;
    private final Membership membership;
    private final LinkWatchdog watchdog;
    private final LinkSecurity security;

    /** Links cut by {@code watchdog} when a write to them stalls longer than the flush timeout. */
    Links(NodeConfig config, Membership membership, LinkWatchdog watchdog, LinkSecurity security) {
        this.security = security;
        this.config = config;
        this.membership = membership;
        this.watchdog = watchdog;
    }

    /** A new authenticated link to {@code member}, cut when a write to it stalls longer than the flush timeout. */
    PeerLink open(String member, int chunkSize) throws IOException {
        InetSocketAddress endpoint = membership.endpoint(member);
        if (endpoint == null) {
            throw new IOException("member " + membership.memberName(member) + " has published no data endpoint");
        }
        return PeerLink.connect(endpoint, security, config.name(), chunkSize, Duration.ZERO,
                config.flushTimeout(), watchdog);
    }

    /** Links to each of {@code members} but this node; a member that cannot be reached now is left out. */
    Map<String, PeerLink> openAll(List<String> members, String me, int chunkSize) {
        Map<String, PeerLink> links = new ConcurrentHashMap<>();
        for (String member : members) {
            if (!member.equals(me)) {
                try {
                    links.put(member, open(member, chunkSize));
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.INFO, "node " + config.name() + ": no link to "
                            + membership.memberName(member) + " yet: " + e.getMessage());
                }
            }
        }
        return links;
    }

    /** The link to {@code member} taken from {@code ready} if it still works, else null. */
    static PeerLink take(Map<String, PeerLink> ready, String member) {
        PeerLink link = ready == null ? null : ready.remove(member);
        if (link != null && link.failure() != null) {
            return null;
        }
        return link;
    }

    static void closeAll(Map<String, PeerLink> links) {
        if (links != null) {
            links.values().forEach(PeerLink::close);
        }
    }
}
