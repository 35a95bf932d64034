package io.memsync.agent;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The public API, package {@code io.memsync}, exposes no cluster type: an application sees memsync through it only. */
class ApiSurfaceTest {

    @Test
    void noPublicSignatureOfTheApiNamesAClusterType() throws Exception {
        List<String> leaks = new ArrayList<>();
        for (Class<?> api : List.of(io.memsync.MemSync.class, io.memsync.Writers.class, io.memsync.SharedRegion.class)) {
            for (Method m : api.getDeclaredMethods()) {
                if (!Modifier.isPublic(m.getModifiers())) {
                    continue;
                }
                List<Class<?>> types = new ArrayList<>(List.of(m.getParameterTypes()));
                types.add(m.getReturnType());
                types.addAll(List.of(m.getExceptionTypes()));
                for (Class<?> t : types) {
                    if (t.getName().startsWith("io.memsync.cluster")) {
                        leaks.add(api.getSimpleName() + "." + m.getName() + " uses " + t.getName());
                    }
                }
            }
        }
        assertEquals(List.of(), leaks);
    }

    @Test
    void theApiSourcesImportNoClusterPackage() throws IOException {
        Path api = Path.of("src/main/java/io/memsync");
        assertTrue(Files.isDirectory(api), "run from the module's directory: " + api.toAbsolutePath());
        List<String> leaks = new ArrayList<>();
        try (Stream<Path> files = Files.list(api)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                for (String line : Files.readAllLines(f)) {
                    if (line.startsWith("import io.memsync.cluster")) {
                        leaks.add(f.getFileName() + ": " + line);
                    }
                }
            }
        }
        assertEquals(List.of(), leaks);
    }
}
