package io.memsync.bench;

import javax.management.ObjectName;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The application {@link AgentCostBenchmark} launches: maps each file named in its arguments (of the size given
 * first), writes a long into every page, waits for memsync's node (with the agent) and two seconds more (-Dcost.settle.ms), then prints
 * what it costs as "cost RSS_ANON_KB RSS_KB THREADS FDS" and returns from main.
 */
public final class CostProbe {
    private CostProbe() {
    }

    public static void main(String[] args) throws Exception {
        long size = Long.parseLong(args[0]);
        for (int i = 1; i < args.length; i++) {
            try (FileChannel ch = FileChannel.open(Path.of(args[i]), StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, Arena.global());
                for (long o = 0; o < size; o += 4096) {
                    m.set(ValueLayout.JAVA_LONG, o, o);
                }
            }
        }
        if (System.getProperty("memsync.agent.node") != null) {
            ObjectName node = new ObjectName("io.memsync:type=Node");
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!ManagementFactory.getPlatformMBeanServer().isRegistered(node) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
        Thread.sleep(Long.getLong("cost.settle.ms", 2000));
        long anon = 0;
        long rss = 0;
        long threads = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            String[] f = line.split("\\s+");
            switch (f[0]) {
                case "RssAnon:" -> anon = Long.parseLong(f[1]);
                case "VmRSS:" -> rss = Long.parseLong(f[1]);
                case "Threads:" -> threads = Long.parseLong(f[1]);
                default -> {
                }
            }
        }
        long fds;
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            fds = s.count();
        }
        System.out.println("cost " + anon + " " + rss + " " + threads + " " + fds);
    }
}
