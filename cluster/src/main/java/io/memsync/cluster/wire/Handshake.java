package io.memsync.cluster.wire;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * Mutual challenge-response over the cluster secret: each side proves it knows the secret by an HMAC-SHA256 over
 * both nonces, the client's name, its role and the connection's {@link Binding}, so the secret never crosses the
 * wire, a recorded exchange cannot be replayed, and a proof made on one connection is worthless on another (a relay
 * between two nodes sees the proofs fail).
 */
final class Handshake {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What a proof is bound to: nothing, the connection's two addresses as each end sees them, or the TLS session. */
    static final byte BIND_NONE = 0;
    static final byte BIND_ADDRESSES = 1;
    static final byte BIND_TLS = 2;

    /**
     * The connection a proof is bound to: its kind ({@link #BIND_NONE}, {@link #BIND_ADDRESSES}, {@link #BIND_TLS})
     * and the bytes both ends must agree on (the client's and the server's address and port; or the TLS session's
     * exporter value, RFC 9266).
     */
    record Binding(byte kind, byte[] value) {
        static final Binding NONE = new Binding(BIND_NONE, new byte[0]);

        /** Bound to a connection from {@code client} to {@code server} (addresses and ports). */
        static Binding addresses(java.net.InetSocketAddress client, java.net.InetSocketAddress server) {
            return new Binding(BIND_ADDRESSES, (text(client) + ">" + text(server))
                    .getBytes(StandardCharsets.US_ASCII));
        }

        private static String text(java.net.InetSocketAddress a) {
            return a.getAddress().getHostAddress() + ":" + a.getPort();
        }

        static String name(int kind) {
            return switch (kind) {
                case BIND_NONE -> "nothing (memsync.channel.binding=none)";
                case BIND_ADDRESSES -> "the connection's addresses (memsync.channel.binding=addresses)";
                case BIND_TLS -> "the TLS session";
                default -> "an unknown binding " + kind;
            };
        }
    }

    private final byte[] secret;

    Handshake(byte[] secret) {
        if (secret == null || secret.length < 16) {
            throw new IllegalArgumentException("the cluster secret must be at least 16 bytes");
        }
        this.secret = secret.clone();
    }

    static byte[] nonce() {
        byte[] n = new byte[Protocol.NONCE_BYTES];
        RANDOM.nextBytes(n);
        return n;
    }

    /** A HELLO frame, flipped: the client's nonce, the kind of binding it proves with, and its name. */
    static ByteBuffer hello(byte[] clientNonce, byte bindingKind, byte[] name) {
        int body = Protocol.NONCE_BYTES + 1 + 2 + name.length;
        ByteBuffer hello = ByteBuffer.allocateDirect(Protocol.HEADER_BYTES + body);
        Protocol.header(hello, Protocol.HELLO, body);
        return hello.put(clientNonce).put(bindingKind).putShort((short) name.length).put(name).flip();
    }

    /** The proof that {@code role} ("server" or "client") knows the secret, bound to this connection. */
    byte[] proof(String role, byte[] clientNonce, byte[] serverNonce, byte[] clientName, Binding binding) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(("memsync-v" + Protocol.VERSION + "-" + role).getBytes(StandardCharsets.US_ASCII));
            mac.update(clientNonce);
            mac.update(serverNonce);
            mac.update(ByteBuffer.allocate(4).putShort((short) clientName.length).put(binding.kind()).array(), 0, 3);
            mac.update(clientName);
            mac.update(binding.value());
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    /** Constant-time comparison of a received proof with the expected one. */
    static boolean matches(byte[] expected, byte[] received) {
        return MessageDigest.isEqual(expected, received);
    }
}
