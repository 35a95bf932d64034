package io.memsync.agent;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A Jazzer target (docs/security.md, "Fuzzing"): agent arguments as a user could type them. Any input gives a
 * configuration or a {@link ConfigException} naming the key at fault: no other exception, no hang. (The key that
 * names a configuration file is dropped: reading files is not the parser.)
 */
public final class ConfigFuzzer {
    private ConfigFuzzer() {
    }

    public static void fuzzerTestOneInput(byte[] data) {
        String args = new String(data, StandardCharsets.UTF_8);
        try {
            Map<String, String> keys = new java.util.TreeMap<>(MemSyncConfig.parseAgentArgs(args));
            keys.remove("memsync.config");
            MemSyncConfig.from(keys, null);
        } catch (ConfigException refused) {
            if (refused.getMessage() == null || !refused.getMessage().startsWith("memsync: invalid configuration")) {
                throw new AssertionError("a refusal that names nothing: " + refused.getMessage());
            }
        }
    }
}
