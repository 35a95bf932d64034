/**
 * The dashboard a node serves over HTTP: one page with no asset from elsewhere, its JSON API ({@code /api/status},
 * {@code /api/chunks}) and the Flush and Migrate buttons. Owns: the web view. Uses: the node's public API and the
 * jmx package's status reports.
 */
package io.memsync.jmx.dashboard;
