package io.memsync.jmx.dashboard;

import java.util.Collection;
import java.util.Map;

/** Writes maps, lists, strings, numbers, booleans and nulls as JSON; enough for the dashboard's answers. */
final class Json {
    private Json() {
    }

    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value) {
        switch (value) {
            case null -> out.append("null");
            case String s -> string(out, s);
            case Boolean b -> out.append(b);
            case Double d -> out.append(d.isNaN() || d.isInfinite() ? "null" : d.toString());
            case Float f -> write(out, f.doubleValue());
            case Number n -> out.append(n.longValue());
            case Map<?, ?> map -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    string(out, String.valueOf(e.getKey()));
                    out.append(':');
                    write(out, e.getValue());
                }
                out.append('}');
            }
            case Collection<?> list -> {
                out.append('[');
                boolean first = true;
                for (Object o : list) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    write(out, o);
                }
                out.append(']');
            }
            default -> string(out, value.toString());
        }
    }

    /**
     * A JSON string. Besides what JSON requires, '<', '>', '&' and the JS line separators are escaped, so that the
     * text stays inert wherever a browser might end up reading it.
     */
    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
