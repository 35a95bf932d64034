package io.memsync.bench;

import javax.management.ObjectName;
import java.lang.management.ManagementFactory;

/**
 * The application {@link AgentStartupBenchmark} launches: prints the JVM's uptime when {@code main} starts and, with
 * the agent, when memsync's node has joined (its MBean appears), then exits.
 */
public final class StartupProbe {
    private StartupProbe() {
    }

    public static void main(String[] args) throws Exception {
        long atMain = ManagementFactory.getRuntimeMXBean().getUptime();
        System.out.println("main " + atMain);
        if (System.getProperty("memsync.agent.node") != null) {
            ObjectName node = new ObjectName("io.memsync:type=Node");
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!ManagementFactory.getPlatformMBeanServer().isRegistered(node) && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            System.out.println("joined " + ManagementFactory.getRuntimeMXBean().getUptime());
        }
        System.exit(0);
    }
}
