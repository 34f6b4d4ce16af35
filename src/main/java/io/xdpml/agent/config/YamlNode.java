package io.xdpml.agent.config;

import java.math.BigInteger;
import java.util.List;

/**
 * A YAML value with the line it starts on (1-based). Jackson's own tree drops locations; this one
 * keeps them so that every problem can name its line.
 */
sealed interface YamlNode {
    int line();

    /** What kind of value this is, for messages: "a mapping", "a list", "a string ('abc')". */
    String description();

    /** A mapping's key, the line the key is on, and its value. */
    record Entry(String key, int line, YamlNode value) {}

    /** A mapping; keys are unique (the reader reports and drops repeated ones). */
    record Mapping(int line, List<Entry> entries) implements YamlNode {
        public Mapping {
            entries = List.copyOf(entries);
        }

        Entry entry(String key) {
            for (Entry e : entries) {
                if (e.key().equals(key)) {
                    return e;
                }
            }
            return null;
        }

        @Override
        public String description() {
            return "a mapping";
        }
    }

    record Sequence(int line, List<YamlNode> items) implements YamlNode {
        public Sequence {
            items = List.copyOf(items);
        }

        @Override
        public String description() {
            return "a list";
        }
    }

    /**
     * A scalar as YAML typed it: {@code 30} is an integer, {@code 30s} a string, {@code yes} a boolean.
     *
     * @param integer      the value of an INTEGER (YAML allows 0x10, 1_000), else null
     * @param literalBlock a {@code |} block: its text's first line is the YAML line after {@code line}
     */
    record Scalar(int line, Type type, String text, BigInteger integer, boolean literalBlock) implements YamlNode {
        enum Type { STRING, INTEGER, DECIMAL, BOOLEAN, NULL }

        boolean isNull() {
            return type == Type.NULL;
        }

        @Override
        public String description() {
            String shown = text.length() > 40 ? text.substring(0, 37) + "..." : text;
            return switch (type) {
                case STRING -> "a string ('" + shown.replace("\n", "\\n") + "')";
                case INTEGER -> "an integer (" + shown + ")";
                case DECIMAL -> "a decimal number (" + shown + ")";
                case BOOLEAN -> "a boolean (" + shown + ")";
                case NULL -> "nothing";
            };
        }
    }
}
