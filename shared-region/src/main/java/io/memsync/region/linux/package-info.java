/**
 * Linux bindings through Panama FFM: every native call memsync makes lives in this package, named after the
 * C function it wraps, with the struct layouts declared beside it. Each call captures errno and fails with a
 * {@link io.memsync.region.linux.LinuxException} naming the call, the errno and what to do. Nothing else in
 * memsync touches {@code java.lang.foreign} linkage.
 */
package io.memsync.region.linux;
