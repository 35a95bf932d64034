package io.memsync.region.pager;

import io.memsync.region.ChunkLayout;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything a pager process is told when it starts, and the one owner of how that is written on its command line
 * ({@code --key=value}, one per argument): the application builds one and passes {@link #toArguments()};
 * {@link PagerMain} reads it back with {@link #fromArguments}. The source spec travels verbatim: only the pager
 * parses it, once, when it opens the source.
 *
 * @param role     whether the process serves faults at once or watches the active pager first
 * @param takeover whether an active pager takes over from a dead one (wakes every waiter so each faults afresh)
 * @param layout   the region's size and chunk size
 * @param settings how the pager fetches and installs chunks
 * @param target   whose region: the application's pid, the numbers of its descriptors there, the mapping's address
 */
public record PagerArguments(Role role, boolean takeover, ChunkLayout layout, Settings settings, Target target) {

    /** What a pager process does first. */
    public enum Role {
        /** Serves faults from the start. */
        ACTIVE,
        /** Watches the active pager and serves once it dies. */
        STANDBY;

        String argument() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * How a pager fetches and installs chunks.
     *
     * @param source           a {@link io.memsync.region.store.ChunkSources} spec, opened by the pager
     * @param install          how a fetched chunk is put in place
     * @param pullers          background pull threads (0: on demand only)
     * @param faultFetchers    threads that fetch only faulted chunks
     * @param readAhead        chunks after a faulted one queued ahead of the background order
     * @param retries          source reads retried per chunk before it is given up on
     * @param retryBackoff     first wait between those retries, doubled each time
     * @param closeTimeout     how long closing waits for outstanding faults before failing them
     * @param writeTracking    whether chunks are installed write-protected (the application tracks its writes)
     * @param recovery         first wait before a chunk given up on is fetched again (zero: never)
     */
    public record Settings(String source, InstallMethod install, int pullers, int faultFetchers, int readAhead,
                           int retries, Duration retryBackoff, Duration closeTimeout, boolean writeTracking,
                           Duration recovery) {
        public Settings {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(install, "install");
            Objects.requireNonNull(retryBackoff, "retryBackoff");
            Objects.requireNonNull(closeTimeout, "closeTimeout");
            Objects.requireNonNull(recovery, "recovery");
        }
    }

    /**
     * The application's side of the handover: its pid, the numbers of its userfaultfd, region memfd and status memfd
     * (the pager copies them with pidfd_getfd), and the address of the region's mapping in it.
     */
    public record Target(long appPid, int uffd, int memfd, int statusFd, long base) {
    }

    private static final Set<String> KEYS = Set.of("role", "takeover", "size", "chunk-size", "source", "install",
            "pullers", "fault-fetchers", "read-ahead", "retries", "retry-backoff", "close-timeout", "write-tracking", "recovery",
            "app-pid", "uffd", "memfd", "status-fd", "base");

    public PagerArguments {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(target, "target");
    }

    /** The same pager in another {@code role} (a standby, or an active pager started to take over). */
    public PagerArguments as(Role role, boolean takeover) {
        return new PagerArguments(role, takeover, layout, settings, target);
    }

    /** The command-line arguments, {@code --key=value} each; {@link #fromArguments} reads them back unchanged. */
    public List<String> toArguments() {
        List<String> args = new ArrayList<>();
        add(args, "role", role.argument());
        add(args, "takeover", takeover);
        add(args, "size", layout.regionSize());
        add(args, "chunk-size", layout.chunkSize());
        add(args, "source", settings.source());
        add(args, "install", settings.install().configName());
        add(args, "pullers", settings.pullers());
        add(args, "fault-fetchers", settings.faultFetchers());
        add(args, "read-ahead", settings.readAhead());
        add(args, "retries", settings.retries());
        add(args, "retry-backoff", settings.retryBackoff());
        add(args, "close-timeout", settings.closeTimeout());
        add(args, "write-tracking", settings.writeTracking());
        add(args, "recovery", settings.recovery());
        add(args, "app-pid", target.appPid());
        add(args, "uffd", target.uffd());
        add(args, "memfd", target.memfd());
        add(args, "status-fd", target.statusFd());
        add(args, "base", target.base());
        return args;
    }

    private static void add(List<String> args, String key, Object value) {
        args.add("--" + key + "=" + value);
    }

    /**
     * Reads what {@link #toArguments()} wrote. Fails with an {@link IllegalArgumentException} naming the argument
     * that is malformed, unknown, repeated or missing.
     */
    public static PagerArguments fromArguments(List<String> arguments) {
        Map<String, String> a = new LinkedHashMap<>();
        for (String arg : arguments) {
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 3) {
                throw new IllegalArgumentException("pager argument '" + arg + "' is not --key=value");
            }
            String key = arg.substring(2, eq);
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("pager argument '" + arg + "': unknown key '" + key
                        + "' (the application and the pager must be the same memsync version)");
            }
            if (a.put(key, arg.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("pager argument --" + key + " is given twice");
            }
        }
        for (String key : KEYS) {
            if (!a.containsKey(key)) {
                throw new IllegalArgumentException("pager needs --" + key + "=...");
            }
        }
        ChunkLayout layout = new ChunkLayout(number(a, "size"), (int) number(a, "chunk-size"));
        InstallMethod install;
        try {
            install = InstallMethod.parse(a.get("install"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("pager argument --install: " + e.getMessage(), e);
        }
        Settings settings = new Settings(a.get("source"), install, (int) number(a, "pullers"),
                (int) number(a, "fault-fetchers"), (int) number(a, "read-ahead"), (int) number(a, "retries"),
                duration(a, "retry-backoff"), duration(a, "close-timeout"), bool(a, "write-tracking"),
                duration(a, "recovery"));
        Target target = new Target(number(a, "app-pid"), (int) number(a, "uffd"), (int) number(a, "memfd"),
                (int) number(a, "status-fd"), number(a, "base"));
        return new PagerArguments(role(a.get("role")), bool(a, "takeover"), layout, settings, target);
    }

    private static Role role(String value) {
        for (Role r : Role.values()) {
            if (r.argument().equals(value)) {
                return r;
            }
        }
        throw new IllegalArgumentException("pager argument --role=" + value + ": choose active or standby");
    }

    private static long number(Map<String, String> a, String key) {
        String v = a.get(key);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("pager argument --" + key + "=" + v + " is not a whole number");
        }
    }

    private static Duration duration(Map<String, String> a, String key) {
        String v = a.get(key);
        try {
            return Duration.parse(v);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("pager argument --" + key + "=" + v
                    + " is not an ISO-8601 duration such as PT0.01S");
        }
    }

    private static boolean bool(Map<String, String> a, String key) {
        String v = a.get(key);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("pager argument --" + key + "=" + v + ": write true or false");
        }
        return v.equals("true");
    }
}
