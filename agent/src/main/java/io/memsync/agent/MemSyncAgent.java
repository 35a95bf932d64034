package io.memsync.agent;

import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.implementation.bytecode.ByteCodeAppender;
import net.bytebuddy.implementation.bytecode.StackManipulation;
import net.bytebuddy.implementation.bytecode.constant.ClassConstant;
import net.bytebuddy.implementation.bytecode.member.MethodInvocation;

import java.lang.instrument.Instrumentation;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

import static net.bytebuddy.matcher.ElementMatchers.declaresField;
import static net.bytebuddy.matcher.ElementMatchers.isAnnotatedWith;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.none;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

/**
 * The javaagent: {@code -javaagent:memsync.jar[=args]} ({@link #premain}) or
 * {@code java -jar memsync.jar attach <pid> [args]} ({@link #agentmain}). Validates the configuration (an invalid
 * one stops the start with one message), opens to memsync's Hazelcast the JDK internals it asks for, starts the
 * node in the background, and instruments the JDK so that mapped region files are synchronized: the
 * {@code FileChannel.map} methods report mappings, and {@code force()} on a mapping (a {@code MappedByteBuffer}'s or
 * a mapped {@code MemorySegment}'s, which both end in {@code java.nio.MappedMemoryUtils.force}) flushes its region.
 */
public final class MemSyncAgent {
    /**
     * memsync's relocated Hazelcast logs to JUL loggers under this name (its classes' names): an application wants
     * its warnings, not its banner. Held here because JUL holds loggers weakly.
     */
    private static final Logger HAZELCAST_LOGS = Logger.getLogger("io.memsync.shaded.com.hazelcast");
    /** The system property (an object, not a string) through which instrumented JDK code reaches memsync. */
    static final String HOOK = "io.memsync.agent.hook";

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
        long t0 = System.nanoTime();
        HAZELCAST_LOGS.setLevel(Level.WARNING);
        openJdkInternals(inst);
        long t1 = System.nanoTime();
        AgentRuntime runtime = AgentRuntime.start(config);
        System.getProperties().put(HOOK, new Hook(runtime));
        System.setProperty("memsync.agent.node", config.nodeName());
        long t2 = System.nanoTime();
        instrument(inst);
        System.err.println("TIMING uptime " + java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() + " open " + (t1 - t0) / 1000000 + " start " + (t2 - t1) / 1000000 + " instrument " + (System.nanoTime() - t2) / 1000000);
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

    static long T0;
    private static void instrument(Instrumentation inst) {
        T0 = System.nanoTime();
        Class<?>[] jdk;
        try {
            jdk = new Class<?>[] {Class.forName("sun.nio.ch.FileChannelImpl", false, null),
                    Class.forName("java.nio.MappedMemoryUtils", false, null)};
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("memsync instruments FileChannelImpl and MappedMemoryUtils, which this JDK "
                    + "lacks: run it on JDK 25", e);
        }
        new AgentBuilder.Default()
                .with(AgentBuilder.InjectionStrategy.Disabled.INSTANCE)
                .disableClassFormatChanges()
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                // Only these two are looked at: going through every loaded class took seconds from the start.
                .with(new AgentBuilder.RedefinitionStrategy.DiscoveryStrategy.Explicit(jdk))
                .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
                .with(AgentBuilder.TypeStrategy.Default.REDEFINE)
                .with(AgentBuilder.Listener.StreamWriting.toSystemError().withErrorsOnly())
                .ignore(none())
                .type(named("sun.nio.ch.FileChannelImpl"))
                .transform((builder, type, loader, module, domain) -> builder.visit(Advice.to(MapAdvice.class)
                        .on(named("map").and(takesArguments(3).or(takesArguments(4))))))
                .type(named("java.nio.MappedMemoryUtils"))
                .transform((builder, type, loader, module, domain) -> builder.visit(Advice.to(ForceAdvice.class)
                        .on(named("force").and(takesArguments(5)))))
                .installOn(inst);
        System.err.println("TIMING first " + (System.nanoTime() - T0) / 1000000);
        MethodDescription inject;
        try {
            inject = new MethodDescription.ForLoadedMethod(Injector.class.getMethod("inject", Class.class));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        // Classes loaded from now on: the first thing their type initializer does is set their @SharedRegion fields.
        new AgentBuilder.Default()
                .with(AgentBuilder.InjectionStrategy.Disabled.INSTANCE)
                .with(AgentBuilder.Listener.StreamWriting.toSystemError().withErrorsOnly())
                .ignore(nameStartsWith("io.memsync.").or(nameStartsWith("java.")).or(nameStartsWith("jdk."))
                        .or(nameStartsWith("sun.")))
                .type(declaresField(isAnnotatedWith(named("io.memsync.SharedRegion"))))
                .transform((builder, type, loader, module, domain) -> builder.initializer(
                        (ByteCodeAppender) (visitor, context, method) -> {
                            StackManipulation.Size size = new StackManipulation.Compound(
                                    ClassConstant.of(context.getInstrumentedType()),
                                    MethodInvocation.invoke(inject)).apply(visitor, context);
                            return new ByteCodeAppender.Size(size.getMaximalSize(), method.getStackSize());
                        }))
                .installOn(inst);
    }

    /** Inlined into {@code FileChannelImpl.map}: reports the mapping to memsync through {@link #HOOK}. */
    static final class MapAdvice {
        @Advice.OnMethodExit(suppress = Throwable.class)
        @SuppressWarnings("unchecked")
        static void exit(@Advice.FieldValue("path") String path, @Advice.Argument(1) long position,
                         @Advice.Argument(2) long size, @Advice.Return Object mapping) {
            Object hook = System.getProperties().get("io.memsync.agent.hook");
            if (hook instanceof java.util.function.BiFunction && path != null && mapping != null) {
                ((java.util.function.BiFunction<String, Object[], Object>) hook).apply("map",
                        new Object[] {path, position, size, mapping});
            }
        }
    }

    /** Inlined into {@code MappedMemoryUtils.force}: after the msync, flushes the region the mapping belongs to. */
    static final class ForceAdvice {
        @Advice.OnMethodExit
        @SuppressWarnings("unchecked")
        static void exit(@Advice.Argument(1) long address) {
            Object hook = System.getProperties().get("io.memsync.agent.hook");
            if (hook instanceof java.util.function.BiFunction) {
                Object failure = ((java.util.function.BiFunction<String, Object[], Object>) hook).apply("force",
                        new Object[] {address});
                if (failure instanceof RuntimeException e) {
                    throw e;
                }
            }
        }
    }

    /** Receives the instrumented JDK's calls; JDK types only cross, since the JDK cannot see memsync's classes. */
    private record Hook(AgentRuntime runtime) implements java.util.function.BiFunction<String, Object[], Object> {
        @Override
        public Object apply(String event, Object[] args) {
            switch (event) {
                case "map" -> {
                    long address = args[3] instanceof java.lang.foreign.MemorySegment s ? s.address()
                            : java.lang.foreign.MemorySegment.ofBuffer((java.nio.Buffer) args[3]).address();
                    runtime.mapped((String) args[0], (Long) args[1], (Long) args[2], address);
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
