package io.memsync.cluster.wire;

import io.memsync.cluster.testkit.Fixtures;
import io.memsync.region.Region;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.Socket;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A peer that authenticates and hangs up again and again (a reconnect storm, or the data-plane fuzzer) costs the
 * server no new direct memory each time: before, every authenticated connection got a fresh 512 KiB receive buffer
 * that only a garbage collection freed (the fuzzer saw 136 MB after 500 connections; with explicit collections
 * disabled, as many production JVMs run, that ends in "Cannot reserve direct buffer memory").
 */
class ReconnectMemoryTest extends WireTestSupport {

    @Test
    void authenticatedConnectionsOneAfterAnotherReuseTheirReceiveBuffers() throws Exception {
        Region region = region("reconnect", 2);
        DataServer server = keep(new DataServer(LOOPBACK, Fixtures.secret(), 16));
        server.serve(new ServedRegion(7, region.segment(), region.layout(), true, 1));
        long before = direct();
        for (int i = 0; i < 300; i++) {
            try (Socket s = new Socket()) {
                s.setSoLinger(true, 0);
                s.setSoTimeout(5000);
                s.connect(server.address(), 5000);
                DataInputStream in = new DataInputStream(s.getInputStream());
                FrameFuzzer.handshake(s, in, s.getOutputStream());
                s.shutdownOutput();
                while (in.read() >= 0) {
                    // until the server closes
                }
            }
        }
        long grown = direct() - before;
        assertTrue(grown < 4L << 20, "300 connections, one after another, grew direct memory by " + grown
                + " bytes");
    }

    /**
     * The same over TLS: the TLS engine's buffers are direct too (the socket reads and writes them without a copy),
     * and before they were reused ({@link TlsBuffers}) they went only when a collection came (300 connections grew
     * direct memory by 6.3 MB).
     */
    @Test
    void tlsConnectionsOneAfterAnotherReuseTheirTlsBuffers() throws Exception {
        io.memsync.cluster.testkit.TlsStores stores = io.memsync.cluster.testkit.TlsStores.get();
        TlsConfig tls = stores.config(TlsConfig.Mode.REQUIRED);
        Region region = region("reconnect-tls", 2);
        DataServer server = keep(new DataServer(LOOPBACK, new LinkSecurity(Fixtures.secret(), tls, true), 16));
        server.serve(new ServedRegion(7, region.segment(), region.layout(), true, 1));
        javax.net.ssl.SSLContext context = tls.context();
        // One connection first: class loading and the JDK's own caches are not what is measured.
        tlsConnection(context, server);
        long before = direct();
        for (int i = 0; i < 300; i++) {
            tlsConnection(context, server);
        }
        long grown = direct() - before;
        assertTrue(grown < 2L << 20, "300 TLS connections, one after another, grew direct memory by " + grown
                + " bytes");
    }

    /** A TLS client on heap streams (so that only the server's direct memory counts) that authenticates, hangs up. */
    private static void tlsConnection(javax.net.ssl.SSLContext context, DataServer server) throws Exception {
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) context.getSocketFactory().createSocket()) {
            s.setEnabledProtocols(new String[] {"TLSv1.3"});
            s.setSoTimeout(5000);
            s.connect(server.address(), 5000);
            s.startHandshake();
            byte[] exported = ((javax.net.ssl.ExtendedSSLSession) s.getSession()).exportKeyingMaterialData(
                    LinkSecurity.EXPORTER_LABEL, new byte[0], 32);
            DataInputStream in = new DataInputStream(s.getInputStream());
            FrameFuzzer.handshake(in, s.getOutputStream(), new Handshake.Binding(Handshake.BIND_TLS, exported));
            s.shutdownOutput();
        }
    }

    private static long direct() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
    }
}
