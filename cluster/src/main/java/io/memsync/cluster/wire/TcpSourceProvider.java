package io.memsync.cluster.wire;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSource;
import io.memsync.region.store.ChunkSourceProvider;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The network as a chunk source, for pager processes: {@code tcp:REGION@host:port,host:port,...} pulls region
 * {@code REGION} (its id, in hexadecimal) from those peers (the owner and replicas), spreading requests over them;
 * {@code ?order=failover} asks them in the order given instead. Background pulls come as one stream from the first
 * peer reached (a link of its own), faults on the other links; {@code stream=off} pulls chunk by chunk instead.
 * The stream takes LZ4 chunks, which the peer sends while compressing pays on the link ({@code compress=auto}, the
 * default); {@code compress=off} asks for plain bytes only. Options are joined with {@code &}. A peer that cannot
 * be reached at first, or whose link breaks, is connected again later. The cluster secret, TLS stores and channel binding come from the environment
 * ({@code MEMSYNC_SECRET}, {@code MEMSYNC_TLS*}; {@link LinkSecurity#environment()}), which a pager is given by its
 * node.
 */
public final class TcpSourceProvider implements ChunkSourceProvider {

    @Override
    public String kind() {
        return "tcp";
    }

    @Override
    public ChunkSource open(String location, ChunkLayout layout) throws IOException {
        int at = location.indexOf('@');
        if (at < 1) {
            throw new IllegalArgumentException("network source '" + location + "': write REGION@host:port[,...]");
        }
        long region;
        try {
            region = Long.parseUnsignedLong(location.substring(0, at), 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("network source '" + location + "': the region id '"
                    + location.substring(0, at) + "' is not a hexadecimal number");
        }
        boolean inOrder = false;
        boolean stream = true;
        boolean compress = true;
        int query = location.indexOf('?');
        if (query > 0) {
            for (String option : location.substring(query + 1).split("&")) {
                switch (option) {
                    case "order=failover" -> inOrder = true;
                    case "order=spread" -> inOrder = false;
                    case "stream=on" -> stream = true;
                    case "stream=off" -> stream = false;
                    case "compress=auto" -> compress = true;
                    case "compress=off" -> compress = false;
                    default -> throw new IllegalArgumentException("network source '" + location + "': unknown "
                            + "option '" + option + "' (options: order=failover (first live peer) or order=spread "
                            + "(the default); stream=on (the default) or stream=off; compress=auto (the default: LZ4 "
                            + "when it pays) or compress=off; joined with &)");
                }
            }
            location = location.substring(0, query);
        }
        LinkSecurity security = LinkSecurity.fromEnvironment(System.getenv());
        // The source's own: closed with it.
        LinkWatchdog watchdog = new LinkWatchdog("memsync-pager-links");
        List<PeerLink> links = new ArrayList<>();
        List<RemoteChunkSource.Connector> connectors = new ArrayList<>();
        IOException last = null;
        for (String peer : location.substring(at + 1).split(",")) {
            int colon = peer.lastIndexOf(':');
            if (colon < 1) {
                throw new IllegalArgumentException("network source: peer '" + peer + "' is not host:port");
            }
            InetSocketAddress address = new InetSocketAddress(peer.substring(0, colon),
                    Integer.parseInt(peer.substring(colon + 1)));
            RemoteChunkSource.Connector connector = () -> PeerLink.connect(address, security, "pager",
                    layout.chunkSize(), Duration.ZERO, PeerLink.DEFAULT_STALL_TIMEOUT, watchdog);
            connectors.add(connector);
            try {
                links.add(connector.connect());
            } catch (IOException e) {
                links.add(null);
                last = e;
            }
        }
        if (links.stream().allMatch(java.util.Objects::isNull)) {
            watchdog.close();
            throw new IOException("network source: no peer of region " + Long.toHexString(region)
                    + " could be reached", last);
        }
        return new RemoteChunkSource(layout, region, links, connectors, Duration.ofSeconds(30), inOrder, watchdog)
                .streams(stream).compression(compress);
    }
}
