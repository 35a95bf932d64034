package io.memsync;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a static, non-final {@link java.lang.foreign.MemorySegment} field that receives memsync region
 * {@link #value()} when its class is initialized (with {@code -javaagent:memsync.jar}, or when the agent is attached
 * later for classes already initialized). On the region's owner the segment is writable; elsewhere it is read-only.
 * The class's initialization waits for the node to join its cluster (at most {@code memsync.start.timeout.ms}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface SharedRegion {
    /** The region's name, as configured with {@code memsync.region.NAME.*}. */
    String value();
}
