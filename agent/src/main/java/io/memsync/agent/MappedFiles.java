package io.memsync.agent;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The mappings of configured region files this process has made, through {@code FileChannel.map} or native code:
 * what a {@code force()} on a mapping means (which region to flush), and what JMX and the logs report.
 */
final class MappedFiles {
    /** One mapping of region {@code region}'s file: [address, address + size), at {@code position} in the file. */
    record Mapping(String region, long address, long size, long position, String via) {
        boolean contains(long a) {
            return a >= address && a < address + size;
        }
    }

    private final List<Mapping> mappings = new CopyOnWriteArrayList<>();

    /** Records a mapping unless one at the same address is known (a native mapping found twice, for instance). */
    void add(Mapping m) {
        for (Mapping known : mappings) {
            if (known.address() == m.address() && known.size() == m.size()) {
                return;
            }
        }
        mappings.add(m);
    }

    /** The mapping that holds {@code address}, or null. */
    Mapping find(long address) {
        for (Mapping m : mappings) {
            if (m.contains(address)) {
                return m;
            }
        }
        return null;
    }

    List<Mapping> all() {
        return List.copyOf(mappings);
    }
}
