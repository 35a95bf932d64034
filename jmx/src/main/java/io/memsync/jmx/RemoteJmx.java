package io.memsync.jmx;

import javax.management.MBeanServer;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.rmi.RMIConnectorServer;
import javax.management.remote.rmi.RMIJRMPServerImpl;
import javax.rmi.ssl.SslRMIClientSocketFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.rmi.AlreadyBoundException;
import java.rmi.NoSuchObjectException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.RMIClientSocketFactory;
import java.rmi.server.UnicastRemoteObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Starts the RMI connector of {@link MemSyncMBeans#startRemote}: checks, registry, connector, access file. */
final class RemoteJmx {
    private static final System.Logger LOG = System.getLogger(RemoteJmx.class.getName());

    private RemoteJmx() {
    }

    static RMIConnectorServer start(MBeanServer server, String host, int port, Path passwordFile, boolean ssl)
            throws IOException {
        String bind = host == null || host.isBlank() ? "127.0.0.1" : host.trim();
        InetAddress address = InetAddress.getByName(bind);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("JMX port " + port + " is outside [1, 65535]");
        }
        if (!address.isLoopbackAddress() && passwordFile == null) {
            throw new IllegalArgumentException("refusing to open JMX on " + bind + ", which is not a loopback address,"
                    + " without authentication: give a password file (one 'user password' per line, chmod 600), or"
                    + " bind to 127.0.0.1 and tunnel");
        }
        Map<String, Object> env = new HashMap<>();
        Path accessFile = null;
        if (passwordFile != null) {
            accessFile = accessFile(PasswordFile.load(passwordFile));
            env.put("jmx.remote.x.password.file", passwordFile.toString());
            env.put("jmx.remote.x.access.file", accessFile.toString());
        }
        String hostname = System.getProperty("java.rmi.server.hostname");
        if (hostname == null) {
            // The stubs clients download name this host; RMI's default is this machine's primary address, which a
            // loopback-bound server does not listen on.
            System.setProperty("java.rmi.server.hostname", bind);
        } else if (!hostname.equals(bind)) {
            LOG.log(System.Logger.Level.WARNING, "java.rmi.server.hostname is " + hostname + " but JMX listens on "
                    + bind + ": remote clients will be sent to " + hostname);
        }
        HostSocketFactory serverSockets = new HostSocketFactory(address, ssl);
        RMIClientSocketFactory clientSockets = ssl ? new SslRMIClientSocketFactory() : null;
        if (ssl) {
            env.put(RMIConnectorServer.RMI_CLIENT_SOCKET_FACTORY_ATTRIBUTE, clientSockets);
            env.put(RMIConnectorServer.RMI_SERVER_SOCKET_FACTORY_ATTRIBUTE, serverSockets);
        }
        Registry registry = LocateRegistry.createRegistry(port, clientSockets, serverSockets);
        try {
            RMIJRMPServerImpl exported = new RMIJRMPServerImpl(port, clientSockets, serverSockets, env);
            JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + urlHost(bind) + ":" + port
                    + "/jmxrmi");
            Connector connector = new Connector(url, env, exported, server, registry, accessFile);
            connector.start();
            registry.bind("jmxrmi", exported.toStub());
            LOG.log(System.Logger.Level.INFO, "JMX listens at " + url + (passwordFile != null ? ", with passwords"
                    : "") + (ssl ? ", over TLS" : ""));
            return connector;
        } catch (IOException | AlreadyBoundException | RuntimeException e) {
            UnicastRemoteObject.unexportObject(registry, true);
            if (accessFile != null) {
                Files.deleteIfExists(accessFile);
            }
            throw e instanceof IOException io ? io : new IOException("starting JMX on " + bind + ":" + port
                    + " failed: " + e.getMessage(), e);
        }
    }

    private static String urlHost(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /** An access file granting read-write to every user of {@code users}, in a private temporary file. */
    private static Path accessFile(PasswordFile users) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String user : users.users()) {
            lines.add(user + " readwrite");
        }
        Path access = Files.createTempFile("memsync-jmx-", ".access",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        access.toFile().deleteOnExit();
        Files.write(access, lines);
        return access;
    }

    /** The connector, reporting the registry's address and closing the registry and access file when stopped. */
    private static final class Connector extends RMIConnectorServer {
        private final JMXServiceURL url;
        private final Registry registry;
        private final Path accessFile;

        Connector(JMXServiceURL url, Map<String, ?> env, RMIJRMPServerImpl exported, MBeanServer server,
                  Registry registry, Path accessFile) throws IOException {
            super(new JMXServiceURL("rmi", null, 0), env, exported, server);
            this.url = url;
            this.registry = registry;
            this.accessFile = accessFile;
        }

        @Override
        public JMXServiceURL getAddress() {
            return isActive() ? url : null;
        }

        @Override
        public synchronized void stop() throws IOException {
            try {
                super.stop();
            } finally {
                try {
                    UnicastRemoteObject.unexportObject(registry, true);
                } catch (NoSuchObjectException alreadyClosed) {
                    // Stopped twice: nothing left to close.
                }
                if (accessFile != null) {
                    Files.deleteIfExists(accessFile);
                }
            }
        }
    }
}
