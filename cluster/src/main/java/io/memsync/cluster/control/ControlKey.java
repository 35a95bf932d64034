package io.memsync.cluster.control;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key that signs the control plane: HMAC-SHA256 of a label and the cluster's name under the cluster secret, so
 * that it is not the data plane's key, and a value signed for one cluster is refused by another that shares the
 * secret.
 */
public final class ControlKey {
    private static final String ALGORITHM = "HmacSHA256";
    /** Bytes of a MAC. */
    public static final int MAC_BYTES = 32;

    private final Mac prototype;

    /**
     * @param secret      the cluster secret (at least 16 bytes)
     * @param clusterName the cluster's name
     */
    public ControlKey(byte[] secret, String clusterName) {
        if (secret == null || secret.length < 16) {
            throw new IllegalArgumentException("the cluster secret must be at least 16 bytes (memsync.secret)");
        }
        try {
            Mac derive = Mac.getInstance(ALGORITHM);
            derive.init(new SecretKeySpec(secret, ALGORITHM));
            derive.update("memsync control plane v1\0".getBytes(StandardCharsets.US_ASCII));
            byte[] key = derive.doFinal(clusterName.getBytes(StandardCharsets.UTF_8));
            prototype = Mac.getInstance(ALGORITHM);
            prototype.init(new SecretKeySpec(key, ALGORITHM));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    /** The MAC of {@code length} bytes of {@code data} from {@code offset}. */
    public byte[] mac(byte[] data, int offset, int length) {
        Mac mac;
        try {
            mac = (Mac) prototype.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("this JDK's HmacSHA256 cannot be cloned", e);
        }
        mac.update(data, offset, length);
        return mac.doFinal();
    }

    /** Whether {@code received} is the MAC of those bytes (in constant time). */
    public boolean verify(byte[] data, int offset, int length, byte[] received) {
        return MessageDigest.isEqual(mac(data, offset, length), received);
    }
}
