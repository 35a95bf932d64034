package io.memsync.agent;

import io.memsync.SharedRegion;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The injection transformation, on classes loaded by a loader of the test's own (no agent in this JVM). */
class InstrumenterTest {
    static class Marked {
        @SharedRegion("cache")
        static MemorySegment cache;
        static int initialized = 1;
    }

    static class MarkedWithoutInitializer {
        @SharedRegion("cache")
        static MemorySegment cache;
    }

    static class MentionsOnly {
        static String name(SharedRegion annotation) {
            SharedRegion local = annotation;
            return local.value();
        }
    }

    @Test
    void onlyClassesWithAMarkedFieldChangeAndTheirInitializerCallsTheInjectorFirst() throws Exception {
        assertNull(Instrumenter.addInjection(bytes(MentionsOnly.class)), "a mention is not a marked field");
        for (Class<?> marked : new Class<?>[] {Marked.class, MarkedWithoutInitializer.class}) {
            byte[] changed = Instrumenter.addInjection(bytes(marked));
            assertNotNull(changed, marked.getName());
            Class<?> loaded = new Isolated(marked.getName(), changed).loadClass(marked.getName());
            // Initializing it runs the injector, which finds no agent in this JVM: that is the proof it runs.
            ExceptionInInitializerError e = assertThrows(ExceptionInInitializerError.class,
                    () -> Class.forName(marked.getName(), true, loaded.getClassLoader()));
            assertTrue(e.getCause().getMessage().contains("memsync is not running"), e.getCause().getMessage());
        }
    }

    @Test
    void theMarkerSearchFindsTheDescriptor() {
        byte[] hay = "xxLio/memsync/SharedRegion;yy".getBytes();
        assertTrue(Instrumenter.contains(hay, "Lio/memsync/SharedRegion;".getBytes()));
        assertEquals(false, Instrumenter.contains("Lio/memsync/SharedRegio".getBytes(),
                "Lio/memsync/SharedRegion;".getBytes()));
    }

    private static byte[] bytes(Class<?> c) throws IOException {
        try (InputStream in = c.getResourceAsStream("/" + c.getName().replace('.', '/') + ".class")) {
            return in.readAllBytes();
        }
    }

    /** Defines one class from the given bytes; everything else comes from the test's loader. */
    private static final class Isolated extends ClassLoader {
        private final String name;
        private final byte[] bytes;

        Isolated(String name, byte[] bytes) {
            super(InstrumenterTest.class.getClassLoader());
            this.name = name;
            this.bytes = bytes;
        }

        @Override
        protected Class<?> loadClass(String n, boolean resolve) throws ClassNotFoundException {
            if (n.equals(name)) {
                synchronized (getClassLoadingLock(n)) {
                    Class<?> c = findLoadedClass(n);
                    return c != null ? c : defineClass(n, bytes, 0, bytes.length);
                }
            }
            return super.loadClass(n, resolve);
        }
    }
}
