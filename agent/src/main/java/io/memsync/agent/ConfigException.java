package io.memsync.agent;

/** A configuration that cannot be used: names the key, the value given and what is allowed. */
public final class ConfigException extends IllegalArgumentException {
    private final String key;

    public ConfigException(String key, String value, String allowed) {
        super("memsync: invalid configuration: " + key + (value == null ? " is missing" : "=" + value)
                + ": " + allowed);
        this.key = key;
    }

    /** The key at fault. */
    public String key() {
        return key;
    }
}
