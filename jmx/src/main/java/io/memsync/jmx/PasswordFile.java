package io.memsync.jmx;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The users of remote JMX, from its password file (one {@code user password} per line; {@code #} starts a comment),
 * which must be readable by its owner only. The dashboard takes the same users for its actions.
 */
public final class PasswordFile {
    private final Map<String, byte[]> users;

    private PasswordFile(Map<String, byte[]> users) {
        this.users = users;
    }

    /**
     * Reads {@code file}.
     *
     * @throws IllegalArgumentException if it is missing, unreadable, readable by others, or names no user
     */
    public static PasswordFile load(Path file) throws IOException {
        check(file);
        Map<String, byte[]> users = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            String t = line.strip();
            if (!t.isEmpty() && !t.startsWith("#")) {
                String[] parts = t.split("\\s+", 2);
                if (parts.length == 2) {
                    users.put(parts[0], parts[1].getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        if (users.isEmpty()) {
            throw new IllegalArgumentException("JMX password file " + file + " names no user: add a line"
                    + " 'user password'");
        }
        return new PasswordFile(users);
    }

    /** Whether {@code password} is {@code user}'s (compared in constant time). */
    public boolean matches(String user, String password) {
        byte[] known = users.get(user);
        return known != null && MessageDigest.isEqual(known, password.getBytes(StandardCharsets.UTF_8));
    }

    /** The users, in the file's order. */
    public Set<String> users() {
        return users.keySet();
    }

    private static void check(Path file) throws IOException {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("JMX password file " + file + " is missing or unreadable: create it"
                    + " with one 'user password' per line and chmod 600");
        }
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view != null) {
            Set<PosixFilePermission> p = view.readAttributes().permissions();
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                throw new IllegalArgumentException("JMX password file " + file + " is readable by other users"
                        + " (" + PosixFilePermissions.toString(p) + "): chmod 600 " + file);
            }
        }
    }
}
