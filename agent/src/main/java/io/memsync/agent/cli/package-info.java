/**
 * The command line in {@code memsync.jar}: {@code attach}, {@code status}, {@code migrate}, {@code verify},
 * {@code help}, talking to a JVM that runs memsync through JMX (local by pid, or remote). Owns: the operator's
 * shell. Uses: JMX only, never a node's classes in its own JVM.
 */
package io.memsync.agent.cli;
