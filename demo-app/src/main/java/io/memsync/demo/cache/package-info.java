/**
 * The clustered off-heap cache {@code ./demo} runs on three JVMs: an ordinary application (a key-value table in
 * a region, an HTTP API) run under {@code -javaagent:memsync.jar}, and the launcher that starts the nodes, walks
 * through every job and prints what each measured. Uses memsync through its public API and the agent only.
 */
package io.memsync.demo.cache;
