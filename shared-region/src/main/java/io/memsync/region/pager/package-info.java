/**
 * The pager process, and what the application shares with it. {@link io.memsync.region.pager.PagerMain} is the
 * process (a small JVM outside the application's safepoints), {@code Pager} its fault loop, fetchers and pullers,
 * {@code FetchScheduler} the per-chunk state and work order; {@link io.memsync.region.pager.PagerArguments} is its
 * command line, written and read in one place; {@link io.memsync.region.pager.PagerProcess} is the application's
 * handle on one pager and owns, with {@code PagerMain}, the line protocol between them;
 * {@link io.memsync.region.pager.PagerStatus} is the memory both sides share (counters, the present
 * bitmap); {@link io.memsync.region.pager.PagerFaultsEvent} samples it for JFR.
 * <p>
 * May use: {@code io.memsync.region}, {@code linux} and {@code store} (the pager opens its source from a spec).
 * Must not use {@code io.memsync.region.page}: the application side depends on this package, not the reverse.
 */
package io.memsync.region.pager;
