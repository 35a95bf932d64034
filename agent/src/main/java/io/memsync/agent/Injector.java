package io.memsync.agent;

import io.memsync.SharedRegion;

import java.lang.foreign.MemorySegment;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;

/**
 * Sets the static fields marked {@link SharedRegion}: called from the type initializer of classes loaded after the
 * agent started (the instrumentation adds the call), and once for the classes already loaded when it is attached.
 */
public final class Injector {
    private static final System.Logger LOG = System.getLogger(Injector.class.getName());

    private Injector() {
    }

    /** Sets {@code type}'s {@link SharedRegion} fields; a field memsync cannot set fails the class's initialization. */
    public static void inject(Class<?> type) {
        for (Field f : type.getDeclaredFields()) {
            SharedRegion annotation = f.getAnnotation(SharedRegion.class);
            if (annotation == null) {
                continue;
            }
            String where = type.getName() + "." + f.getName();
            if (!Modifier.isStatic(f.getModifiers()) || Modifier.isFinal(f.getModifiers())) {
                throw new IllegalStateException("@SharedRegion field " + where + " must be static and not final");
            }
            if (f.getType() != MemorySegment.class) {
                throw new IllegalStateException("@SharedRegion field " + where + " is a " + f.getType().getName()
                        + ": declare it as java.lang.foreign.MemorySegment");
            }
            MemorySegment segment = AgentRuntime.require().segment(annotation.value());
            try {
                f.setAccessible(true);
                f.set(null, segment);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("cannot set @SharedRegion field " + where + ": " + e, e);
            }
            LOG.log(System.Logger.Level.INFO, "memsync: injected region " + annotation.value() + " into " + where);
        }
    }

    /** For an agent attached late: injects the classes loaded so far that have {@link SharedRegion} fields. */
    static void injectLoaded(Instrumentation inst) {
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (c.getClassLoader() == null || c.isArray() || c.isPrimitive() || c.isHidden()) {
                continue;
            }
            boolean marked = false;
            try {
                for (Field f : c.getDeclaredFields()) {
                    marked |= f.isAnnotationPresent(SharedRegion.class);
                }
            } catch (Throwable linkageTrouble) {
                continue;
            }
            if (marked) {
                try {
                    inject(c);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "memsync: " + e.getMessage(), e);
                }
            }
        }
    }
}
