package io.memsync.agent;

import io.memsync.cluster.testkit.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An application with its own, older Hazelcast on its class path runs its own cluster beside memsync's relocated
 * one: each uses its own version.
 */
@Timeout(120)
class OwnHazelcastIT {
    @Test
    void anApplicationsOwnHazelcastIsUndisturbed() throws Exception {
        try (ItCluster cluster = new ItCluster(1)) {
            var config = cluster.config(0, "solo", "memsync.region.solo.size=64k", "memsync.region.solo.replicas=0");
            String appJar = AppProcess.IT_LIBS.resolve("app-hazelcast.jar").toString();
            try (AppProcess app = AppProcess.start("own-hazelcast", List.of(AppProcess.agent("config=" + config),
                    "--add-modules", "java.se", "--add-opens", "java.base/java.lang=ALL-UNNAMED"), appJar,
                    "example.app.OwnHazelcastApp", Integer.toString(FreePorts.pick()), "solo")) {
                String own = app.awaitLine("app hazelcast", Duration.ofSeconds(60));
                assertTrue(own.startsWith("app hazelcast 5.3.8 from ") && own.contains("app-hazelcast.jar")
                        && own.endsWith("map v"), own);
                String region = app.awaitLine("memsync region", Duration.ofSeconds(60));
                assertEquals("memsync region 65536 owner true value 1234", region);
                assertEquals(0, app.awaitExit(Duration.ofSeconds(30)));
            }
        }
    }
}
