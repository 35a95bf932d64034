package io.memsync.region;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The module's packages depend on each other one way only, as their package-info says: read from the sources, so
 * that a cycle (the region once imported its trackers, which import the region) fails the build.
 */
class PackageDependenciesTest {
    private static final String ROOT = "io.memsync.region";
    /** Package (below io.memsync.region; "" is the root) to the packages of this module it must not import. */
    private static final Map<String, List<String>> FORBIDDEN = Map.of(
            "", List.of("track", "sync", "store", "page", "pager", "chronicle"),
            "linux", List.of("", "track", "sync", "store", "page", "pager", "chronicle"),
            "track", List.of("sync", "store", "page", "pager", "chronicle"),
            "sync", List.of("store", "page", "pager", "chronicle"),
            "store", List.of("sync", "page", "pager", "chronicle"));
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?(io\\.memsync\\.[\\w.]+)\\.[\\w*]+;",
            Pattern.MULTILINE);

    @Test
    void lowerPackagesNeverImportHigherOnesAndNothingHereImportsOtherModules() throws IOException {
        Path sources = Path.of("src/main/java/io/memsync/region");
        assertTrue(Files.isDirectory(sources), "run from the module's directory: " + sources.toAbsolutePath());
        List<String> violations = new ArrayList<>();
        int files = 0;
        try (Stream<Path> all = Files.walk(sources)) {
            for (Path file : all.filter(f -> f.toString().endsWith(".java")).toList()) {
                files++;
                String rel = sources.relativize(file.getParent()).toString().replace('/', '.');
                String text = Files.readString(file);
                Matcher m = IMPORT.matcher(text);
                while (m.find()) {
                    String imported = m.group(1);
                    if (!imported.startsWith(ROOT)) {
                        violations.add(file + " imports " + imported + " (another module)");
                        continue;
                    }
                    String target = imported.equals(ROOT) ? "" : imported.substring(ROOT.length() + 1);
                    if (FORBIDDEN.getOrDefault(rel, List.of()).contains(target)) {
                        violations.add(file + " imports " + imported);
                    }
                }
            }
        }
        assertTrue(files > 40, "read " + files + " files");
        assertEquals(List.of(), violations);
    }
}
