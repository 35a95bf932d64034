package io.memsync.cluster.wire;

import io.memsync.cluster.testkit.Fixtures;
import io.memsync.region.Region;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;

/**
 * A Jazzer target (docs/security.md, "Fuzzing"): the data server's frame decoder and handshake, over real TCP on
 * loopback. Each input is a connection: its first byte says whether to authenticate first (as a peer that knows the
 * secret would), the rest is sent as it is. The server answers or closes the connection within 2 s of the input's
 * end; a connection that never authenticated changes no byte of the region it serves; every 500 inputs a real peer
 * still connects and, once collected, direct memory is below 64 MiB.
 */
public final class FrameFuzzer {
    private static final long REGION_ID = 0x5eed;
    private static final int CHUNK = 64 * 1024;
    private static final Region REGION = Region.builder("fuzz").size(4L * CHUNK).chunkSize(CHUNK).create();
    private static final DataServer SERVER;
    private static final LinkWatchdog WATCHDOG = new LinkWatchdog("fuzz-link-watchdog");
    private static long inputs;

    static {
        try {
            SERVER = new DataServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Fixtures.secret(), 16);
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
        SERVER.serve(new ServedRegion(REGION_ID, REGION.segment(), REGION.layout(), true, 5));
    }

    private FrameFuzzer() {
    }

    public static void fuzzerTestOneInput(byte[] data) throws Exception {
        boolean authenticate = data.length > 0 && (data[0] & 1) == 1;
        byte[] frames = data.length > 0 ? Arrays.copyOfRange(data, 1, data.length) : data;
        long before = authenticate ? 0 : checksum();
        try (Socket s = new Socket()) {
            s.setSoLinger(true, 0);
            s.setSoTimeout(2000);
            s.connect(SERVER.address(), 2000);
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            if (authenticate) {
                handshake(s, in, out);
            }
            try {
                out.write(frames);
                out.flush();
                s.shutdownOutput();
            } catch (IOException closedByServer) {
                // the server refused what it read so far and closed: that is an answer
            }
            drain(s.getInputStream());
        }
        if (!authenticate && checksum() != before) {
            throw new AssertionError("a connection that never authenticated changed the region");
        }
        if (++inputs % 500 == 0) {
            PeerLink.connect(SERVER.address(), Fixtures.secret(), "fuzz-peer", CHUNK, Duration.ZERO, WATCHDOG)
                    .close();
            if (direct() > 64L << 20) {
                // The peer links this target opens to check the server keep 512 KiB each until the collector frees
                // them: collect, then what is still held is a leak.
                System.gc();
                Thread.sleep(200);
                if (direct() > 64L << 20) {
                    throw new AssertionError("direct memory grew to " + direct() + " bytes and stays there");
                }
            }
        }
    }

    private static long direct() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
    }

    private static long checksum() {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(REGION.segment().asByteBuffer());
        return crc.getValue();
    }

    /** Reads what the server answers until it closes; it must, within 2 s of the input's end. */
    private static void drain(InputStream in) throws IOException {
        byte[] sink = new byte[8192];
        long total = 0;
        try {
            for (int n; (n = in.read(sink)) >= 0; ) {
                total += n;
                if (total > 16L << 20) {
                    throw new AssertionError("the server sent more than 16 MiB to one input");
                }
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server held a connection open 2 s after its peer's input ended", e);
        } catch (IOException reset) {
            // closed by the server: done
        }
    }

    /** Authenticates as a peer that knows the test secret would, over a plain socket. */
    static void handshake(Socket s, DataInputStream in, OutputStream out) throws IOException {
        handshake(in, out, Handshake.Binding.addresses((InetSocketAddress) s.getLocalSocketAddress(),
                (InetSocketAddress) s.getRemoteSocketAddress()));
    }

    /** Authenticates with the proofs bound to {@code binding}. */
    static void handshake(DataInputStream in, OutputStream out, Handshake.Binding binding) throws IOException {
        Handshake h = new Handshake(Fixtures.secret());
        byte[] nonce = Handshake.nonce();
        ByteBuffer hello = Handshake.hello(nonce, binding.kind(), new byte[0]);
        byte[] helloBytes = new byte[hello.remaining()];
        hello.get(helloBytes);
        out.write(helloBytes);
        byte[] challenge = frame(in);
        byte[] serverNonce = Arrays.copyOfRange(challenge, 0, Protocol.NONCE_BYTES);
        ByteBuffer auth = ByteBuffer.allocate(Protocol.HEADER_BYTES + Protocol.PROOF_BYTES);
        Protocol.header(auth, Protocol.AUTH, Protocol.PROOF_BYTES);
        auth.put(h.proof("client", nonce, serverNonce, new byte[0], binding));
        out.write(auth.array());
        out.flush();
        frame(in);
    }

    /** One frame's body. */
    private static byte[] frame(DataInputStream in) throws IOException {
        int length = in.readInt();
        in.readFully(new byte[4]);
        byte[] body = new byte[length - Protocol.LENGTH_BASE];
        in.readFully(body);
        return body;
    }
}
