package io.memsync.jmx.dashboard;

import com.sun.net.httpserver.HttpServer;
import io.memsync.cluster.Node;
import io.memsync.jmx.NodeOperations;
import io.memsync.jmx.PasswordFile;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A live web dashboard of one memsync node, served by the node itself over HTTP (the JDK's server): members, regions
 * with their owners, tokens, epochs, replica lag and availability, charts of push throughput and lag over the last
 * minute, a map of every chunk of the node's copies, and buttons to flush a region or migrate it. Every file the page
 * needs comes from this jar: no other network access. Endpoints: {@code GET /}, {@code GET /api/status},
 * {@code GET /api/chunks?region=NAME}, {@code POST /api/flush?region=NAME},
 * {@code POST /api/migrate?region=NAME&member=NODE}; errors are {@code {"error": "..."}} with a 4xx or 5xx status.
 * <p>
 * Threads: two daemon threads serve requests; {@link #close()} stops them. Listen on loopback unless the network
 * in between is trusted: the dashboard has no authentication, and its buttons act on the cluster.
 */
public final class Dashboard implements AutoCloseable {
    private final Node node;
    private final HttpServer server;
    private final ExecutorService executor;
    private final NodeOperations operations;
    private final Members members;
    private boolean closed;

    private Dashboard(Node node, HttpServer server, ExecutorService executor, NodeOperations operations,
                      Members members) {
        this.node = node;
        this.server = server;
        this.executor = executor;
        this.operations = operations;
        this.members = members;
    }

    /**
     * Serves {@code node}'s dashboard on {@code host}:{@code port} ({@code port} 0: any free port; {@code host} null:
     * loopback), at {@code http://HOST:PORT/}.
     *
     * @throws IOException if the address cannot be bound (the message names it)
     */
    public static Dashboard start(Node node, String host, int port) throws IOException {
        return start(node, host, port, null);
    }

    /**
     * Like {@link #start(Node, String, int)}; on an address other than loopback its actions (flush, migrate) need
     * HTTP Basic authorization as one of the users of {@code passwordFile}, remote JMX's, and without one the
     * dashboard refuses to start there.
     *
     * @throws IllegalArgumentException if {@code host} is not loopback and {@code passwordFile} is null, or the file
     *                                  is unfit ({@link PasswordFile#load})
     */
    public static Dashboard start(Node node, String host, int port, Path passwordFile) throws IOException {
        InetAddress address = host == null ? InetAddress.getLoopbackAddress() : InetAddress.getByName(host);
        PasswordFile users = null;
        if (!address.isLoopbackAddress()) {
            if (passwordFile == null) {
                throw new IllegalArgumentException("the dashboard of node " + node.name() + " would listen on "
                        + address.getHostAddress() + ", where anyone who reaches it could flush and migrate: give "
                        + "memsync.jmx.password.file (its users may act), or keep memsync.dashboard.host on loopback");
            }
            users = PasswordFile.load(passwordFile);
        }
        return start(node, address, host, port, users);
    }

    /** Starts it with {@code users} (null: none asked) on {@code address}. */
    static Dashboard start(Node node, InetAddress address, String host, int port, PasswordFile users)
            throws IOException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("dashboard port must be in [0, 65535] (0: any free port), got " + port);
        }
        Assets assets = Assets.load();
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(address, port), 32);
        } catch (IOException e) {
            throw new IOException("the dashboard of node " + node.name() + " cannot listen on "
                    + address.getHostAddress() + ":" + port + ": " + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(2, Thread.ofPlatform()
                .name("memsync-dashboard-" + node.name() + "-", 0).daemon(true).factory());
        NodeOperations operations = new NodeOperations(node);
        Members members = new Members(node);
        node.addPeerListener(members);
        Api api = new Api(node, operations, members);
        server.createContext("/", new Router(assets, api, host == null ? address.getHostAddress() : host,
                server.getAddress(), users));
        server.setExecutor(executor);
        server.start();
        return new Dashboard(node, server, executor, operations, members);
    }

    /** The address the dashboard listens on (with the port chosen when 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops serving and its threads; migrations started from the page go on. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        node.removePeerListener(members);
        server.stop(0);
        executor.shutdownNow();
        operations.close();
    }

    @Override
    public String toString() {
        InetSocketAddress a = address();
        return "Dashboard[" + node.name() + ", http://" + a.getAddress().getHostAddress() + ":" + a.getPort() + "/]";
    }
}
