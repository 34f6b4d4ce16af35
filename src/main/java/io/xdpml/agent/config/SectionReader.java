package io.xdpml.agent.config;

import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Typed access to one mapping of the file (a section, or an interface entry), reporting each
 * problem at its key's line: a missing or wrong value is reported once and the getter returns the
 * default, so that loading goes on and finds the other problems too. Unknown keys are reported
 * when the reader is made, with the known ones named.
 */
final class SectionReader {
    private final String name;
    private final int line;
    private final YamlNode.Mapping map;
    private final Problems problems;
    private final boolean present;

    /**
     * @param name  the section's name in messages ("flows"; "" for the file's top level)
     * @param line  the line of the section's key (where problems about the section as a whole go)
     * @param node  the section's value; null when the section is absent; YAML null (an empty section) reads as empty
     * @param known the keys the section may have
     */
    SectionReader(String name, int line, YamlNode node, Problems problems, List<String> known) {
        this.name = name;
        this.line = line;
        this.problems = problems;
        this.present = node != null;
        if (node instanceof YamlNode.Mapping m) {
            this.map = m;
            for (YamlNode.Entry e : m.entries()) {
                if (!known.contains(e.key())) {
                    problems.at(e.line(), unknownKey(e.key(), known));
                }
            }
        } else {
            this.map = new YamlNode.Mapping(line, List.of());
            if (node != null && !(node instanceof YamlNode.Scalar s && s.isNull())) {
                problems.at(node.line(), (name.isEmpty() ? "the file" : "'" + name + "'") + " must be a mapping of "
                        + String.join(", ", known) + ", not " + node.description());
            }
        }
    }

    /** The sub-section {@code key} of this one (absent: {@link #present()} is false). */
    SectionReader section(String key, List<String> known) {
        YamlNode.Entry e = map.entry(key);
        return e == null ? new SectionReader(path(key), line, null, problems, known)
                : new SectionReader(path(key), e.line(), e.value(), problems, known);
    }

    /** Whether the section is in the file (an empty one, {@code flows:}, is). */
    boolean present() {
        return present;
    }

    String name() {
        return name;
    }

    /** The line of the section's own key. */
    int line() {
        return line;
    }

    Problems problems() {
        return problems;
    }

    boolean has(String key) {
        return map.entry(key) != null;
    }

    /** The line of {@code key}, or of the section when the key is absent. */
    int lineOf(String key) {
        YamlNode.Entry e = map.entry(key);
        return e == null ? line : e.line();
    }

    /** The value of {@code key}, or null when absent. */
    YamlNode value(String key) {
        YamlNode.Entry e = map.entry(key);
        return e == null ? null : e.value();
    }

    List<YamlNode.Entry> entries() {
        return map.entries();
    }

    /** "section.key", for messages. */
    String path(String key) {
        return name.isEmpty() ? key : name + "." + key;
    }

    void problem(String key, String reason) {
        problems.at(lineOf(key), path(key) + ": " + reason);
    }

    /** The scalar at {@code key}, or null (absent, or not a scalar: reported). YAML null is reported as a missing value. */
    YamlNode.Scalar scalar(String key) {
        YamlNode v = value(key);
        if (v == null) {
            return null;
        }
        if (v instanceof YamlNode.Scalar s && !s.isNull()) {
            return s;
        }
        problem(key, v instanceof YamlNode.Scalar ? "needs a value" : "expected a single value, not " + v.description());
        return null;
    }

    boolean bool(String key, boolean otherwise) {
        YamlNode.Scalar s = scalar(key);
        if (s == null) {
            return otherwise;
        }
        if (s.type() != YamlNode.Scalar.Type.BOOLEAN) {
            problem(key, "expected true or false, not " + s.description());
            return otherwise;
        }
        return Boolean.parseBoolean(s.text());
    }

    long integer(String key, long min, long max, long otherwise) {
        YamlNode.Scalar s = scalar(key);
        return s == null ? otherwise : integer(s, path(key), min, max, otherwise);
    }

    /** An integer scalar in min..max; otherwise reported (at the scalar's line) and {@code otherwise} returned. */
    long integer(YamlNode.Scalar s, String what, long min, long max, long otherwise) {
        if (s.type() != YamlNode.Scalar.Type.INTEGER) {
            problems.at(s.line(), what + ": expected an integer, not " + s.description());
            return otherwise;
        }
        BigInteger v = s.integer();
        if (v.compareTo(BigInteger.valueOf(min)) < 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
            problems.at(s.line(), what + ": " + v + " is out of range (" + range(min, max) + ")");
            return otherwise;
        }
        return v.longValueExact();
    }

    /** A number (integer or decimal) in min..max. */
    double number(String key, double min, double max, double otherwise) {
        YamlNode.Scalar s = scalar(key);
        if (s == null) {
            return otherwise;
        }
        if (s.type() != YamlNode.Scalar.Type.INTEGER && s.type() != YamlNode.Scalar.Type.DECIMAL) {
            problem(key, "expected a number, not " + s.description());
            return otherwise;
        }
        Double value = numberOf(s);
        if (value == null) {
            problem(key, "expected a number, not '" + s.text() + "'");
            return otherwise;
        }
        double v = value;
        if (!(v >= min && v <= max)) {
            problem(key, s.text() + " is out of range (" + trim(min) + " to " + trim(max) + ")");
            return otherwise;
        }
        return v;
    }

    /**
     * The value of an integer or decimal scalar; null for one Java cannot read as a finite number
     * (YAML's .nan and .inf, a hexadecimal fraction): a problem to report, never an exception.
     */
    static Double numberOf(YamlNode.Scalar s) {
        if (s.integer() != null) {
            return s.integer().doubleValue();
        }
        try {
            double d = Double.parseDouble(s.text().replace("_", ""));
            return Double.isFinite(d) ? d : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * A duration: 500ms, 30s, 5m, 2h, or a bare number of seconds.
     *
     * @param zeroAllowed whether 0 is allowed (it means "off" where it is)
     */
    Duration duration(String key, boolean zeroAllowed, Duration otherwise) {
        YamlNode.Scalar s = scalar(key);
        if (s == null) {
            return otherwise;
        }
        if (s.type() == YamlNode.Scalar.Type.BOOLEAN) {
            problem(key, "expected a duration (e.g. 500ms, 30s, 5m, 2h), not " + s.description());
            return otherwise;
        }
        String text = s.integer() != null ? s.integer().toString() : s.text();
        Duration d;
        try {
            d = Durations.parse(text);
        } catch (IllegalArgumentException e) {
            problem(key, e.getMessage());
            return otherwise;
        }
        if (d.isZero() && !zeroAllowed) {
            problem(key, "must be more than 0");
            return otherwise;
        }
        return d;
    }

    /** One of {@code choices}, exactly as written there. */
    String choice(String key, List<String> choices, String otherwise) {
        YamlNode.Scalar s = scalar(key);
        return s == null ? otherwise : choice(s, path(key), choices, otherwise);
    }

    String choice(YamlNode.Scalar s, String what, List<String> choices, String otherwise) {
        if (s.type() != YamlNode.Scalar.Type.STRING || !choices.contains(s.text())) {
            problems.at(s.line(), what + ": expected " + String.join(" or ", choices) + ", not " + s.description());
            return otherwise;
        }
        return s.text();
    }

    /** A non-blank string. */
    String string(String key, String otherwise) {
        YamlNode.Scalar s = scalar(key);
        if (s == null) {
            return otherwise;
        }
        if (s.type() != YamlNode.Scalar.Type.STRING || s.text().isBlank()) {
            problem(key, "expected text, not " + s.description());
            return otherwise;
        }
        return s.text();
    }

    private String unknownKey(String key, List<String> known) {
        String where = name.isEmpty() ? "unknown section '" + key + "'" : "unknown key '" + key + "' in " + name;
        String suggestion = "";
        String folded = fold(key);
        for (String k : known) {
            if (fold(k).equals(folded)) {
                suggestion = "; did you mean '" + k + "'?";
            }
        }
        return where + " (known: " + String.join(", ", known) + ")" + suggestion;
    }

    /** maxFlows, max_flows and Max-Flows all fold to maxflows. */
    private static String fold(String key) {
        return key.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
    }

    private static String range(long min, long max) {
        return max == Long.MAX_VALUE ? "at least " + min : min + " to " + max;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
