package io.memsync.cluster.testkit;

import io.memsync.cluster.wire.TlsConfig;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * PKCS12 stores for tests, made with the JDK's {@code keytool} the way docs/security.md tells an operator to: a
 * test CA, a node key whose certificate the CA signed ({@code node.p12}, with the chain), a trust store holding
 * the CA ({@code trust.p12}), and a stranger's self-signed key the CA never signed ({@code stranger.p12}). Made
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

    private static Path make(Path target) throws IOException {
        if (Files.isRegularFile(target.resolve("stranger.p12"))) {
            return target;
        }
        Files.createDirectories(target.getParent());
        Path work = Files.createTempDirectory(target.getParent(), "tls-stores-");
        String p = PASSWORD;
        keytool(work, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=memsync test CA", "-ext", "bc:c", "-validity", "3650", "-keystore", "ca.p12", "-storetype",
                "PKCS12", "-storepass", p, "-keypass", p);
        keytool(work, "-exportcert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", p, "-rfc", "-file",
                "ca.crt");
        keytool(work, "-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=memsync node", "-validity", "3650", "-keystore", "node.p12", "-storetype", "PKCS12",
                "-storepass", p, "-keypass", p);
        keytool(work, "-certreq", "-alias", "node", "-keystore", "node.p12", "-storepass", p, "-file", "node.csr");
        keytool(work, "-gencert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", p, "-infile", "node.csr",
                "-outfile", "node.crt", "-rfc", "-validity", "3650", "-ext", "ku:c=digitalSignature",
                "-ext", "eku=serverAuth,clientAuth");
        keytool(work, "-importcert", "-alias", "ca", "-file", "ca.crt", "-keystore", "node.p12", "-storepass", p,
                "-noprompt");
        keytool(work, "-importcert", "-alias", "node", "-file", "node.crt", "-keystore", "node.p12", "-storepass",
                p);
        keytool(work, "-importcert", "-alias", "ca", "-file", "ca.crt", "-keystore", "trust.p12", "-storetype",
                "PKCS12", "-storepass", p, "-noprompt");
        keytool(work, "-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=memsync node", "-validity", "3650", "-keystore", "stranger.p12", "-storetype", "PKCS12",
                "-storepass", p, "-keypass", p);
        try {
            Files.move(work, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException
                 | AtomicMoveNotSupportedException raced) {
            // Another test JVM made them first: use its set.
        }
        return target;
    }

    private static void keytool(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("keytool " + String.join(" ", args) + " failed: " + new String(out));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
    }
}
