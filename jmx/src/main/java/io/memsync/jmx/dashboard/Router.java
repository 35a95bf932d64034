package io.memsync.jmx.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.memsync.jmx.PasswordFile;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Sends each request to its asset or endpoint, and answers every failure as JSON {@code {"error": "..."}}.
 * <p>
 * Browsers on the same host can reach a loopback server from any web page, so: the Host header must name the address
 * the dashboard listens on (a rebound DNS name gets 421), and a POST must carry the header
 * {@value #ACTION_HEADER} (another origin cannot send it without a CORS preflight, which this server never grants)
 * and, if the browser sent an Origin, come from the dashboard's own.
 */
final class Router implements HttpHandler {
    static final String ACTION_HEADER = "X-MemSync-Dashboard";
    private static final System.Logger LOG = System.getLogger(Router.class.getName());
    private static final String PAGE_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self';"
            + " script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private final Assets assets;
    private final Api api;
    /** Host names the Host header may carry, lower case; null when listening on every address. */
    private final Set<String> hosts;
    /** Who may act (flush, migrate), when the dashboard listens beyond loopback; null: anyone who reaches it. */
    private final PasswordFile users;

    Router(Assets assets, Api api, String host, InetSocketAddress bound, PasswordFile users) {
        this.assets = assets;
        this.api = api;
        this.users = users;
        if (bound.getAddress().isAnyLocalAddress()) {
            hosts = null;
        } else {
            hosts = new HashSet<>();
            hosts.add(host.toLowerCase(Locale.ROOT));
            hosts.add(bound.getAddress().getHostAddress().toLowerCase(Locale.ROOT));
            if (bound.getAddress().isLoopbackAddress()) {
                hosts.addAll(Set.of("localhost", "127.0.0.1", "::1", "0:0:0:0:0:0:0:1"));
            }
        }
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            try {
                route(exchange);
            } catch (ApiException e) {
                json(exchange, e.status(), Map.of("error", e.getMessage()));
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.WARNING, "dashboard: " + exchange.getRequestMethod() + " "
                        + exchange.getRequestURI() + " failed: " + e, e);
                json(exchange, 500, Map.of("error", exchange.getRequestURI().getPath() + " failed: "
                        + (e.getMessage() != null ? e.getMessage() : e.toString())));
            }
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        checkHost(exchange);
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        byte[] asset = assets.body(path);
        if (asset != null) {
            requireMethod(method, "GET", path);
            exchange.getResponseHeaders().set("Content-Security-Policy", PAGE_POLICY);
            exchange.getResponseHeaders().set("X-Frame-Options", "DENY");
            send(exchange, 200, assets.contentType(path), asset);
            return;
        }
        Function<Map<String, String>, Map<String, Object>> endpoint = switch (path) {
            case "/api/status" -> query -> api.status();
            case "/api/chunks" -> api::chunks;
            case "/api/flush" -> api::flush;
            case "/api/migrate" -> api::migrate;
            default -> throw ApiException.notFound("no such page or endpoint: " + path + " (the dashboard serves /,"
                    + " GET /api/status, GET /api/chunks?region=NAME, POST /api/flush?region=NAME and"
                    + " POST /api/migrate?region=NAME&member=NODE)");
        };
        if (path.equals("/api/flush") || path.equals("/api/migrate")) {
            requireMethod(method, "POST", path);
            checkAction(exchange);
            checkUser(exchange);
        } else {
            requireMethod(method, "GET", path);
        }
        json(exchange, 200, endpoint.apply(query(exchange.getRequestURI().getRawQuery())));
    }

    private void checkHost(HttpExchange exchange) {
        if (hosts == null) {
            return;
        }
        String host = exchange.getRequestHeaders().getFirst("Host");
        String name = host == null ? "" : host.toLowerCase(Locale.ROOT);
        if (name.startsWith("[")) {
            name = name.substring(1, Math.max(1, name.indexOf(']')));
        } else if (name.indexOf(':') >= 0 && name.indexOf(':') == name.lastIndexOf(':')) {
            name = name.substring(0, name.indexOf(':'));
        }
        if (!hosts.contains(name)) {
            // A name that resolves to this address but is none of its own: a page of another site rebound to it.
            throw new ApiException(421, "this dashboard answers requests addressed to " + String.join(", ",
                    new java.util.TreeSet<>(hosts)) + " only, not to '" + name + "' (Host header '" + host + "')");
        }
    }

    private static void checkAction(HttpExchange exchange) {
        if (exchange.getRequestHeaders().getFirst(ACTION_HEADER) == null) {
            throw new ApiException(403, "actions need the request header " + ACTION_HEADER + " (the dashboard's"
                    + " page sends it), so that other web pages cannot trigger them");
        }
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (origin != null && !origin.equals("null") && !origin.equalsIgnoreCase("http://" + host)) {
            throw new ApiException(403, "actions are accepted from the dashboard's own page only, not from "
                    + origin);
        }
    }

    /** On a dashboard that listens beyond loopback, an action needs HTTP Basic authorization as a JMX user. */
    private void checkUser(HttpExchange exchange) {
        if (users == null) {
            return;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String pair = new String(java.util.Base64.getDecoder().decode(header.substring(6).strip()),
                        java.nio.charset.StandardCharsets.UTF_8);
                int colon = pair.indexOf(':');
                if (colon > 0 && users.matches(pair.substring(0, colon), pair.substring(colon + 1))) {
                    return;
                }
            } catch (IllegalArgumentException badBase64) {
                // refused below
            }
            LOG.log(System.Logger.Level.WARNING, "dashboard: refused " + exchange.getRequestURI().getPath()
                    + " from " + exchange.getRemoteAddress() + ": wrong user or password");
        }
        exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"memsync\", charset=\"UTF-8\"");
        throw new ApiException(401, "actions on this dashboard need a user and password of memsync.jmx.password.file");
    }

    private static void requireMethod(String method, String wanted, String path) {
        if (!method.equals(wanted)) {
            throw new ApiException(405, path + " takes " + wanted + ", not " + method);
        }
    }

    /** The query's parameters, decoded; the last of repeated ones wins. */
    static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                out.put(URLDecoder.decode(key, StandardCharsets.UTF_8), URLDecoder.decode(value,
                        StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("the query parameter '" + pair + "' is not URL-encoded properly: "
                        + e.getMessage());
            }
        }
        return out;
    }

    private static void json(HttpExchange exchange, int status, Map<String, ?> body) throws IOException {
        send(exchange, status, "application/json; charset=utf-8",
                Json.write(body).getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", type);
        headers.set("Cache-Control", "no-store");
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("Referrer-Policy", "no-referrer");
        if (status == 405) {
            headers.set("Allow", exchange.getRequestURI().getPath().matches("/api/(flush|migrate)") ? "POST" : "GET");
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
