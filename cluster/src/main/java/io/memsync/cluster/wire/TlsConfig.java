package io.memsync.cluster.wire;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * TLS for the data plane: whether to use it, and the two PKCS12 stores, this node's key with its certificate chain
 * and the certificates it trusts (a CA's, or each node's). TLS 1.3 only, and both sides present a certificate
 * the other trusts. The secret handshake still runs inside TLS, bound to the TLS session.
 *
 * @param mode               {@link Mode#OFF}, {@link Mode#ON} or {@link Mode#REQUIRED}
 * @param keyStore           PKCS12 file with this node's private key and certificate chain
 * @param keyStorePassword   its password (also the key's)
 * @param trustStore         PKCS12 file with the certificates this node trusts
 * @param trustStorePassword its password
 */
public record TlsConfig(Mode mode, Path keyStore, String keyStorePassword, Path trustStore,
                        String trustStorePassword) {

    /** How a node uses TLS on the data plane. */
    public enum Mode {
        /** Plain TCP; a peer that starts TLS is refused. */
        OFF,
        /** Connects with TLS, accepts TLS and plain peers (the step between OFF and REQUIRED in a rolling change). */
        ON,
        /** Connects with TLS and refuses plain peers. */
        REQUIRED;

        /** {@code off}, {@code on} or {@code required}, in any case. */
        public static Mode parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "off", "false" -> OFF;
                case "on", "true" -> ON;
                case "required" -> REQUIRED;
                default -> throw new IllegalArgumentException("memsync.tls is '" + text + "': write off, on or "
                        + "required");
            };
        }
    }

    /** No TLS. */
    public static final TlsConfig OFF = new TlsConfig(Mode.OFF, null, null, null, null);

    static final String ENV_MODE = "MEMSYNC_TLS";
    static final String ENV_KEY_STORE = "MEMSYNC_TLS_KEYSTORE";
    static final String ENV_KEY_STORE_PASSWORD = "MEMSYNC_TLS_KEYSTORE_PASSWORD";
    static final String ENV_TRUST_STORE = "MEMSYNC_TLS_TRUSTSTORE";
    static final String ENV_TRUST_STORE_PASSWORD = "MEMSYNC_TLS_TRUSTSTORE_PASSWORD";

    public TlsConfig {
        Objects.requireNonNull(mode, "mode");
        if (mode != Mode.OFF && (keyStore == null || keyStorePassword == null || trustStore == null
                || trustStorePassword == null)) {
            throw new IllegalArgumentException("memsync.tls=" + mode.name().toLowerCase(Locale.ROOT) + " needs "
                    + "memsync.tls.keystore and memsync.tls.truststore (PKCS12 files) and their passwords "
                    + "(memsync.tls.keystore.password.file, memsync.tls.truststore.password.file)");
        }
    }

    /** TLS in {@code mode} with these stores. */
    public static TlsConfig of(Mode mode, Path keyStore, String keyStorePassword, Path trustStore,
                               String trustStorePassword) {
        return new TlsConfig(mode, keyStore, keyStorePassword, trustStore, trustStorePassword);
    }

    /** True unless {@link Mode#OFF}. */
    public boolean enabled() {
        return mode != Mode.OFF;
    }

    /**
     * A TLS context from the stores, checked now so that a wrong path, password or store fails the node's start
     * with one message naming the file, not its first connection.
     */
    SSLContext context() throws IOException {
        if (!enabled()) {
            throw new IllegalStateException("TLS is off");
        }
        try {
            KeyStore keys = load(keyStore, keyStorePassword, "memsync.tls.keystore");
            if (!hasKey(keys)) {
                throw new IOException("memsync.tls.keystore " + keyStore + " holds no private key: it must hold "
                        + "this node's key and certificate chain (keytool -genkeypair, or a CA-signed one)");
            }
            KeyStore trusted = load(trustStore, trustStorePassword, "memsync.tls.truststore");
            if (!hasCertificate(trusted)) {
                throw new IOException("memsync.tls.truststore " + trustStore + " holds no certificate: it must hold "
                        + "the certificates (or their CA's) of the nodes this node accepts");
            }
            KeyManagerFactory km = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            try {
                km.init(keys, keyStorePassword.toCharArray());
            } catch (UnrecoverableKeyException e) {
                throw new IOException("memsync.tls.keystore " + keyStore + ": the key's password differs from the "
                        + "store's; give both the same password", e);
            }
            TrustManagerFactory tm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tm.init(trusted);
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(km.getKeyManagers(), tm.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS for the data plane cannot be set up from " + keyStore + " and " + trustStore
                    + ": " + e.getMessage(), e);
        }
    }

    private static KeyStore load(Path path, String password, String key) throws IOException,
            GeneralSecurityException {
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new IOException(key + " " + path + " is not a readable file");
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(path)) {
            store.load(in, password.toCharArray());
        } catch (IOException e) {
            throw new IOException(key + " " + path + " cannot be read as a PKCS12 store with the password given "
                    + "(wrong password, or not a PKCS12 file): " + e.getMessage(), e);
        }
        return store;
    }

    private static boolean hasKey(KeyStore store) throws GeneralSecurityException {
        for (String alias : java.util.Collections.list(store.aliases())) {
            if (store.isKeyEntry(alias)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasCertificate(KeyStore store) throws GeneralSecurityException {
        for (String alias : java.util.Collections.list(store.aliases())) {
            if (store.getCertificate(alias) != null) {
                return true;
            }
        }
        return false;
    }

    /** The variables that hand this configuration to a pager process (its environment, readable by its owner only). */
    Map<String, String> environment() {
        Map<String, String> env = new HashMap<>();
        env.put(ENV_MODE, mode.name());
        if (enabled()) {
            env.put(ENV_KEY_STORE, keyStore.toString());
            env.put(ENV_KEY_STORE_PASSWORD, keyStorePassword);
            env.put(ENV_TRUST_STORE, trustStore.toString());
            env.put(ENV_TRUST_STORE_PASSWORD, trustStorePassword);
        }
        return env;
    }

    /** What {@link #environment()} handed over (MEMSYNC_TLS, MEMSYNC_TLS_KEYSTORE, ...); OFF when nothing was. */
    public static TlsConfig fromEnvironment(Map<String, String> env) {
        String mode = env.get(ENV_MODE);
        if (mode == null || Mode.parse(mode) == Mode.OFF) {
            return OFF;
        }
        String keys = env.get(ENV_KEY_STORE);
        String trusted = env.get(ENV_TRUST_STORE);
        return new TlsConfig(Mode.parse(mode), keys == null ? null : Path.of(keys), env.get(ENV_KEY_STORE_PASSWORD),
                trusted == null ? null : Path.of(trusted), env.get(ENV_TRUST_STORE_PASSWORD));
    }

    /** Names the mode and the stores, never the passwords. */
    @Override
    public String toString() {
        return enabled() ? "TLS " + mode.name().toLowerCase(Locale.ROOT) + " (keys " + keyStore + ", trusted "
                + trustStore + ")" : "TLS off";
    }
}
