package io.memsync.jmx.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The page's files, read once from the classpath ({@code io/memsync/jmx/dashboard/}): the node serves everything the
 * browser needs, so the dashboard works without any other network access.
 */
final class Assets {
    /** Request path to {resource name, content type}: only these are served. */
    private static final Map<String, String[]> FILES = Map.of(
            "/", new String[]{"index.html", "text/html; charset=utf-8"},
            "/dashboard.js", new String[]{"dashboard.js", "text/javascript; charset=utf-8"},
            "/dashboard.css", new String[]{"dashboard.css", "text/css; charset=utf-8"});

    private final Map<String, byte[]> bodies;

    private Assets(Map<String, byte[]> bodies) {
        this.bodies = bodies;
    }

    /** Reads every file; fails at once if one is missing (a broken build), not when a browser asks for it. */
    static Assets load() {
        Map<String, byte[]> bodies = new java.util.HashMap<>();
        for (Map.Entry<String, String[]> e : FILES.entrySet()) {
            String resource = e.getValue()[0];
            try (InputStream in = Assets.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("the dashboard's " + resource + " is missing from the classpath"
                            + " (io/memsync/jmx/dashboard/" + resource + " in memsync-jmx's jar)");
                }
                bodies.put(e.getKey(), in.readAllBytes());
            } catch (IOException ex) {
                throw new UncheckedIOException("reading the dashboard's " + resource + " failed", ex);
            }
        }
        return new Assets(Map.copyOf(bodies));
    }

    /** The body served at {@code path}, or null. */
    byte[] body(String path) {
        return bodies.get(path);
    }

    /** The content type of what is served at {@code path}. */
    String contentType(String path) {
        return FILES.get(path)[1];
    }
}
