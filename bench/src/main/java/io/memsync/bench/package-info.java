/**
 * Benchmarks: JMH micro-benchmarks (trackers, region reads, writers' cost) and multi-JVM scenario harnesses
 * (replication, cluster lag, migration pause, pager faults, agent start-up), each runnable from
 * {@code bench/target/benchmarks.jar} as docs/benchmarks.md gives it. Not shipped; may use the cluster test kit.
 */
package io.memsync.bench;
