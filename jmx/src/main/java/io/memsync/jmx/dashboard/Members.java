package io.memsync.jmx.dashboard;

import io.memsync.cluster.Node;
import io.memsync.cluster.PeerListener;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The members this dashboard has seen: the live ones, and those that left or died since it started (Hazelcast only
 * lists the live), so the page can show a dead member as dead rather than forget it.
 */
final class Members implements PeerListener {
    private final Node node;
    /** Member uuid to {name, address}, of every member seen. */
    private final Map<String, String[]> seen = new ConcurrentHashMap<>();

    Members(Node node) {
        this.node = node;
    }

    @Override
    public void joined(String memberId, String name, String address) {
        seen.put(memberId, new String[]{name, address});
    }

    @Override
    public void lost(String memberId, String name, String address) {
        seen.put(memberId, new String[]{name, address});
    }

    /** Every member seen, live ones first (sorted by name): name, uuid, address, live, self. */
    List<Map<String, Object>> list() {
        List<Map<String, Object>> out = new ArrayList<>();
        Map<String, Boolean> live = new LinkedHashMap<>();
        for (String description : node.memberDescriptions()) {
            // "name uuid host:port": the name may hold spaces, the other two cannot.
            int addressAt = description.lastIndexOf(' ');
            int uuidAt = description.lastIndexOf(' ', addressAt - 1);
            String name = description.substring(0, uuidAt);
            String uuid = description.substring(uuidAt + 1, addressAt);
            seen.put(uuid, new String[]{name, description.substring(addressAt + 1)});
            live.put(uuid, true);
        }
        for (String uuid : live.keySet()) {
            out.add(member(uuid, true));
        }
        seen.keySet().stream().filter(uuid -> !live.containsKey(uuid))
                .sorted((x, y) -> seen.get(x)[0].compareTo(seen.get(y)[0]))
                .forEach(uuid -> out.add(member(uuid, false)));
        return out;
    }

    private Map<String, Object> member(String uuid, boolean live) {
        String[] known = seen.get(uuid);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", known[0]);
        m.put("uuid", uuid);
        m.put("address", known[1]);
        m.put("live", live);
        m.put("self", uuid.equals(node.memberId()));
        return m;
    }
}
