package io.memsync.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.serialization.HazelcastSerializationException;
import io.memsync.cluster.control.Envelope;
import io.memsync.cluster.control.ForgedValueException;
import io.memsync.cluster.control.Forgeries;
import io.memsync.cluster.control.Versions;

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
 * <p>
 * Endpoints are signed ({@link Envelope}) under the member's uuid: a member is one of this cluster's memsync nodes
 * once its signed endpoint verifies. Any other member of the Hazelcast cluster (one that knew the cluster's name and
 * reached its port, but not the secret) is foreign: logged once, counted, and never chosen as an owner, replica or
 * destination, nor connected to.
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

    /** How long a new member may take to publish its signed endpoint before it is called foreign. */
    static final Duration FOREIGN_AFTER = Duration.ofSeconds(10);
    /**
     * Hazelcast's sizes for memsync (its defaults are for a data grid: 271 partitions, 3+3 IO threads, 5 event
     * threads, an operation thread per core, metrics collection). Responses are handled on the IO thread that reads
     * them, and the one generic operation thread takes priority operations (heartbeats, membership) before the
     * others, as a dedicated priority thread would. Every node of a cluster must use the same partition count.
     */
    static final Map<String, String> SMALL = Map.ofEntries(
            Map.entry("hazelcast.partition.count", "31"),
            Map.entry("hazelcast.io.input.thread.count", "1"),
            Map.entry("hazelcast.io.output.thread.count", "1"),
            Map.entry("hazelcast.event.thread.count", "1"),
            Map.entry("hazelcast.operation.thread.count", "1"),
            Map.entry("hazelcast.operation.generic.thread.count", "1"),
            Map.entry("hazelcast.operation.response.thread.count", "0"),
            Map.entry("hazelcast.operation.priority.generic.thread.count", "0"),
            Map.entry("hazelcast.slow.operation.detector.enabled", "false"),
            Map.entry("hazelcast.health.monitoring.level", "OFF"));

    private final NodeConfig config;
    private final HazelcastInstance hazelcast;
    private final IMap<String, byte[]> endpoints;
    private final Envelope envelope;
    private final Forgeries forgeries;
    /** Verified endpoints by member uuid (a uuid's endpoint never changes: a restarted node has a new uuid). */
    private final Versions<InetSocketAddress> verified = new Versions<>();
    /** When each member without a verified endpoint was first seen (nanoTime), to call it foreign after a while. */
    private final Map<String, Long> unverifiedSince = new ConcurrentHashMap<>();
    /** Foreign members in the cluster now, by uuid (each logged once). */
    private final Map<String, Boolean> foreign = new ConcurrentHashMap<>();
    /** The value last refused under each member's uuid, so that the same forgery is counted once. */
    private final Map<String, Integer> refusedValues = new ConcurrentHashMap<>();
    /** Members that said, signed, that they leave in order: no longer counted on, by uuid. */
    private final Map<String, Boolean> leaving = new ConcurrentHashMap<>();
    /** The last members that left in order, by uuid (bounded: a long-lived cluster sees many come and go). */
    private final java.util.Set<String> departed = java.util.Collections.synchronizedSet(
            java.util.Collections.newSetFromMap(new java.util.LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > 256;
                }
            }));
    /** Member uuid to node name, of every member seen: names stay known after a member left. */
    private final Map<String, String> knownNames = new ConcurrentHashMap<>();

    private Membership(NodeConfig config, HazelcastInstance hazelcast, Envelope envelope, Forgeries forgeries) {
        this.config = config;
        this.hazelcast = hazelcast;
        this.endpoints = hazelcast.getMap(ENDPOINTS);
        this.envelope = envelope;
        this.forgeries = forgeries;
    }

    /** Starts the Hazelcast member and joins the cluster; {@code node} is what member tasks find in its context. */
    static Membership join(NodeConfig config, Object node, Envelope envelope, Forgeries forgeries) {
        HazelcastLogs.install();
        Config hazelcastConfig = hazelcastConfig(config);
        hazelcastConfig.getUserContext().put(SignedTask.NODE, node);
        HazelcastInstance hazelcast = Hazelcast.newHazelcastInstance(hazelcastConfig);
        HazelcastThreads.trim(hazelcast);
        return new Membership(config, hazelcast, envelope, forgeries);
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
        // A graceful shutdown (a node leaving in order) waits for partition migrations at most this long.
        c.setProperty("hazelcast.graceful.shutdown.max.wait", "20");
        // Sized for memsync's few small maps and its few requests, not for a data grid: an application under the agent
        // pays for every thread and partition. Each can be raised with the same -D system property.
        for (Map.Entry<String, String> small : SMALL.entrySet()) {
            if (System.getProperty(small.getKey()) == null) {
                c.setProperty(small.getKey(), small.getValue());
            }
        }
        // Hazelcast's metrics collection (two threads, and memory) serves Management Center, which memsync has not.
        c.getMetricsConfig().setEnabled(false);
        c.getMemberAttributeConfig().setAttribute(NAME_ATTRIBUTE, config.name());
        // Nothing memsync reads is Java-serialized (its values are signed bytes, its tasks IdentifiedDataSerializable):
        // Java deserialization is refused for every class outside Hazelcast's own and the JDK's, so that a foreign
        // member cannot make this JVM, an application's under the agent, deserialize a gadget of its libraries.
        c.getSerializationConfig().setJavaSerializationFilterConfig(new JavaSerializationFilterConfig());
        c.getSerializationConfig().addDataSerializableFactory(MemberTasks.FACTORY_ID, new MemberTasks());
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

    static final String LEAVING = "leaving/";

    /**
     * Tells the other members, signed, that this node leaves the cluster in order: from then on they count on it no
     * more (its regions go to their successors, its replicas are placed elsewhere) and log its leave as one, not as
     * a failure.
     */
    void announceLeaving() {
        String key = LEAVING + memberId();
        endpoints.set(key, envelope.seal(Envelope.Kind.LEAVING, key, System.currentTimeMillis(), new byte[0]));
    }

    /**
     * Calls {@code left} with a member's uuid and name once it said, signed, that it leaves (on Hazelcast's event
     * thread); anything else under a leaving key is refused and counted.
     */
    void onLeaving(java.util.function.BiConsumer<String, String> left) {
        endpoints.addEntryListener((com.hazelcast.map.listener.EntryAddedListener<String, byte[]>) event -> {
            String key = event.getKey();
            if (key == null || !key.startsWith(LEAVING)) {
                return;
            }
            String uuid = key.substring(LEAVING.length());
            try {
                envelope.open(Envelope.Kind.LEAVING, key, event.getValue());
            } catch (ForgedValueException e) {
                forgeries.refused("the leave of member " + memberName(uuid), e.getMessage());
                return;
            }
            if (leaving.putIfAbsent(uuid, true) == null && !uuid.equals(memberId())) {
                left.accept(uuid, memberName(uuid));
            }
        }, true);
    }

    /** Whether member {@code uuid} said it leaves; forgets it (and its entries) once it is gone. */
    boolean left(String uuid) {
        if (leaving.remove(uuid) == null) {
            return false;
        }
        departed.add(uuid);
        endpoints.removeAsync(LEAVING + uuid);
        endpoints.removeAsync(uuid);
        Versions.Entry<InetSocketAddress> known = verified.get(uuid);
        if (known != null) {
            verified.forget(uuid, known);
        }
        return true;
    }

    /** Whether member {@code uuid} said it leaves (or left) in order, rather than failing. */
    boolean leftInOrder(String uuid) {
        return leaving.containsKey(uuid) || departed.contains(uuid);
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

    /**
     * Live memsync members' uuids, sorted: members whose signed endpoint verifies. A member still without one after
     * {@link #FOREIGN_AFTER} is logged and counted as foreign, once.
     */
    List<String> members() {
        List<String> out = new ArrayList<>();
        java.util.Set<Member> live = hazelcast.getCluster().getMembers();
        // Forget members that left, so that members joining and leaving again and again grow nothing here.
        java.util.Set<String> present = new java.util.HashSet<>();
        for (Member m : live) {
            present.add(m.getUuid().toString());
        }
        unverifiedSince.keySet().retainAll(present);
        foreign.keySet().retainAll(present);
        for (Member m : live) {
            String uuid = m.getUuid().toString();
            if (leaving.containsKey(uuid)) {
                continue;
            }
            if (endpoint(uuid) != null) {
                out.add(uuid);
                unverifiedSince.remove(uuid);
                continue;
            }
            long since = unverifiedSince.computeIfAbsent(uuid, u -> System.nanoTime());
            if (System.nanoTime() - since > FOREIGN_AFTER.toNanos() && foreign.putIfAbsent(uuid, true) == null) {
                forgeries.refused("member " + uuid + " at " + m.getAddress().getHost() + ":" + m.getAddress().getPort()
                        + " (" + remember(m) + ")", "it has published no endpoint signed with this cluster's secret "
                        + "within " + FOREIGN_AFTER.toSeconds() + " s: it is not a memsync node of this cluster "
                        + "(a foreign Hazelcast member); ignored");
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** Hazelcast members in the cluster now that never proved to be memsync nodes of this cluster. */
    int foreignMembers() {
        return foreign.size();
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

    /**
     * Publishes this node's data-plane address under its member uuid, signed, if the map does not hold it (a new
     * uuid, a lost entry, or a value a foreign member put there).
     */
    void publishEndpoint(InetSocketAddress data) {
        String endpoint = config.host() + ":" + data.getPort();
        String me = memberId();
        InetSocketAddress published = read(me, true);
        if (published == null || !endpoint.equals(text(published))) {
            byte[] bytes = envelope.seal(Envelope.Kind.ENDPOINT, me, System.currentTimeMillis(),
                    endpoint.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            endpoints.set(me, bytes);
        }
    }

    /** The data-plane address {@code member} published, signed; null if it published none that verifies. */
    InetSocketAddress endpoint(String member) {
        Versions.Entry<InetSocketAddress> known = verified.get(member);
        return known != null ? known.value() : read(member, true);
    }

    /** {@code member}'s data-plane address as published ("host:port"), or null. */
    String endpointText(String member) {
        InetSocketAddress a = endpoint(member);
        return a == null ? null : text(a);
    }

    private static String text(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    /** Reads and verifies {@code member}'s endpoint; a value that fails is counted when {@code count}. */
    private InetSocketAddress read(String member, boolean count) {
        Object raw;
        try {
            raw = endpoints.get(member);
        } catch (HazelcastSerializationException e) {
            raw = e;
        }
        if (raw == null) {
            return null;
        }
        try {
            if (raw instanceof HazelcastSerializationException e) {
                throw new ForgedValueException("it is not memsync's: " + e.getMessage());
            }
            Envelope.Opened opened = envelope.open(Envelope.Kind.ENDPOINT, member, raw);
            String text = new String(opened.payload(), java.nio.charset.StandardCharsets.UTF_8);
            int colon = text.lastIndexOf(':');
            if (colon <= 0) {
                throw new ForgedValueException("a signed endpoint that is no host:port");
            }
            InetSocketAddress address = new InetSocketAddress(text.substring(0, colon),
                    Integer.parseInt(text.substring(colon + 1)));
            verified.offer(member, opened.version(), address, (byte[]) raw);
            return verified.get(member).value();
        } catch (ForgedValueException | NumberFormatException e) {
            int seen = raw instanceof byte[] b ? java.util.Arrays.hashCode(b) : String.valueOf(raw).hashCode();
            Integer before = refusedValues.put(member, seen);
            if (count && (before == null || before != seen)) {
                forgeries.refused("the data-plane endpoint of member " + memberName(member), e.getMessage());
            }
            return null;
        }
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
