package io.memsync.jmx.dashboard;

import io.memsync.cluster.ClusterRegion;
import io.memsync.cluster.Node;
import io.memsync.cluster.testkit.TestNodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard in a real browser (headless Chromium through Selenium): on the destination's page a migrating region's
 * chunk map fills up while the migration runs, until every chunk is present; the Flush button ends an epoch and says
 * so. Saves a screenshot taken mid-migration to {@code target/dashboard.png}; with
 * {@code -Dmemsync.docs.screenshot=true} to {@code docs/dashboard.png}, the README's picture, instead.
 */
@Timeout(900)
class DashboardBrowserTest {
    private static final String REGION = "big";
    /** Large enough that the pre-copy takes seconds on a 2-core machine, so the page can be watched filling up. */
    private static final long SIZE = 1L << 30;
    private static final int CHUNK = 64 * 1024;
    private static final long CHUNKS = SIZE / CHUNK;
    private static final Path SCREENSHOT = (Boolean.getBoolean("memsync.docs.screenshot")
            ? Path.of("..", "docs", "dashboard.png") : Path.of("target", "dashboard.png")).toAbsolutePath().normalize();
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void destinationPageFillsUpDuringAMigrationThenFlushes() throws Exception {
        long start = System.nanoTime();
        Chromium.ensureInstalled();
        log("browser and driver ready after %.1f s", seconds(start));
        List<Node> nodes = TestNodes.start("dashboard-browser", "a", "b");
        Node a = nodes.get(0);
        Node b = nodes.get(1);
        ChromeDriver driver = null;
        try (Dashboard da = Dashboard.start(a, "127.0.0.1", 0);
             Dashboard db = Dashboard.start(b, "127.0.0.1", 0)) {
            a.writerControl(REGION, TestNodes.NO_WRITERS);
            ClusterRegion owned = a.createRegion(REGION, SIZE, CHUNK, 0);
            fill(owned.segment());
            owned.flush();

            long browserStart = System.nanoTime();
            driver = Chromium.start(1280, 1150);
            log("Chromium %s started in %.1f s", driver.getCapabilities().getBrowserVersion(),
                    seconds(browserStart));
            WebDriverWait wait = new WebDriverWait(driver, WAIT, Duration.ofMillis(50));
            driver.get("http://127.0.0.1:" + db.address().getPort() + "/");
            wait.until(d -> text(d, "node-name").equals("b") && text(d, "region-" + REGION + "-role").equals("none"));
            assertEquals("a", text(driver, "region-" + REGION + "-owner"));
            String members = text(driver, "members");
            assertTrue(members.contains("a 127.0.0.1:") && members.contains("b 127.0.0.1:")
                    && members.contains("(this node)"), members);

            // Pull the region here from the destination's own page.
            wait.until(d -> d.findElement(By.id("migrate-" + REGION)).isEnabled());
            new Select(driver.findElement(By.id("migrate-target-" + REGION))).selectByValue("b");
            long migrationStart = System.nanoTime();
            driver.findElement(By.id("migrate-" + REGION)).click();
            wait.until(d -> text(d, "status-line").startsWith("migration of region " + REGION + " from a to b"
                    + " started"));
            assertEquals("ok", driver.findElement(By.id("status-line")).getDomAttribute("class"));

            // Watch the chunk map fill up, and capture it half way.
            List<Long> readings = new ArrayList<>();
            double shotAt = -1;
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (true) {
                long present = number(driver, "region-" + REGION + "-present");
                double availability = percent(text(driver, "region-" + REGION + "-availability"));
                if (present >= 0 && (readings.isEmpty() || present != readings.getLast())) {
                    readings.add(present);
                }
                if (shotAt < 0 && availability >= 20 && availability <= 90) {
                    Files.createDirectories(SCREENSHOT.getParent());
                    Files.write(SCREENSHOT, driver.getScreenshotAs(OutputType.BYTES));
                    shotAt = availability;
                    log("screenshot at %.1f %% present: %s", availability, SCREENSHOT);
                }
                if (present == CHUNKS) {
                    break;
                }
                assertTrue(System.nanoTime() < deadline, "the page never showed all " + CHUNKS + " chunks present"
                        + " within 3 minutes; it showed " + readings);
                Thread.sleep(100);
            }
            log("all %d chunks present on the page %.1f s after the click; the present count read: %s", CHUNKS,
                    seconds(migrationStart), readings);
            for (int i = 1; i < readings.size(); i++) {
                assertTrue(readings.get(i) > readings.get(i - 1), "the present count went down: " + readings);
            }
            assertTrue(readings.stream().filter(n -> n > 0 && n < CHUNKS).count() >= 2,
                    "the page showed fewer than two partial counts while the region was paged in: " + readings);
            assertTrue(shotAt >= 0, "the page never showed the destination between 20 and 90 % available: "
                    + readings);

            // The handover makes b the owner; its Flush button then ends an epoch.
            wait.withTimeout(Duration.ofSeconds(90)).until(d -> text(d, "region-" + REGION + "-role").equals("OWNER")
                    && d.findElement(By.id("flush-" + REGION)).isEnabled());
            assertEquals("b", text(driver, "region-" + REGION + "-owner"));
            long epoch = number(driver, "region-" + REGION + "-epoch");
            driver.findElement(By.id("flush-" + REGION)).click();
            wait.until(d -> text(d, "status-line").startsWith("flushed region " + REGION + ": epoch "));
            assertEquals("ok", driver.findElement(By.id("status-line")).getDomAttribute("class"));
            wait.until(d -> number(d, "region-" + REGION + "-epoch") > epoch);
            log("flush from the page: epoch %d -> %d; %s", epoch, number(driver, "region-" + REGION + "-epoch"),
                    text(driver, "status-line"));

            List<String> errors = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                    .filter(e -> e.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue())
                    .map(LogEntry::getMessage).toList();
            assertTrue(errors.isEmpty(), "the page logged errors: " + errors);
        } finally {
            if (driver != null) {
                driver.quit();
            }
            TestNodes.close(nodes);
            log("browser test took %.1f s in all", seconds(start));
        }
    }

    /** A distinct long at the start of every chunk: the copy carries data, not zeros. */
    /**
     * Bytes that do not compress: a stream sends LZ4 blocks while that pays, and a region of nearly empty chunks would
     * page in too fast for the page to show it filling up.
     */
    private static void fill(MemorySegment memory) {
        long x = 0x9E3779B97F4A7C15L;
        for (long o = 0; o < memory.byteSize(); o += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            memory.set(JAVA_LONG, o, x);
        }
    }

    private static String text(WebDriver driver, String id) {
        try {
            return driver.findElement(By.id(id)).getText().trim();
        } catch (NoSuchElementException | StaleElementReferenceException e) {
            return "";
        }
    }

    /** The integer an element shows, or -1 while it is not there. */
    private static long number(WebDriver driver, String id) {
        String t = text(driver, id);
        return t.matches("\\d+") ? Long.parseLong(t) : -1;
    }

    /** "42.5 %" as 42.5; NaN for anything else. */
    private static double percent(String text) {
        return text.matches("[0-9.]+ %") ? Double.parseDouble(text.substring(0, text.length() - 2)) : Double.NaN;
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static void log(String format, Object... args) {
        System.out.println("[dashboard browser test] " + String.format(Locale.ROOT, format, args));
    }
}
