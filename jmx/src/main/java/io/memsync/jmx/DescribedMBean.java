package io.memsync.jmx;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanConstructorInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.NotificationEmitter;
import javax.management.StandardEmitterMBean;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.HashMap;
import java.util.Map;

/**
 * A standard MBean whose descriptions, parameter names and operation impacts come from {@link Description} and
 * {@link Param} on its interface, so that JMX clients show what each attribute, operation and parameter means.
 * Construction fails on an interface that leaves one undescribed: the gap shows in the first test, not in the
 * field.
 */
class DescribedMBean<T> extends StandardEmitterMBean {
    private final Class<T> type;
    private final Map<String, Method> operations = new HashMap<>();
    private final Map<String, Method> getters = new HashMap<>();

    DescribedMBean(T implementation, Class<T> type, NotificationEmitter emitter) {
        super(implementation, type, emitter);
        this.type = type;
        for (Method m : type.getMethods()) {
            String attribute = attributeOf(m);
            if (attribute != null) {
                getters.put(attribute, m);
            } else if (!isSetter(m)) {
                operations.put(signature(m.getName(), m.getParameterTypes()), m);
                for (Parameter p : m.getParameters()) {
                    if (p.getAnnotation(Param.class) == null) {
                        throw new IllegalStateException("parameter " + p.getName() + " of " + type.getSimpleName()
                                + "." + m.getName() + " has no @Param: name and describe it");
                    }
                }
            }
            if (!isSetter(m) && m.getAnnotation(Description.class) == null) {
                throw new IllegalStateException(type.getSimpleName() + "." + m.getName()
                        + " has no @Description: describe it for JMX clients");
            }
        }
        if (type.getAnnotation(Description.class) == null) {
            throw new IllegalStateException(type.getSimpleName() + " has no @Description: describe the MBean");
        }
    }

    private static String attributeOf(Method m) {
        if (m.getParameterCount() != 0 || m.getReturnType() == void.class) {
            return null;
        }
        String n = m.getName();
        if (n.startsWith("get") && n.length() > 3) {
            return n.substring(3);
        }
        if (n.startsWith("is") && n.length() > 2 && m.getReturnType() == boolean.class) {
            return n.substring(2);
        }
        return null;
    }

    private static boolean isSetter(Method m) {
        return m.getName().startsWith("set") && m.getParameterCount() == 1 && m.getReturnType() == void.class;
    }

    private static String signature(String name, Class<?>[] types) {
        StringBuilder sb = new StringBuilder(name).append('(');
        for (Class<?> t : types) {
            sb.append(t.getName()).append(',');
        }
        return sb.append(')').toString();
    }

    private Method operation(MBeanOperationInfo info) {
        StringBuilder sb = new StringBuilder(info.getName()).append('(');
        for (MBeanParameterInfo p : info.getSignature()) {
            sb.append(p.getType()).append(',');
        }
        Method m = operations.get(sb.append(')').toString());
        if (m == null) {
            throw new IllegalStateException("no method of " + type.getSimpleName() + " for operation "
                    + info.getName());
        }
        return m;
    }

    @Override
    protected String getDescription(MBeanInfo info) {
        return type.getAnnotation(Description.class).value();
    }

    @Override
    protected String getDescription(MBeanAttributeInfo info) {
        Method getter = getters.get(info.getName());
        Description d = getter == null ? null : getter.getAnnotation(Description.class);
        return d == null ? super.getDescription(info) : d.value();
    }

    @Override
    protected String getDescription(MBeanOperationInfo info) {
        return operation(info).getAnnotation(Description.class).value();
    }

    @Override
    protected int getImpact(MBeanOperationInfo info) {
        return operation(info).getAnnotation(Description.class).impact();
    }

    @Override
    protected String getParameterName(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
        return operation(op).getParameters()[sequence].getAnnotation(Param.class).name();
    }

    @Override
    protected String getDescription(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
        return operation(op).getParameters()[sequence].getAnnotation(Param.class).value();
    }

    // The implementation's constructors mean nothing to a client: memsync creates these MBeans itself.
    @Override
    protected MBeanConstructorInfo[] getConstructors(MBeanConstructorInfo[] constructors, Object implementation) {
        return new MBeanConstructorInfo[0];
    }
}
