package io.memsync.jmx.dashboard;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.Node;
import io.memsync.cluster.RegionRecord;
import io.memsync.jmx.NodeOperations;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dashboard's JSON endpoints, each taking the query's parameters and returning the answer's body. Failures are
 * {@link ApiException}s with the HTTP status to answer: 400 bad input, 404 an unknown region, 409 a state that does
 * not allow the action (not the owner, a migration under way), 500 a failure inside memsync.
 */
final class Api {
    private final Node node;
    private final NodeOperations operations;
    private final StatusReport status;

    Api(Node node, NodeOperations operations, Members members) {
        this.node = node;
        this.operations = operations;
        this.status = new StatusReport(node, operations, members);
    }

    /** {@code GET /api/status}. */
    Map<String, Object> status() {
        try {
            return status.build();
        } catch (RuntimeException e) {
            throw new ApiException(503, "reading node " + node.name() + "'s status failed (is it shutting down, or"
                    + " below its minimum cluster size?): " + e.getMessage());
        }
    }

    /** {@code GET /api/chunks?region=NAME}. */
    Map<String, Object> chunks(Map<String, String> query) {
        return ChunkMap.of(node, required(query, "region", "GET /api/chunks?region=NAME"));
    }

    /** {@code POST /api/flush?region=NAME}: returns once the replica quorum acknowledged the flush. */
    Map<String, Object> flush(Map<String, String> query) {
        String region = existing(required(query, "region", "POST /api/flush?region=NAME"));
        String result = act(() -> operations.flush(region));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("result", result);
        ClusterRegion copy = node.region(region);
        out.put("epoch", copy == null ? null : copy.epoch());
        return out;
    }

    /** {@code POST /api/migrate?region=NAME&member=NODE}: returns once the migration is under way. */
    Map<String, Object> migrate(Map<String, String> query) {
        String usage = "POST /api/migrate?region=NAME&member=NODE";
        String region = existing(required(query, "region", usage));
        String member = required(query, "member", usage);
        return Map.of("result", act(() -> operations.startMigration(region, member)));
    }

    private String existing(String region) {
        if (node.directory().get(region) == null) {
            throw ApiException.notFound(unknownRegion(node, region));
        }
        return region;
    }

    static String unknownRegion(Node node, String region) {
        return "no region " + region + " in the cluster; regions: "
                + node.directory().records().stream().map(RegionRecord::name).sorted().toList();
    }

    private static String required(Map<String, String> query, String name, String usage) {
        String value = query.get(name);
        if (value == null || value.isBlank()) {
            throw ApiException.badRequest("missing query parameter '" + name + "': " + usage);
        }
        return value.trim();
    }

    /** Runs an operation of {@link NodeOperations}, turning its exceptions into the matching HTTP status. */
    private static String act(java.util.function.Supplier<String> operation) {
        try {
            return operation.get();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (IllegalStateException e) {
            throw new ApiException(409, e.getMessage());
        }
    }
}
