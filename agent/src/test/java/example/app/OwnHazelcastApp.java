package example.app;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.BuildInfoProvider;
import io.memsync.MemSync;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An application with its own Hazelcast (another version than memsync's) on its class path: it runs its own
 * cluster next to memsync's and uses a memsync region. Prints what it found, then exits.
 */
public final class OwnHazelcastApp {
    public static void main(String[] args) throws Exception {
        Config config = new Config();
        config.setClusterName("application-" + ProcessHandle.current().pid());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.getNetworkConfig().setPort(Integer.parseInt(args[0])).setPortAutoIncrement(false);
        config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
        config.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
        config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        HazelcastInstance own = Hazelcast.newHazelcastInstance(config);
        own.getMap("app").put("k", "v");
        System.out.println("app hazelcast " + BuildInfoProvider.getBuildInfo().getVersion() + " from "
                + Hazelcast.class.getProtectionDomain().getCodeSource().getLocation().getPath()
                + " map " + own.getMap("app").get("k"));
        MemorySegment region = MemSync.region(args[1]);
        region.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 1234);
        MemSync.flush(args[1]);
        System.out.println("memsync region " + region.byteSize() + " owner " + MemSync.isOwner(args[1]) + " value "
                + region.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        own.shutdown();
        System.exit(0);
    }
}
