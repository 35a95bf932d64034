/**
 * The javaagent: {@code premain}/{@code agentmain}, configuration ({@code memsync.*} keys from agent arguments, a
 * properties file and {@code -D}, validated before the application starts), the node it runs for the application,
 * instrumentation of classes with {@code @SharedRegion} fields (the JDK's ClassFile API), and regions backed by
 * files the application maps. Owns: bringing memsync to unmodified applications. Uses: cluster, jmx.
 */
package io.memsync.agent;
