package io.memsync.agent;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.instrument.UnmodifiableClassException;
import java.nio.charset.StandardCharsets;
import java.security.ProtectionDomain;
import java.util.function.Predicate;

/**
 * The agent's byte code changes, made with the JDK's own ClassFile API (java.lang.classfile):
 * <ul>
 *   <li>{@code sun.nio.ch.FileChannelImpl.map} (both: MappedByteBuffer and MemorySegment) reports each mapping it
 *   returns, with the file's path, to the hook;</li>
 *   <li>{@code java.nio.MappedMemoryUtils.force}, where {@code MappedByteBuffer.force()} and
 *   {@code MemorySegment.force()} both end, tells the hook after the msync, and throws what the hook returns;</li>
 *   <li>classes with a {@code @SharedRegion} field call {@link Injector#inject} first thing in their type
 *   initializer.</li>
 * </ul>
 * The JDK's classes cannot see memsync's, so the code added to them finds the hook as a
 * {@code BiFunction<String, Object[], Object>} stored under {@link #HOOK} in the system properties.
 * <p>
 * ByteBuddy's AgentBuilder did the same with advice classes, but took 1.0-1.3 s of the JVM's start before
 * {@code main} on this 2-core machine (loading and running ByteBuddy); these transformations take milliseconds.
 */
final class Instrumenter {
    /** The system property (an object, not a string) through which instrumented JDK code reaches memsync. */
    static final String HOOK = "io.memsync.agent.hook";

    private static final String FILE_CHANNEL = "sun/nio/ch/FileChannelImpl";
    private static final String MAPPED_MEMORY = "java/nio/MappedMemoryUtils";
    private static final String MARKER_DESCRIPTOR = "Lio/memsync/SharedRegion;";
    private static final byte[] MARKER = MARKER_DESCRIPTOR.getBytes(StandardCharsets.UTF_8);

    private static final ClassDesc SYSTEM = ClassDesc.of("java.lang.System");
    private static final ClassDesc PROPERTIES = ClassDesc.of("java.util.Properties");
    private static final ClassDesc BI_FUNCTION = ClassDesc.of("java.util.function.BiFunction");
    private static final ClassDesc LONG = ClassDesc.of("java.lang.Long");
    private static final ClassDesc RUNTIME_EXCEPTION = ClassDesc.of("java.lang.RuntimeException");
    private static final ClassDesc INJECTOR = ClassDesc.of(Injector.class.getName());

    private Instrumenter() {
    }

    /** Instruments the two JDK classes now (they may be loaded already) and every class loaded from now on. */
    static void install(Instrumentation inst) {
        inst.addTransformer(new JdkTransformer(), true);
        inst.addTransformer(new InjectionTransformer(), false);
        try {
            inst.retransformClasses(Class.forName("sun.nio.ch.FileChannelImpl", false, null),
                    Class.forName("java.nio.MappedMemoryUtils", false, null));
        } catch (ClassNotFoundException | UnmodifiableClassException e) {
            throw new IllegalStateException("memsync instruments FileChannelImpl and MappedMemoryUtils, which this "
                    + "JDK lacks or refuses: run it on JDK 25 (" + e + ")", e);
        }
    }

    /** Adds the hook calls to FileChannelImpl.map and MappedMemoryUtils.force. */
    private static final class JdkTransformer implements ClassFileTransformer {
        @Override
        public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                                ProtectionDomain domain, byte[] bytes) {
            try {
                if (FILE_CHANNEL.equals(name)) {
                    return transformMethods(bytes, m -> m.methodName().equalsString("map")
                            && (m.methodTypeSymbol().parameterCount() == 3
                            || m.methodTypeSymbol().parameterCount() == 4), Instrumenter::reportMapping);
                }
                if (MAPPED_MEMORY.equals(name)) {
                    return transformMethods(bytes, m -> m.methodName().equalsString("force")
                            && m.methodTypeSymbol().parameterCount() == 5, Instrumenter::reportForce);
                }
            } catch (RuntimeException | Error e) {
                // A transformer's exception is swallowed by the JVM: say it, or force() would silently not flush.
                System.err.println("memsync: cannot instrument " + name + ": " + e);
            }
            return null;
        }
    }

    /** Makes classes with a {@code @SharedRegion} field call the injector first in their type initializer. */
    private static final class InjectionTransformer implements ClassFileTransformer {
        @Override
        public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                                ProtectionDomain domain, byte[] bytes) {
            // A byte search first: almost no class is ours to change, and parsing each would cost the start-up.
            if (loader == null || name == null || name.startsWith("io/memsync/shaded/") || !contains(bytes, MARKER)) {
                return null;
            }
            try {
                return addInjection(bytes);
            } catch (RuntimeException | Error e) {
                System.err.println("memsync: cannot prepare the @SharedRegion fields of " + name + ": " + e);
                return null;
            }
        }
    }

    /** The class with the injector's call added, or null if none of its fields is marked. */
    static byte[] addInjection(byte[] bytes) {
        ClassFile cf = ClassFile.of();
        ClassModel model = cf.parse(bytes);
        // The byte search also matches classes that only mention the annotation (a local variable's type, say).
        boolean marked = model.fields().stream().anyMatch(f -> f.findAttribute(
                java.lang.classfile.Attributes.runtimeVisibleAnnotations()).map(a -> a.annotations().stream()
                .anyMatch(an -> an.className().equalsString(MARKER_DESCRIPTOR))).orElse(false));
        if (!marked) {
            return null;
        }
        boolean hasInitializer = model.methods().stream()
                .anyMatch(m -> m.methodName().equalsString(ConstantDescs.CLASS_INIT_NAME));
        ClassDesc self = model.thisClass().asSymbol();
        ClassTransform transform = ClassTransform.transformingMethodBodies(
                m -> m.methodName().equalsString(ConstantDescs.CLASS_INIT_NAME), new CodeTransform() {
                    @Override
                    public void accept(CodeBuilder code, CodeElement element) {
                        code.with(element);
                    }

                    @Override
                    public void atStart(CodeBuilder code) {
                        callInjector(code, self);
                    }
                });
        if (!hasInitializer) {
            transform = transform.andThen(ClassTransform.endHandler(cb -> cb.withMethod(
                    ConstantDescs.CLASS_INIT_NAME, ConstantDescs.MTD_void, ClassFile.ACC_STATIC,
                    mb -> mb.withCode(code -> {
                        callInjector(code, self);
                        code.return_();
                    }))));
        }
        return cf.transformClass(model, transform);
    }

    private static void callInjector(CodeBuilder code, ClassDesc self) {
        code.ldc(self);
        code.invokestatic(INJECTOR, "inject", MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_Class));
    }

    private static byte[] transformMethods(byte[] bytes, Predicate<MethodModel> which,
                                           java.util.function.BiConsumer<CodeBuilder, MethodModel> beforeReturn) {
        ClassFile cf = ClassFile.of();
        ClassModel model = cf.parse(bytes);
        ClassTransform transform = (cb, element) -> {
            if (element instanceof MethodModel m && which.test(m)) {
                cb.transformMethod(m, java.lang.classfile.MethodTransform.transformingCode((code, e) -> {
                    if (e instanceof ReturnInstruction) {
                        beforeReturn.accept(code, m);
                    }
                    code.with(e);
                }));
            } else {
                cb.with(element);
            }
        };
        return cf.transformClass(model, transform);
    }

    /**
     * Before {@code areturn} in {@code map(mode, position, size[, arena])}: with the mapping on the stack, calls
     * {@code hook.apply("map", new Object[] {this.path, position, size, mapping})} if the hook is installed.
     */
    private static void reportMapping(CodeBuilder code, MethodModel method) {
        int mapping = code.allocateLocal(java.lang.classfile.TypeKind.REFERENCE);
        code.dup();
        code.astore(mapping);
        loadHook(code);
        code.ifThenElse(Opcode.IFNE, then -> {
            then.checkcast(BI_FUNCTION);
            then.ldc("map");
            then.iconst_4();
            then.anewarray(ConstantDescs.CD_Object);
            then.dup().iconst_0().aload(0)
                    .getfield(ClassDesc.ofInternalName(FILE_CHANNEL), "path", ConstantDescs.CD_String).aastore();
            then.dup().iconst_1().lload(2).invokestatic(LONG, "valueOf",
                    MethodTypeDesc.of(LONG, ConstantDescs.CD_long)).aastore();
            then.dup().iconst_2().lload(4).invokestatic(LONG, "valueOf",
                    MethodTypeDesc.of(LONG, ConstantDescs.CD_long)).aastore();
            then.dup().iconst_3().aload(mapping).aastore();
            then.invokeinterface(BI_FUNCTION, "apply", MethodTypeDesc.of(ConstantDescs.CD_Object,
                    ConstantDescs.CD_Object, ConstantDescs.CD_Object));
            then.pop();
        }, otherwise -> otherwise.pop());
    }

    /**
     * Before {@code return} in {@code force(fd, address, isSync, index, length)}: calls
     * {@code hook.apply("force", new Object[] {address})} and throws its result if that is an exception.
     */
    private static void reportForce(CodeBuilder code, MethodModel method) {
        loadHook(code);
        code.ifThenElse(Opcode.IFNE, then -> {
            then.checkcast(BI_FUNCTION);
            then.ldc("force");
            then.iconst_1();
            then.anewarray(ConstantDescs.CD_Object);
            then.dup().iconst_0().lload(1).invokestatic(LONG, "valueOf",
                    MethodTypeDesc.of(LONG, ConstantDescs.CD_long)).aastore();
            then.invokeinterface(BI_FUNCTION, "apply", MethodTypeDesc.of(ConstantDescs.CD_Object,
                    ConstantDescs.CD_Object, ConstantDescs.CD_Object));
            then.dup();
            then.instanceOf(RUNTIME_EXCEPTION);
            then.ifThenElse(Opcode.IFNE, fail -> fail.checkcast(RUNTIME_EXCEPTION).athrow(), ok -> ok.pop());
        }, otherwise -> otherwise.pop());
    }

    /** Pushes the hook (or whatever is stored under its key) and whether it is a BiFunction. */
    private static void loadHook(CodeBuilder code) {
        code.invokestatic(SYSTEM, "getProperties", MethodTypeDesc.of(PROPERTIES));
        code.ldc(HOOK);
        code.invokevirtual(PROPERTIES, "get", MethodTypeDesc.of(ConstantDescs.CD_Object, ConstantDescs.CD_Object));
        code.dup();
        code.instanceOf(BI_FUNCTION);
    }

    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
