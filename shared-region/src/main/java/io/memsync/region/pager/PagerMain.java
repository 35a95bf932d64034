package io.memsync.region.pager;

import io.memsync.region.ChunkLayout;
import io.memsync.region.ChunkSource;
import io.memsync.region.linux.LibC;
import io.memsync.region.linux.Pidfd;
import io.memsync.region.store.ChunkSources;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The pager process: reads its {@link PagerArguments}, takes the application's userfaultfd, memfd and status memfd
 * with pidfd_getfd, then serves faults ({@code --role=active}) or watches the active pager and takes over when it
 * dies ({@code --role=standby}).
 * It leaves the application's session (setsid) so that a signal to the application's process group does not take
 * the pager down while faults are outstanding, and exits when the application exits.
 * <p>
 * Commands, one per line on stdin: {@code invalidate FROM TO}, {@code close}, {@code ping}, {@code exit}; each is
 * answered by one line on stdout ({@code ok ...}, {@code pong} or {@code error ...}). After its setup the pager
 * prints {@code ready PID ROLE}, and a standby that takes over prints {@code active PID}.
 */
public final class PagerMain {
    // The line protocol with PagerProcess: commands in, answers out.
    static final String INVALIDATE = "invalidate";
    static final String CLOSE = "close";
    static final String PING = "ping";
    static final String EXIT = "exit";
    static final String OK = "ok";
    static final String PONG = "pong";
    static final String ERROR = "error";
    static final String READY = "ready";
    static final String ACTIVE = "active";

    private PagerMain() {
    }

    public static void main(String[] args) throws Exception {
        PagerArguments a = PagerArguments.fromArguments(List.of(args));
        LibC.setsid();
        ChunkLayout layout = a.layout();
        PagerArguments.Target target = a.target();
        boolean standby = a.role() == PagerArguments.Role.STANDBY;
        boolean takeover = standby || a.takeover();

        int appPidfd = Pidfd.pidfd_open((int) target.appPid());
        int uffd = Pidfd.pidfd_getfd(appPidfd, target.uffd());
        int memfd = Pidfd.pidfd_getfd(appPidfd, target.memfd());
        int statusFd = Pidfd.pidfd_getfd(appPidfd, target.statusFd());
        long statusBytes = PagerStatus.bytesFor(layout.chunkCount());
        long statusAddress = LibC.mmap(0, statusBytes, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, statusFd, 0);
        PagerStatus status = PagerStatus.attach(MemorySegment.ofAddress(statusAddress).reinterpret(statusBytes),
                layout.chunkCount());
        ChunkSource source = ChunkSources.open(a.settings().source(), layout);
        int self = LibC.getpid();

        Thread commands = Thread.ofPlatform().name("pager-commands").daemon(true).start(PagerMain::commandLoop);
        if (standby) {
            status.standbyPagerPid(self);
            say(READY + " " + self + " standby");
            if (!awaitActiveDeath(status, appPidfd)) {
                System.exit(0);
            }
            status.standbyPagerPid(0);
            status.activePagerPid(self);
            status.countTakeover();
        }
        Pager pager = new Pager(layout, a.settings(), uffd, memfd, target.base(), status, source, appPidfd);
        pager.start(takeover);
        serving = pager;
        if (standby) {
            say(ACTIVE + " " + self);
        } else {
            status.activePagerPid(self);
            say(READY + " " + self + " active");
        }
        String why = pager.serveFaults();
        pager.stop();
        status.state(PagerStatus.STOPPED);
        if (!"stopped".equals(why)) {
            System.err.println("memsync pager " + self + ": " + why + "; exiting");
        }
        commands.interrupt();
        System.exit(0);
    }

    /** Blocks until the active pager dies (true) or the application exits (false). */
    private static boolean awaitActiveDeath(PagerStatus status, int appPidfd) throws InterruptedException {
        long activePid;
        while ((activePid = status.activePagerPid()) == 0) {
            Thread.sleep(5);
        }
        int activePidfd;
        try {
            activePidfd = Pidfd.pidfd_open((int) activePid);
        } catch (RuntimeException gone) {
            return true;
        }
        try (Arena arena = Arena.ofConfined()) {
            int[] fds = {activePidfd, appPidfd};
            MemorySegment pollfds = arena.allocate(LibC.POLLFD, fds.length);
            for (int i = 0; i < fds.length; i++) {
                LibC.POLLFD_FD.set(pollfds, 0L, (long) i, fds[i]);
                LibC.POLLFD_EVENTS.set(pollfds, 0L, (long) i, LibC.POLLIN);
            }
            while (true) {
                int ready = LibC.poll(pollfds, fds.length, -1);
                if (ready <= 0) {
                    continue;
                }
                if (((short) LibC.POLLFD_REVENTS.get(pollfds, 0L, 1L) & LibC.POLLIN) != 0) {
                    return false;
                }
                if (((short) LibC.POLLFD_REVENTS.get(pollfds, 0L, 0L) & LibC.POLLIN) != 0) {
                    return status.state() != PagerStatus.STOPPED;
                }
            }
        } finally {
            LibC.close(activePidfd);
        }
    }

    /** The pager once it serves; null while this process is a standby. */
    private static volatile Pager serving;

    private static void commandLoop() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] words = line.trim().split("\\s+");
                Pager pager = serving;
                try {
                    if (pager == null && !words[0].equals(PING)) {
                        if (words[0].equals(EXIT)) {
                            say(OK + " " + EXIT);
                            System.exit(0);
                        }
                        say(ERROR + " this pager is the standby: send '" + words[0] + "' to the active one");
                        continue;
                    }
                    switch (words[0]) {
                        case PING -> say(PONG);
                        case INVALIDATE -> {
                            pager.invalidate(Integer.parseInt(words[1]), Integer.parseInt(words[2]));
                            say(OK + " " + INVALIDATE);
                        }
                        case CLOSE -> {
                            pager.beginClose();
                            say(OK + " " + CLOSE);
                        }
                        case EXIT -> {
                            say(OK + " " + EXIT);
                            pager.stop();
                            return;
                        }
                        default -> say(ERROR + " unknown command '" + words[0] + "'");
                    }
                } catch (Exception e) {
                    say(ERROR + " " + e.getMessage());
                }
            }
        } catch (Exception e) {
            // stdin closed or broken: the application let go of this pager; faults are still served until it exits.
        }
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
