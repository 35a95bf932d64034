/**
 * JMX for memsync nodes: the {@code io.memsync:type=Node} and {@code io.memsync:type=Region,name=...} MBeans
 * (attributes, operations and their descriptions), notifications (ownership, migration phases, replica lag, peers),
 * JFR sampling of pagers, and the remote connector (loopback unless configured, TLS optional). Owns: the operator
 * surface over JMX. Uses: the cluster module's public API. Never imports the agent.
 */
package io.memsync.jmx;
