package io.memsync.jmx.dashboard;

import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Headless Chromium for the browser tests, from Debian's {@code chromium} and {@code chromium-driver} packages:
 * installed with apt-get when missing (the tests run as root), never downloaded by Selenium itself (this machine
 * reaches no browser download site).
 */
final class Chromium {
    static final Path BROWSER = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(10);

    private Chromium() {
    }

    /** Installs the packages if the browser or its driver is missing; fails the test, naming why, if it cannot. */
    static synchronized void ensureInstalled() throws IOException, InterruptedException {
        if (installed()) {
            return;
        }
        long deadline = System.nanoTime() + INSTALL_TIMEOUT.toNanos();
        Path log = Files.createTempFile("memsync-apt-", ".log");
        List<String> install = List.of("apt-get", "install", "-y", "chromium",
                "chromium-driver");
        int status = run(install, log, deadline);
        if (status != 0 || !installed()) {
            // Most often: no package lists yet (a fresh machine), so apt-get does not know the packages.
            run(List.of("apt-get", "update"), log, deadline);
            status = run(install, log, deadline);
        }
        if (status != 0 || !installed()) {
            fail("the browser test needs " + BROWSER + " and " + DRIVER + " (Debian packages chromium and"
                    + " chromium-driver) and could not install them with '" + String.join(" ", install) + "' (exit "
                    + status + "); install them by hand (as root: apt-get update && apt-get install -y chromium"
                    + " chromium-driver). apt-get said:\n" + tail(log));
        }
    }

    private static boolean installed() {
        return Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER);
    }

    /** Runs {@code command}, its output appended to {@code log}; -1 if it did not end before {@code deadline}. */
    private static int run(List<String> command, Path log, long deadline) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            Files.writeString(log, "cannot run " + command + ": " + e.getMessage() + "\n",
                    java.nio.file.StandardOpenOption.APPEND);
            return -1;
        }
        if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            Files.writeString(log, command + " did not finish within " + INSTALL_TIMEOUT.toMinutes()
                    + " minutes in all; killed\n", java.nio.file.StandardOpenOption.APPEND);
            return -1;
        }
        return p.exitValue();
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    /** A headless Chromium of {@code width} x {@code height} CSS pixels, driven through Debian's chromedriver. */
    static ChromeDriver start(int width, int height) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BROWSER.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=" + width + "," + height,
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync");
        // The page's console, so the test can tell a script error or a refused resource.
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().withTimeout(Duration.ofSeconds(60)).build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30)).scriptTimeout(Duration.ofSeconds(30));
        return driver;
    }
}
