package io.memsync.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * This process's mappings of a file, read from /proc/self/maps: how memsync finds shmem files that native code (or
 * the application before the agent was attached) mapped.
 */
public final class ProcMaps {
    /** One mapping: [start, end) of the address space, {@code offset} into the file, shared and writable or not. */
    public record Mapping(long start, long end, long offset, boolean shared, boolean writable, Path file) {
        public long size() {
            return end - start;
        }
    }

    private ProcMaps() {
    }

    /** The mappings of {@code file} in this process now. */
    public static List<Mapping> of(Path file) {
        return parse(read(), file.toAbsolutePath().normalize().toString());
    }

    static List<Mapping> parse(List<String> lines, String path) {
        List<Mapping> out = new ArrayList<>();
        for (String line : lines) {
            // start-end perms offset dev inode path; the path (which may hold spaces) starts at the sixth field.
            String[] f = line.split("\\s+", 6);
            if (f.length < 6) {
                continue;
            }
            String name = f[5].trim();
            if (name.endsWith(" (deleted)") || !name.equals(path)) {
                continue;
            }
            int dash = f[0].indexOf('-');
            long start = Long.parseUnsignedLong(f[0].substring(0, dash), 16);
            long end = Long.parseUnsignedLong(f[0].substring(dash + 1), 16);
            long offset = Long.parseUnsignedLong(f[2], 16);
            out.add(new Mapping(start, end, offset, f[1].charAt(3) == 's', f[1].charAt(1) == 'w', Path.of(name)));
        }
        return out;
    }

    private static List<String> read() {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/maps to find the mapped region files: " + e, e);
        }
    }
}
