package io.memsync.agent;

import java.lang.instrument.Instrumentation;
import java.util.Map;
import java.util.Set;

/**
 * The javaagent: {@code -javaagent:memsync.jar[=args]} ({@link #premain}) or
 * {@code java -jar memsync.jar attach <pid> [args]} ({@link #agentmain}). Validates the configuration (an invalid
 * one stops the start with one message), opens to memsync's Hazelcast the JDK internals it asks for, starts the
 * node in the background, and instruments the JDK ({@link Instrumenter}) so that a {@code force()} on a mapping
 * of a region's file flushes the region, and {@code @SharedRegion} fields are set.
 */
public final class MemSyncAgent {
    private MemSyncAgent() {
    }

    public static void premain(String args, Instrumentation inst) {
        MemSyncConfig config;
        try {
            config = MemSyncConfig.load(args, System.getProperties());
        } catch (ConfigException e) {
            // One message and a clear exit status; a stack trace from the JVM's agent loader would bury it.
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        install(config, inst);
    }

    public static void agentmain(String args, Instrumentation inst) {
        MemSyncConfig config;
        try {
            config = MemSyncConfig.load(args, System.getProperties());
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            throw e;
        }
        install(config, inst);
        // Classes loaded before the attach: their @SharedRegion fields are set now (this waits for the node).
        Injector.injectLoaded(inst);
    }

    private static void install(MemSyncConfig config, Instrumentation inst) {
        openJdkInternals(inst);
        AgentRuntime runtime = AgentRuntime.start(config);
        System.getProperties().put(Instrumenter.HOOK, new Hook(runtime));
        System.setProperty("memsync.agent.node", config.nodeName());
        Instrumenter.install(inst);
    }

    /** What Hazelcast asks for with --add-opens/--add-exports on JDK 25 (JVM.md), granted to memsync's module only. */
    private static void openJdkInternals(Instrumentation inst) {
        Module me = MemSyncAgent.class.getModule();
        open(inst, "java.base", Map.of("jdk.internal.ref", Set.of(me)), Map.of("java.lang", Set.of(me),
                "sun.nio.ch", Set.of(me), "java.nio", Set.of(me)));
        open(inst, "java.management", Map.of(), Map.of("sun.management", Set.of(me)));
        open(inst, "jdk.management", Map.of(), Map.of("com.sun.management.internal", Set.of(me)));
    }

    private static void open(Instrumentation inst, String module, Map<String, Set<Module>> exports,
                             Map<String, Set<Module>> opens) {
        ModuleLayer.boot().findModule(module).ifPresent(m -> inst.redefineModule(m, Set.of(), exports, opens,
                Set.of(), Map.of()));
    }

    /** Receives the instrumented JDK's calls; JDK types only cross, since the JDK cannot see memsync's classes. */
    private record Hook(AgentRuntime runtime) implements java.util.function.BiFunction<String, Object[], Object> {
        @Override
        public Object apply(String event, Object[] args) {
            switch (event) {
                case "map" -> {
                    // The application's map() must not fail because memsync could not note the mapping.
                    try {
                        long address = args[3] instanceof java.lang.foreign.MemorySegment s ? s.address()
                                : java.lang.foreign.MemorySegment.ofBuffer((java.nio.Buffer) args[3]).address();
                        runtime.mapped((String) args[0], (Long) args[1], (Long) args[2], address);
                    } catch (RuntimeException e) {
                        System.getLogger(MemSyncAgent.class.getName()).log(System.Logger.Level.WARNING,
                                "memsync: could not note the mapping of " + args[0] + ": " + e, e);
                    }
                    return null;
                }
                case "force" -> {
                    try {
                        runtime.forced((Long) args[0]);
                        return null;
                    } catch (java.io.IOException e) {
                        // force() declares no checked exception: the failed flush surfaces unchecked.
                        return new java.io.UncheckedIOException("memsync: flushing after force() failed: "
                                + e.getMessage(), e);
                    } catch (RuntimeException e) {
                        return e;
                    }
                }
                default -> {
                    return null;
                }
            }
        }
    }
}
