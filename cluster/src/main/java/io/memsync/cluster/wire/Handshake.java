package io.memsync.cluster.wire;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * Mutual challenge-response over the cluster secret: each side proves it knows the secret by an HMAC-SHA256 over
 * both nonces and its role, so the secret never crosses the wire and a recorded exchange cannot be replayed.
 */
final class Handshake {
    private static final SecureRandom RANDOM = new SecureRandom();

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

    /** The proof that {@code role} ("server" or "client") knows the secret, bound to both nonces. */
    byte[] proof(String role, byte[] clientNonce, byte[] serverNonce) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(("memsync-v" + Protocol.VERSION + "-" + role).getBytes(StandardCharsets.US_ASCII));
            mac.update(clientNonce);
            mac.update(serverNonce);
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
