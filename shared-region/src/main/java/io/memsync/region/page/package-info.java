/**
 * Lazy regions, the application's side of paging: {@link io.memsync.region.page.LazyRegion} maps a region that is
 * usable at once and filled on demand, configured by {@link io.memsync.region.page.PagerConfig}. It creates the
 * userfaultfd and the status memory, and starts and supervises the pager processes. No thread here ever serves a
 * fault.
 * <p>
 * May use: {@code io.memsync.region}, {@code linux}, {@code track} (write tracking on the pager's userfaultfd) and
 * {@code pager} (to start pagers and read their status). The dependency runs one way: {@code pager} does not use
 * this package.
 */
package io.memsync.region.page;
