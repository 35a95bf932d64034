package io.memsync.jmx;

import javax.management.MBeanOperationInfo;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What an MBean interface, attribute (on its getter) or operation means, as JMX clients (JConsole, VisualVM) show
 * it; {@link DescribedMBean} refuses an interface where one is missing.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@interface Description {
    String value();

    /** For operations: {@link MBeanOperationInfo#INFO}, {@code ACTION} or {@code ACTION_INFO}. */
    int impact() default MBeanOperationInfo.UNKNOWN;
}
