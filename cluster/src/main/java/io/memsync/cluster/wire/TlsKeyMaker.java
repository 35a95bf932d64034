package io.memsync.cluster.wire;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Makes the key material for a cluster's data-plane TLS with the JDK's {@code keytool}, as an operator would by hand
 * (docs/security.md): a CA ({@code ca.p12}: keep it away from the nodes), a trust store holding only the CA's
 * certificate ({@code trust.p12}), and for each node a key store with its own EC P-256 key and the chain the CA
 * signed ({@code NODE.p12}); one password for all, in {@code password} (owner-only). Behind
 * {@code java -jar memsync.jar tls-keys}.
 */
public final class TlsKeyMaker {
    /** Validity of what is made: ten years for the CA, two for node certificates. */
    private static final String CA_DAYS = "3650";
    private static final String NODE_DAYS = "730";

    private TlsKeyMaker() {
    }

    /**
     * Makes a CA, a trust store and a key store per node in {@code dir} (created if missing; files there already are
     * refused, never overwritten).
     *
     * @return each node's key store, by name
     * @throws IOException naming the keytool step that failed
     */
    public static Map<String, Path> make(Path dir, List<String> nodes, String password) throws IOException {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("name at least one node");
        }
        if (password.length() < 6) {
            throw new IllegalArgumentException("a key store password needs at least 6 characters");
        }
        for (String node : nodes) {
            if (!node.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
                throw new IllegalArgumentException("node name '" + node + "' must be 1 to 63 letters, digits, '_', "
                        + "'.' or '-', starting with a letter or digit");
            }
        }
        Files.createDirectories(dir);
        List<String> files = new ArrayList<>(List.of("ca.p12", "ca.crt", "trust.p12", "password"));
        nodes.forEach(n -> files.add(n + ".p12"));
        for (String f : files) {
            if (Files.exists(dir.resolve(f))) {
                throw new java.nio.file.FileAlreadyExistsException(dir.resolve(f).toString(), null,
                        "exists already: choose an empty directory");
            }
        }
        Path passwordFile = dir.resolve("password");
        Files.writeString(passwordFile, password + "\n");
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
        keytool(dir, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=memsync cluster CA", "-ext", "bc:c", "-validity", CA_DAYS, "-keystore", "ca.p12", "-storetype",
                "PKCS12", "-storepass", password, "-keypass", password);
        keytool(dir, "-exportcert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", password, "-rfc", "-file",
                "ca.crt");
        keytool(dir, "-importcert", "-alias", "ca", "-file", "ca.crt", "-keystore", "trust.p12", "-storetype",
                "PKCS12", "-storepass", password, "-noprompt");
        Map<String, Path> made = new LinkedHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(4, nodes.size()),
                r -> Thread.ofPlatform().name("memsync-tls-keys").daemon(true).unstarted(r));
        try {
            List<Future<Path>> pending = new ArrayList<>();
            for (String node : nodes) {
                pending.add(pool.submit(() -> node(dir, node, password)));
            }
            for (int i = 0; i < nodes.size(); i++) {
                made.put(nodes.get(i), pending.get(i).get());
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making key stores", e);
        } finally {
            pool.shutdownNow();
        }
        return made;
    }

    /** A node's key, signed by the CA in {@code dir}, with the chain: {@code NODE.p12}. */
    private static Path node(Path dir, String node, String password) throws IOException {
        String store = node + ".p12";
        keytool(dir, "-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=" + node + ", O=memsync", "-validity", NODE_DAYS, "-keystore", store, "-storetype", "PKCS12",
                "-storepass", password, "-keypass", password);
        keytool(dir, "-certreq", "-alias", "node", "-keystore", store, "-storepass", password, "-file",
                node + ".csr");
        keytool(dir, "-gencert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", password, "-infile",
                node + ".csr", "-outfile", node + ".crt", "-rfc", "-validity", NODE_DAYS,
                "-ext", "ku:c=digitalSignature", "-ext", "eku=serverAuth,clientAuth");
        keytool(dir, "-importcert", "-alias", "ca", "-file", "ca.crt", "-keystore", store, "-storepass", password,
                "-noprompt");
        keytool(dir, "-importcert", "-alias", "node", "-file", node + ".crt", "-keystore", store, "-storepass",
                password);
        Files.delete(dir.resolve(node + ".csr"));
        Files.delete(dir.resolve(node + ".crt"));
        return dir.resolve(store);
    }

    /**
     * A key with a self-signed certificate no CA vouches for, in {@code file}: what a stranger who made their own
     * has (for tests of refusal).
     */
    public static void selfSigned(Path file, String password) throws IOException {
        keytool(file.toAbsolutePath().getParent(), "-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=stranger", "-validity", NODE_DAYS, "-keystore",
                file.getFileName().toString(), "-storetype", "PKCS12", "-storepass", password, "-keypass", password);
    }

    private static void keytool(Path dir, String... args) throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        if (!Files.isExecutable(keytool)) {
            throw new IOException(keytool + " is missing: this Java runtime has no keytool; run with a full JDK");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(keytool.toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("keytool " + args[0] + " " + args[2] + " failed in " + dir + ": "
                        + new String(out).trim());
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
    }
}
