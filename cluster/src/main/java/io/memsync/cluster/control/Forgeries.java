package io.memsync.cluster.control;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts control-plane values a node refused (forged, altered, replayed, foreign) and logs each on one line; past
 * {@link #LINES_PER_SECOND} lines in a second the rest of that second are counted and summed up in the next line, so
 * that a flood of forgeries cannot flood the log.
 */
public final class Forgeries {
    private static final System.Logger LOG = System.getLogger(Forgeries.class.getName());
    public static final int LINES_PER_SECOND = 10;

    private final String node;
    private final AtomicLong refused = new AtomicLong();
    private long second;
    private int lines;
    private long unlogged;

    /** @param node the node's name, for the log */
    public Forgeries(String node) {
        this.node = node;
    }

    /** Counts and logs one refusal: {@code what} was refused because {@code why}. */
    public void refused(String what, String why) {
        refused.incrementAndGet();
        String line;
        synchronized (this) {
            long now = System.nanoTime() / 1_000_000_000L;
            if (now != second) {
                second = now;
                lines = 0;
            }
            if (lines >= LINES_PER_SECOND) {
                unlogged++;
                return;
            }
            lines++;
            line = "node " + node + ": refused " + what + ": " + why
                    + (unlogged > 0 ? " (and " + unlogged + " more refusals not logged)" : "");
            unlogged = 0;
        }
        LOG.log(System.Logger.Level.WARNING, line);
    }

    /** Control-plane values refused since the node started. */
    public long count() {
        return refused.get();
    }
}
