package io.memsync.region.store;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Opens a {@link ChunkSource} from a one-line spec, so that a source can be named on a command line (a pager
 * process opens its own): {@code file:/path/image}, {@code dir:/path/store}, {@code shm:/dev/shm/image} (an image
 * mapped read-only: a memory store), each optionally followed by
 * {@code ?delayUs=N&failFirst=N&failFrom=CHUNK&fail=always} to inject latency and failures.
 */
public final class ChunkSources {
    private ChunkSources() {
    }

    /** Opens the source {@code spec} names for a region of {@code layout}; close it with {@link #close}. */
    public static ChunkSource open(String spec, ChunkLayout layout) throws IOException {
        int colon = spec.indexOf(':');
        if (colon < 1) {
            throw new IllegalArgumentException("source '" + spec + "' has no kind: write file:PATH, dir:PATH or "
                    + "shm:PATH");
        }
        String kind = spec.substring(0, colon);
        String rest = spec.substring(colon + 1);
        int query = rest.indexOf('?');
        StringBuilder providerOptions = new StringBuilder();
        Map<String, String> options = query < 0 ? Map.of() : parseOptions(spec, rest.substring(query + 1),
                providerOptions);
        String location = query < 0 ? rest : rest.substring(0, query);
        boolean builtIn = kind.equals("file") || kind.equals("dir") || kind.equals("shm");
        if (!providerOptions.isEmpty()) {
            if (builtIn) {
                String key = providerOptions.toString().split("[=&]")[0];
                throw new IllegalArgumentException("source '" + spec + "': unknown option '" + key
                        + "', choose delayUs, failFirst, failFrom or fail");
            }
            // Options of the fault injector are taken here; the rest belong to the provider of this kind.
            location = location + "?" + providerOptions;
        }
        ChunkSource source = switch (kind) {
            case "file" -> {
                Path path = Path.of(location);
                requireExists(spec, path);
                yield FileChunkStore.open(path, layout);
            }
            case "dir" -> {
                Path path = Path.of(location);
                requireExists(spec, path.resolve(DirectoryChunkStore.MANIFEST));
                yield DirectoryChunkStore.open(path, layout);
            }
            case "shm" -> {
                Path path = Path.of(location);
                requireExists(spec, path);
                yield MappedImageSource.open(path, layout);
            }
            default -> provided(spec, kind, location, layout);
        };
        if (options.isEmpty()) {
            return source;
        }
        long delayUs = number(spec, options, "delayUs");
        long failFirst = number(spec, options, "failFirst");
        long failFrom = options.containsKey("failFrom") ? number(spec, options, "failFrom") : Long.MAX_VALUE;
        String fail = options.getOrDefault("fail", "never");
        if (!fail.equals("never") && !fail.equals("always")) {
            throw new IllegalArgumentException("source '" + spec + "': fail=" + fail + ", want always or never");
        }
        return new FaultInjectingSource(source, delayUs * 1000, failFirst, fail.equals("always"), failFrom);
    }

    private static ChunkSource provided(String spec, String kind, String location, ChunkLayout layout)
            throws IOException {
        for (ChunkSourceProvider p : ServiceLoader.load(ChunkSourceProvider.class)) {
            if (p.kind().equals(kind)) {
                return p.open(location, layout);
            }
        }
        throw new IllegalArgumentException("source '" + spec + "': unknown kind '" + kind
                + "', choose file, dir or shm (or put the jar that provides '" + kind + "' on the class path)");
    }

    /** Closes {@code source} if it holds resources. */
    public static void close(ChunkSource source) throws IOException {
        ChunkSource s = source instanceof FaultInjectingSource f ? f.innerForClose() : source;
        if (s instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
    }

    private static void requireExists(String spec, Path path) {
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("source '" + spec + "': " + path + " does not exist");
        }
    }

    /** The fault injector's options; the others go, as they were written, to {@code others}. */
    private static Map<String, String> parseOptions(String spec, String query, StringBuilder others) {
        Map<String, String> options = new TreeMap<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("source '" + spec + "': option '" + pair + "' is not key=value");
            }
            String key = pair.substring(0, eq);
            if (!key.equals("delayUs") && !key.equals("failFirst") && !key.equals("failFrom") && !key.equals("fail")) {
                others.append(others.isEmpty() ? "" : "&").append(pair);
            } else {
                options.put(key, pair.substring(eq + 1));
            }
        }
        return options;
    }

    private static long number(String spec, Map<String, String> options, String key) {
        String v = options.get(key);
        if (v == null) {
            return 0;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("source '" + spec + "': " + key + "=" + v
                    + " is not a whole number >= 0");
        }
    }
}
