/**
 * The single-JVM tour of regions, trackers, the syncer and the stores ({@code ./demo tour}). Uses memsync's
 * modules as a user would.
 */
package io.memsync.demo;
