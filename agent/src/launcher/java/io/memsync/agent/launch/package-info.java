/**
 * The jar's entry points ({@code java -jar memsync.jar}, {@code -javaagent:memsync.jar}, attach), compiled for Java 8
 * so that any Java from 8 on can run them and hear, in one line, that memsync needs Java 25 and where one is, instead
 * of an {@code UnsupportedClassVersionError}. On Java 25 they hand over to the command line and the agent.
 */
package io.memsync.agent.launch;
