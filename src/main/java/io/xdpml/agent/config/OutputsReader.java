package io.xdpml.agent.config;

import io.xdpml.output.Endpoint;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

/**
 * Reads {@code outputs}: json, status, and the sections eve, ipfix, metrics (docs/agent.md).
 *
 * <pre>
 * outputs:
 *   eve: {file: eve.json, types: [alert, flow]}
 *   ipfix: {collector: 127.0.0.1:4739, file: flows.ipfix, template-refresh: 60s, domain: 1}
 *   metrics: {listen: 127.0.0.1:9464}
 * </pre>
 */
final class OutputsReader {
    private OutputsReader() {}

    static OutputsSection read(SectionReader s, ConfigPaths paths) {
        ConfigPaths.Located json = paths.read(s, "json");
        if (json != null && Files.isDirectory(json.absolute())) {
            s.problem("json", json.shown() + " is a directory; name a file");
        }
        return new OutputsSection(json == null ? null : json.absolute(), s.duration("status", true, OutputsSection.DEFAULT_STATUS),
                eve(s.section("eve", List.of("enabled", "file", "types")), paths),
                ipfix(s.section("ipfix", List.of("enabled", "collector", "file", "template-refresh", "domain")), paths),
                metrics(s.section("metrics", List.of("enabled", "listen"))));
    }

    private static boolean on(SectionReader s) {
        return s.present() && s.bool("enabled", true);
    }

    private static OutputsSection.Eve eve(SectionReader s, ConfigPaths paths) {
        if (!on(s)) {
            return null;
        }
        ConfigPaths.Located file = paths.read(s, "file");
        if (file == null) {
            if (!s.has("file")) {
                s.problem("file", "eve needs a file (eve: {file: /var/log/xdpml/eve.json})");
            }
            return null;
        }
        if (Files.isDirectory(file.absolute())) {
            s.problem("file", file.shown() + " is a directory; name a file");
        }
        boolean alerts = true;
        boolean flows = true;
        if (s.has("types")) {
            YamlNode v = s.value("types");
            if (v instanceof YamlNode.Sequence list && !list.items().isEmpty()) {
                alerts = false;
                flows = false;
                for (YamlNode item : list.items()) {
                    String t = item instanceof YamlNode.Scalar sc ? s.choice(sc, s.path("types"), List.of("alert", "flow"), "") : "";
                    alerts |= t.equals("alert");
                    flows |= t.equals("flow");
                    if (!(item instanceof YamlNode.Scalar)) {
                        s.problem("types", "expected alert or flow, not " + item.description());
                    }
                }
            } else {
                s.problem("types", "expected a list of event types: [alert, flow]");
            }
        }
        return new OutputsSection.Eve(file.absolute(), alerts, flows);
    }

    private static OutputsSection.Ipfix ipfix(SectionReader s, ConfigPaths paths) {
        if (!on(s)) {
            return null;
        }
        Endpoint collector = endpoint(s, "collector", null);
        ConfigPaths.Located file = paths.read(s, "file");
        Duration refresh = s.duration("template-refresh", false, OutputsSection.DEFAULT_TEMPLATE_REFRESH);
        long domain = s.integer("domain", 0, 0xffffffffL, 0);
        if (collector == null && file == null) {
            if (!s.has("collector") && !s.has("file")) {
                s.problem("collector", "ipfix needs a collector (HOST:PORT, UDP) or a file");
            }
            return null;
        }
        return new OutputsSection.Ipfix(collector, file == null ? null : file.absolute(), refresh,
                domain);
    }

    private static OutputsSection.Metrics metrics(SectionReader s) {
        if (!on(s)) {
            return null;
        }
        Endpoint listen = s.has("listen") ? endpoint(s, "listen", "127.0.0.1")
                : new Endpoint("127.0.0.1", OutputsSection.DEFAULT_METRICS_PORT);
        return listen == null ? null : new OutputsSection.Metrics(listen);
    }

    /** {@code [HOST:]PORT} at {@code key}: a bare port number is a scalar of type integer in YAML. */
    private static Endpoint endpoint(SectionReader s, String key, String defaultHost) {
        YamlNode.Scalar v = s.scalar(key);
        if (v == null) {
            return null;
        }
        try {
            return Endpoint.parse(v.text(), defaultHost);
        } catch (IllegalArgumentException e) {
            s.problem(key, e.getMessage());
            return null;
        }
    }
}
