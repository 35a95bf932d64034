package io.memsync.jmx;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import java.io.IOException;
import java.io.Serial;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.rmi.server.RMIServerSocketFactory;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * Server sockets for the RMI registry and connector that listen on one address only (RMI's default listens on all
 * of them), optionally TLS with the default {@link SSLContext}. Equal factories let RMI share one port between the
 * registry and the connector.
 */
final class HostSocketFactory implements RMIServerSocketFactory, Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    private final InetAddress address;
    private final boolean ssl;

    HostSocketFactory(InetAddress address, boolean ssl) {
        this.address = address;
        this.ssl = ssl;
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
        if (!ssl) {
            return new ServerSocket(port, 50, address);
        }
        try {
            SSLServerSocket socket = (SSLServerSocket) SSLContext.getDefault().getServerSocketFactory()
                    .createServerSocket(port, 50, address);
            socket.setNeedClientAuth(false);
            return socket;
        } catch (NoSuchAlgorithmException e) {
            throw new IOException("no default SSLContext for the JMX connector's TLS: " + e.getMessage()
                    + " (set javax.net.ssl.keyStore and javax.net.ssl.keyStorePassword)", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostSocketFactory f && f.address.equals(address) && f.ssl == ssl;
    }

    @Override
    public int hashCode() {
        return Objects.hash(address, ssl);
    }
}
