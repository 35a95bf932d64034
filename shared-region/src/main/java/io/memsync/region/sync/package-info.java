/** The push side: a {@link io.memsync.region.sync.Syncer} moves a tracker's dirty chunks to a sink. */
package io.memsync.region.sync;
