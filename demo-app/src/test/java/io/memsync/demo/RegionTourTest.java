package io.memsync.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegionTourTest {

    @Test
    void tourRunsEndToEndAndEveryCheckItPrintsHolds(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            RegionTour.run(16, 2.0, dir);
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        original.println(out);
        assertTrue(out.contains("tracker 'auto' means: wp or hash"), "this machine offers wp tracking:\n" + out);
        assertTrue(out.matches("(?s).*\\n  wp .* yes\\n.*"), out);
        assertTrue(out.matches("(?s).*\\n  hash .* yes\\n.*"), out);
        assertTrue(out.matches("(?s).*\\n  explicit .* yes\\n.*"), out);
        assertFalse(out.contains("DIFFERENT") || out.contains(" NO"), out);
        assertTrue(out.contains("loaded from the store: CRC32C"), out);
        assertTrue(out.contains("the lazy region equals the original: identical"), out);
        assertTrue(out.contains("100.0% present"), "availability climbed to 100 %:\n" + out);
        assertFalse(out.contains("WRONG BYTES"), out);
        assertTrue(Files.size(dir.resolve("tour.img")) == 16L << 20, "the kept file image has the region's size");
    }

    @Test
    void badOptionsAreExplained() {
        String m = assertThrows(IllegalArgumentException.class, () -> RegionTour.main(new String[] {"--size-mib", "x"}))
                .getMessage();
        assertTrue(m.contains("--size-mib wants a positive whole number"), m);
        m = assertThrows(IllegalArgumentException.class, () -> RegionTour.main(new String[] {"--frobnicate"}))
                .getMessage();
        assertTrue(m.contains("unknown option --frobnicate"), m);
        m = assertThrows(IllegalArgumentException.class, () -> RegionTour.main(new String[] {"--dirty-percent", "0"}))
                .getMessage();
        assertTrue(m.contains("(0, 100]"), m);
    }
}
