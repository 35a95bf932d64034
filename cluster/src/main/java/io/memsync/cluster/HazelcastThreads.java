package io.memsync.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.spi.impl.NodeEngineImpl;

import java.lang.reflect.Field;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Trims two of Hazelcast's pools that no setting sizes, once the member runs: its cached executor (three threads
 * kept for ever, used by memsync's few asynchronous operations now and then) keeps no idle thread longer than
 * {@link #CACHED_IDLE_SECONDS} s, and its metrics scheduler (two threads for a few periodic gauges, with metrics
 * off) runs on one. An application under the agent pays for every thread. Hazelcast's behaviour is unchanged:
 * both pools still run everything given to them. Reaches into Hazelcast 5.7's private fields: if a later version
 * renames them, the pools are left as they are and one DEBUG line says so.
 */
final class HazelcastThreads {
    private static final System.Logger LOG = System.getLogger(HazelcastThreads.class.getName());
    static final long CACHED_IDLE_SECONDS = 5;

    private HazelcastThreads() {
    }

    /** Trims {@code hazelcast}'s cached executor and metrics scheduler; returns whether both were trimmed. */
    static boolean trim(HazelcastInstance hazelcast) {
        try {
            NodeEngineImpl engine = ((HazelcastInstanceProxy) hazelcast).getOriginal().node.getNodeEngine();
            ThreadPoolExecutor cached = (ThreadPoolExecutor) field(engine.getExecutionService(),
                    "cachedExecutorService");
            cached.setKeepAliveTime(CACHED_IDLE_SECONDS, TimeUnit.SECONDS);
            cached.setCorePoolSize(0);
            ThreadPoolExecutor metrics = (ThreadPoolExecutor) field(engine.getMetricsRegistry(), "scheduler");
            metrics.setCorePoolSize(1);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "Hazelcast's cached and metrics threads are left as they are (this "
                    + "Hazelcast differs from 5.7): " + e);
            return false;
        }
    }

    private static Object field(Object owner, String name) throws ReflectiveOperationException {
        Field f = owner.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(owner);
    }
}
