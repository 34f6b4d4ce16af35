package io.xdpml.agent.config;

import io.xdpml.detect.Detectors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code detectors}: names checked against {@link Detectors}, and each {@code set} entry checked by
 * Detectors' own parsing (as {@code xdpml run --set} is), so that a bad one is put at its line.
 */
final class DetectorsSectionReader {
    static final List<String> KEYS = List.of("enabled", "window", "early", "set");

    private DetectorsSectionReader() {}

    static DetectorsSection read(SectionReader s) {
        Problems problems = s.problems();
        int before = problems.count();
        List<String> names = names(s);
        boolean namesOk = problems.count() == before;
        Duration window = s.duration("window", false, DetectorsSection.DEFAULT_WINDOW);
        Duration early = s.duration("early", true, DetectorsSection.DEFAULT_EARLY);
        List<String> settings = settings(s, names, window, namesOk);
        return new DetectorsSection(names, window, early, settings);
    }

    /** A list of names, "all" or "none"; absent: the defaults. */
    private static List<String> names(SectionReader s) {
        YamlNode value = s.value("enabled");
        if (value == null) {
            return DetectorsSection.DEFAULT_NAMES;
        }
        String usage = "a list of detector names (" + String.join(", ", Detectors.names()) + "), 'all' or 'none'";
        if (value instanceof YamlNode.Scalar one && one.type() == YamlNode.Scalar.Type.STRING) {
            return switch (one.text()) {
                case "all" -> Detectors.names();
                case "none" -> List.of();
                default -> {
                    s.problem("enabled", "expected " + usage + ", not " + one.description());
                    yield List.of();
                }
            };
        }
        if (!(value instanceof YamlNode.Sequence list)) {
            s.problem("enabled", "expected " + usage + ", not " + value.description());
            return List.of();
        }
        List<String> out = new ArrayList<>();
        Map<String, Integer> firstLine = new HashMap<>();
        for (YamlNode item : list.items()) {
            if (!(item instanceof YamlNode.Scalar name) || name.type() != YamlNode.Scalar.Type.STRING) {
                s.problems().at(item.line(), "detectors.enabled: expected a detector name, not " + item.description());
                continue;
            }
            List<String> expanded;
            try {
                expanded = DetectorsSection.expand(List.of(name.text()));
            } catch (IllegalArgumentException e) {
                s.problems().at(item.line(), "detectors.enabled: " + e.getMessage());
                continue;
            }
            for (String n : expanded) {
                Integer first = firstLine.putIfAbsent(n, item.line());
                if (first == null) {
                    out.add(n);
                } else if (!name.text().equals("all")) {
                    s.problems().at(item.line(), "detectors.enabled: '" + n + "' is listed twice (first on line " + first + ")");
                }
            }
        }
        return out;
    }

    /**
     * {@code detector.parameter -> value} as {@code detector.parameter=value}. Each entry is tried
     * alone with the chosen detectors and the window, then all together (a detector may refuse a
     * combination); not tried when the names themselves are wrong.
     */
    private static List<String> settings(SectionReader s, List<String> names, Duration window, boolean check) {
        YamlNode value = s.value("set");
        List<String> out = new ArrayList<>();
        if (value == null || value instanceof YamlNode.Scalar n && n.isNull()) {
            return out;
        }
        if (!(value instanceof YamlNode.Mapping m)) {
            s.problem("set", "expected a mapping of detector.parameter -> value ({portscan.minDistinctPorts: 20}), not "
                    + value.description());
            return out;
        }
        Problems problems = s.problems();
        int before = problems.count();
        for (YamlNode.Entry e : m.entries()) {
            if (!(e.value() instanceof YamlNode.Scalar v) || v.isNull()) {
                problems.at(e.line(), "detectors.set." + e.key() + ": expected a value, not " + e.value().description());
                continue;
            }
            String setting = e.key() + "=" + (v.integer() != null ? v.integer().toString() : v.text());
            out.add(setting);
            if (!check) {
                continue;
            }
            if (names.isEmpty()) {
                problems.at(e.line(), "detectors.set: '" + e.key() + "' but no detector is enabled");
                continue;
            }
            String refused = refused(new DetectorsSection(names, window, List.of(setting)));
            if (refused != null) {
                problems.at(e.line(), "detectors.set: " + refused);
            }
        }
        if (check && problems.count() == before && !out.isEmpty()) {
            String refused = refused(new DetectorsSection(names, window, out));
            if (refused != null) {
                s.problem("set", refused);
            }
        }
        return out;
    }

    /** Why the detectors cannot be made so, or null when they can. */
    private static String refused(DetectorsSection section) {
        try {
            section.create();
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }
}
