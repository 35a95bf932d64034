/**
 * memsync's public API for applications: {@link io.memsync.MemSync} (regions by name, flush, ownership, mounts,
 * the writers' pause for migrations) and {@link io.memsync.SharedRegion} (fields set by the agent). Exposes no
 * cluster type: an application depends on this package and the JDK only.
 */
package io.memsync;
