package io.memsync.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * A node's place in the cluster: its embedded Hazelcast member (configured here: TCP/IP join with an explicit member
 * list, multicast off, a dead member noticed within ~5 s), the members and their names, and the data-plane endpoint
 * each member publishes. Membership changes are handed to a listener, which only enqueues work.
 */
final class Membership implements AutoCloseable {
    /** Hazelcast member attribute holding the node's name, so that every node can name its peers. */
    static final String NAME_ATTRIBUTE = "memsync.name";
    static final String DIRECTORY = "memsync.regions";
    static final String ENDPOINTS = "memsync.endpoints";
    /** Region name to the share a migration's destination has paged in, reported by the destination. */
    static final String PAGING = "memsync.paging";
    /** Hazelcast executor that runs {@link ChecksumRequest}s. */
    static final String CHECKSUMS = "memsync.checksums";
    /** Hazelcast executor that runs {@link MigrationRequest}s. */
    static final String MIGRATIONS = "memsync.migrations";

    private final NodeConfig config;
    private final HazelcastInstance hazelcast;
    private final IMap<String, String> endpoints;
    /** Member uuid to node name, of every member seen: names stay known after a member left. */
    private final Map<String, String> knownNames = new ConcurrentHashMap<>();

    private Membership(NodeConfig config, HazelcastInstance hazelcast) {
        this.config = config;
        this.hazelcast = hazelcast;
        this.endpoints = hazelcast.getMap(ENDPOINTS);
    }

    /** Starts the Hazelcast member and joins the cluster; {@code node} is what member tasks find in its context. */
    static Membership join(NodeConfig config, Object node) {
        Config hazelcastConfig = hazelcastConfig(config);
        hazelcastConfig.getUserContext().put(MigrationRequest.NODE, node);
        return new Membership(config, Hazelcast.newHazelcastInstance(hazelcastConfig));
    }

    static Config hazelcastConfig(NodeConfig config) {
        Config c = new Config();
        c.setClusterName(config.clusterName());
        c.setInstanceName("memsync-" + config.name());
        c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.logging.type", "jdk");
        c.setProperty("hazelcast.shutdownhook.enabled", "false");
        c.getMemberAttributeConfig().setAttribute(NAME_ATTRIBUTE, config.name());
        // A member cut off (paused, partitioned) looks for the others every 5 s, not after Hazelcast's 5 minutes, so
        // that a deposed owner comes back as a replica soon.
        c.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        c.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        if (config.minClusterSize() > 1) {
            // Below this many members the directory refuses reads and writes: a minority (an owner cut off from the
            // rest) can neither see itself as owner nor shrink its replica set to what it can still reach.
            c.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig("memsync-quorum", true,
                    config.minClusterSize()));
            c.getMapConfig(DIRECTORY).setSplitBrainProtectionName("memsync-quorum");
        }
        // The directory and endpoints are tiny and everything rests on them: two synchronous backups, so that they
        // survive a member dying while partitions migrate to a newcomer.
        for (String map : List.of(DIRECTORY, ENDPOINTS, PAGING)) {
            c.getMapConfig(map).setBackupCount(2);
        }
        // Members only: one member endpoint on the configured interface and no client endpoint, so that a
        // Hazelcast client that knows the cluster name cannot connect and read or rewrite the directory (open-source
        // Hazelcast authenticates neither clients nor members).
        AdvancedNetworkConfig network = c.getAdvancedNetworkConfig().setEnabled(true);
        ServerSocketEndpointConfig members = new ServerSocketEndpointConfig();
        members.setPort(config.hazelcastPort()).setPortAutoIncrement(false);
        members.setPublicAddress(config.host() + ":" + config.hazelcastPort());
        members.getInterfaces().setEnabled(true).addInterface(config.host());
        network.setMemberEndpointConfig(members);
        // And listen on that interface only, not on every address of the host.
        c.setProperty("hazelcast.socket.bind.any", "false");
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        // Hazelcast waits this long for the listed members to answer before a node forms a cluster of its own: at its
        // default of 5 s every cluster started together took 5 s more to form. A member slower than that to start
        // simply joins the cluster formed meanwhile.
        join.getTcpIpConfig().setEnabled(true).setMembers(new ArrayList<>(config.members()))
                .setConnectionTimeoutSeconds(1);
        return c;
    }

    HazelcastInstance hazelcast() {
        return hazelcast;
    }

    /** Tells {@code listener} of members joining and leaving (on Hazelcast's event thread: keep it short). */
    void onMembershipChange(MembershipListener listener) {
        hazelcast.getCluster().addMembershipListener(listener);
    }

    /**
     * This node's member uuid, as the directory names owners and replicas. Read each time: Hazelcast gives a member
     * a new uuid when it merges back after a split, and this node is then a new member to the others.
     */
    String memberId() {
        return hazelcast.getCluster().getLocalMember().getUuid().toString();
    }

    /** Live members' uuids, sorted. */
    List<String> members() {
        return hazelcast.getCluster().getMembers().stream().map(m -> m.getUuid().toString()).sorted().toList();
    }

    int size() {
        return hazelcast.getCluster().getMembers().size();
    }

    /** The live member with uuid {@code uuid}, or null. */
    Member member(String uuid) {
        for (Member m : hazelcast.getCluster().getMembers()) {
            if (m.getUuid().toString().equals(uuid)) {
                return m;
            }
        }
        return null;
    }

    /**
     * Waits until every Hazelcast partition has its backups in place (true), or {@code timeout} passes (false).
     * Until then a member that dies can take directory entries with it.
     */
    boolean awaitClusterSafe(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!hazelcast.getPartitionService().isClusterSafe()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(20_000_000);
        }
        return true;
    }

    /** Publishes this node's data-plane address under its member uuid, if it is not there (a new uuid, a lost entry). */
    void publishEndpoint(InetSocketAddress data) {
        String endpoint = config.host() + ":" + data.getPort();
        String me = memberId();
        if (!endpoint.equals(endpoints.get(me))) {
            endpoints.set(me, endpoint);
        }
    }

    /** The data-plane address {@code member} published, or null. */
    InetSocketAddress endpoint(String member) {
        String endpoint = endpoints.get(member);
        if (endpoint == null) {
            return null;
        }
        int colon = endpoint.lastIndexOf(':');
        return new InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
    }

    /** {@code member}'s data-plane address as published ("host:port"), or null. */
    String endpointText(String member) {
        return endpoints.get(member);
    }

    /**
     * The node name of member {@code memberId}, from its Hazelcast member attribute; for a member no longer in the
     * cluster the name it had when this node last saw it, else the uuid itself.
     */
    String memberName(String memberId) {
        for (Member m : hazelcast.getCluster().getMembers()) {
            remember(m);
        }
        return knownNames.getOrDefault(memberId, memberId);
    }

    /** Notes {@code m}'s name; returns it (or its uuid, if it has none). */
    String remember(Member m) {
        String name = m.getAttribute(NAME_ATTRIBUTE);
        String uuid = m.getUuid().toString();
        if (name != null) {
            knownNames.put(uuid, name);
        }
        return name == null ? uuid : name;
    }

    /**
     * The uuid of the live member named {@code nameOrId}: its uuid, or its node name.
     *
     * @throws IllegalArgumentException if no live member has that uuid or name, or several have that name
     */
    String resolve(String nameOrId) {
        String wanted = nameOrId == null ? "" : nameOrId.trim();
        List<String> byName = new ArrayList<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            String uuid = m.getUuid().toString();
            if (uuid.equals(wanted)) {
                return uuid;
            }
            if (wanted.equals(remember(m))) {
                byName.add(uuid);
            }
        }
        if (byName.size() == 1) {
            return byName.getFirst();
        }
        throw new IllegalArgumentException((byName.isEmpty() ? "no live member is named or has the uuid '"
                + wanted + "'" : "several members are named '" + wanted + "': give the uuid") + "; members: "
                + String.join(", ", descriptions()));
    }

    /** The live members as "name uuid host:port" (the Hazelcast address), sorted by name. */
    List<String> descriptions() {
        List<String> out = new ArrayList<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            out.add(remember(m) + " " + m.getUuid() + " " + m.getAddress().getHost() + ":"
                    + m.getAddress().getPort());
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** A membership event as a peer listener wants it: uuid, name, address. */
    String[] describe(MembershipEvent event) {
        Member m = event.getMember();
        return new String[] {m.getUuid().toString(), remember(m), m.getAddress().getHost() + ":"
                + m.getAddress().getPort()};
    }

    @Override
    public void close() {
        hazelcast.shutdown();
    }
}
