package example.app;

import io.memsync.MemSync;
import io.memsync.SharedRegion;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An application written against memsync's API: region "counters" arrives in an injected field, region "notes"
 * through {@link MemSync#region}. Commands: {@code put REGION OFFSET VALUE}, {@code flush REGION},
 * {@code await REGION OFFSET VALUE MILLIS}, {@code role REGION}, {@code exit}.
 */
public final class ApiApp {
    @SharedRegion("counters")
    private static MemorySegment counters;

    public static void main(String[] args) throws Exception {
        System.out.println("READY " + ProcessHandle.current().pid() + " injected " + counters.byteSize());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            String[] c = line.trim().split("\\s+");
            try {
                switch (c[0]) {
                    case "put" -> {
                        memory(c[1]).set(ValueLayout.JAVA_LONG_UNALIGNED, Long.parseLong(c[2]), Long.parseLong(c[3]));
                        System.out.println("ok");
                    }
                    case "flush" -> {
                        MemSync.flush(c[1]);
                        System.out.println("ok");
                    }
                    case "role" -> System.out.println("role " + (MemSync.isOwner(c[1]) ? "owner" : "replica"));
                    case "await" -> {
                        long deadline = System.nanoTime() + Long.parseLong(c[4]) * 1_000_000;
                        long want = Long.parseLong(c[3]);
                        long v;
                        while ((v = memory(c[1]).get(ValueLayout.JAVA_LONG_UNALIGNED, Long.parseLong(c[2]))) != want
                                && System.nanoTime() < deadline) {
                            Thread.sleep(2);
                        }
                        System.out.println(v == want ? "ok" : "timeout value " + v);
                    }
                    case "exit" -> {
                        System.out.println("bye");
                        System.exit(0);
                    }
                    default -> System.out.println("error unknown command " + c[0]);
                }
            } catch (Exception e) {
                System.out.println("error " + e);
            }
        }
    }

    private static MemorySegment memory(String region) {
        return region.equals("counters") ? counters : MemSync.region(region);
    }
}
