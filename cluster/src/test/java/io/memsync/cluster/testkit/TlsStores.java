package io.memsync.cluster.testkit;

import io.memsync.cluster.wire.TlsConfig;
import io.memsync.cluster.wire.TlsKeyMaker;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * PKCS12 stores for tests, made by {@link TlsKeyMaker} (what {@code memsync.jar tls-keys} runs): a test CA, a node
 * key whose certificate the CA signed ({@code node.p12}, with the chain), a trust store holding the CA
 * ({@code trust.p12}), and a stranger's self-signed key the CA never signed ({@code stranger.p12}). Made
 * once under {@code target/tls-stores} and shared by every test JVM of the build (made aside and moved in place,
 * so JVMs racing to make them never see half a set).
 */
public final class TlsStores {
    public static final String PASSWORD = "memsync-test-password";
    private static final Object LOCK = new Object();
    private static Path made;

    private final Path dir;

    private TlsStores(Path dir) {
        this.dir = dir;
    }

    /** The shared stores, made on first use. */
    public static TlsStores get() throws IOException {
        synchronized (LOCK) {
            if (made == null) {
                made = make(Path.of("target", "tls-stores").toAbsolutePath());
            }
            return new TlsStores(made);
        }
    }

    public Path nodeKeys() {
        return dir.resolve("node.p12");
    }

    public Path trusted() {
        return dir.resolve("trust.p12");
    }

    public Path strangerKeys() {
        return dir.resolve("stranger.p12");
    }

    /** A node's TLS in {@code mode} with the CA-signed key. */
    public TlsConfig config(TlsConfig.Mode mode) {
        return TlsConfig.of(mode, nodeKeys(), PASSWORD, trusted(), PASSWORD);
    }

    /** TLS with a key the CA never signed, trusting the CA: what a stranger with a certificate of its own has. */
    public TlsConfig stranger(TlsConfig.Mode mode) {
        return TlsConfig.of(mode, strangerKeys(), PASSWORD, trusted(), PASSWORD);
    }

    /** The environment that gives a {@link NodeMain} (or a pager) this TLS in {@code mode}. */
    public Map<String, String> environment(TlsConfig.Mode mode) {
        Map<String, String> env = new HashMap<>();
        env.put("MEMSYNC_TLS", mode.name());
        env.put("MEMSYNC_TLS_KEYSTORE", nodeKeys().toString());
        env.put("MEMSYNC_TLS_KEYSTORE_PASSWORD", PASSWORD);
        env.put("MEMSYNC_TLS_TRUSTSTORE", trusted().toString());
        env.put("MEMSYNC_TLS_TRUSTSTORE_PASSWORD", PASSWORD);
        return env;
    }

    /**
     * The TLS mode the process tests were asked to run every node with ({@code -Dmemsync.test.tls=on|required}), or
     * null: how the whole process suite is run with TLS by hand (CI runs it plain, and {@code TlsProcessesTest}
     * and the demo with TLS).
     */
    public static TlsConfig.Mode requestedForTests() {
        String mode = System.getProperty("memsync.test.tls");
        return mode == null || mode.isBlank() ? null : TlsConfig.Mode.parse(mode);
    }

    /** The environment of a test node process: TLS if {@link #requestedForTests()} asks for it, else nothing. */
    public static Map<String, String> environmentForTests() throws IOException {
        TlsConfig.Mode mode = requestedForTests();
        return mode == null ? Map.of() : get().environment(mode);
    }

    /** The agent keys of a test node: TLS if {@link #requestedForTests()} asks for it, else none. */
    public static List<String> agentKeysForTests() throws IOException {
        TlsConfig.Mode mode = requestedForTests();
        if (mode == null) {
            return List.of();
        }
        TlsStores stores = get();
        return List.of("memsync.tls=" + mode.name().toLowerCase(java.util.Locale.ROOT),
                "memsync.tls.keystore=" + stores.nodeKeys(), "memsync.tls.truststore=" + stores.trusted(),
                "memsync.tls.keystore.password.file=" + stores.dir.resolve("password"));
    }

    private static Path make(Path target) throws IOException {
        if (Files.isRegularFile(target.resolve("stranger.p12"))) {
            return target;
        }
        Files.createDirectories(target.getParent());
        Path work = Files.createTempDirectory(target.getParent(), "tls-stores-");
        TlsKeyMaker.make(work, List.of("node"), PASSWORD);
        TlsKeyMaker.selfSigned(work.resolve("stranger.p12"), PASSWORD);
        try {
            Files.move(work, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException
                 | AtomicMoveNotSupportedException raced) {
            // Another test JVM made them first: use its set.
        }
        return target;
    }
}
