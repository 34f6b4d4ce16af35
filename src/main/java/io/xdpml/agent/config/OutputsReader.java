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
 *   kafka:
 *     bootstrap: kafka1:9092,kafka2:9092
 *     topics: {alerts: xdpml.alerts, flows: xdpml.flows, blocks: xdpml.blocks}
 *     types: [alert, flow]
 *     publish-blocks: false
 *     apply-blocks: true
 *     create-topics: true
 *     host: web-1
 *     queue: 100000
 *     properties: {security.protocol: SASL_SSL, sasl.mechanism: PLAIN, ...}
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
                metrics(s.section("metrics", List.of("enabled", "listen"))),
                kafka(s.section("kafka", List.of("enabled", "bootstrap", "topics", "types", "publish-blocks", "apply-blocks",
                        "create-topics", "host", "queue", "properties"))));
    }

    private static boolean on(SectionReader s) {
        return s.present() && s.bool("enabled", true);
    }

    // A section that is off ('enabled: false') is checked all the same, as the docs say (until
    // 2026-12-05 an output section that was off was not read), only what it needs to run is not asked for.

    private static OutputsSection.Eve eve(SectionReader s, ConfigPaths paths) {
        boolean on = on(s);
        if (!s.present()) {
            return null;
        }
        ConfigPaths.Located file = paths.read(s, "file");
        if (file == null && !s.has("file") && on) {
            s.problem("file", "eve needs a file (eve: {file: /var/log/xdpml/eve.json})");
        }
        if (file != null && Files.isDirectory(file.absolute())) {
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
        return on && file != null ? new OutputsSection.Eve(file.absolute(), alerts, flows) : null;
    }

    private static OutputsSection.Ipfix ipfix(SectionReader s, ConfigPaths paths) {
        boolean on = on(s);
        if (!s.present()) {
            return null;
        }
        Endpoint collector = endpoint(s, "collector", null);
        ConfigPaths.Located file = paths.read(s, "file");
        if (file != null && Files.isDirectory(file.absolute())) {
            s.problem("file", file.shown() + " is a directory; name a file");
        }
        Duration refresh = s.duration("template-refresh", false, OutputsSection.DEFAULT_TEMPLATE_REFRESH);
        long domain = s.integer("domain", 0, 0xffffffffL, 0);
        if (collector == null && file == null) {
            if (!s.has("collector") && !s.has("file") && on) {
                s.problem("collector", "ipfix needs a collector (HOST:PORT, UDP) or a file");
            }
            return null;
        }
        return on ? new OutputsSection.Ipfix(collector, file == null ? null : file.absolute(), refresh, domain) : null;
    }

    private static OutputsSection.Metrics metrics(SectionReader s) {
        boolean on = on(s);
        if (!s.present()) {
            return null;
        }
        Endpoint listen = s.has("listen") ? endpoint(s, "listen", "127.0.0.1")
                : new Endpoint("127.0.0.1", OutputsSection.DEFAULT_METRICS_PORT);
        return listen == null || !on ? null : new OutputsSection.Metrics(listen);
    }

    private static OutputsSection.Kafka kafka(SectionReader s) {
        boolean on = on(s);
        if (!s.present()) {
            return null;
        }
        String bootstrap = s.string("bootstrap", null);
        if (bootstrap == null) {
            if (!s.has("bootstrap") && on) {
                s.problem("bootstrap", "kafka needs bootstrap servers (bootstrap: kafka1:9092,kafka2:9092)");
            }
        } else {
            for (String server : bootstrap.split(",")) {
                try {
                    Endpoint.parse(server.strip(), null);
                } catch (IllegalArgumentException e) {
                    s.problem("bootstrap", "'" + server.strip() + "' is not HOST:PORT (" + e.getMessage() + ")");
                    bootstrap = null;
                    break;
                }
            }
        }
        SectionReader topics = s.section("topics", List.of("alerts", "flows", "blocks"));
        String alerts = OutputsSection.Kafka.ALERTS;
        String flows = OutputsSection.Kafka.FLOWS;
        String blocks = OutputsSection.Kafka.BLOCKS;
        if (topics.present()) {
            alerts = topic(topics, "alerts", alerts);
            flows = topic(topics, "flows", flows);
            blocks = topic(topics, "blocks", blocks);
        }
        if (s.has("types")) {
            boolean a = false;
            boolean f = false;
            YamlNode v = s.value("types");
            if (v instanceof YamlNode.Sequence list) {
                for (YamlNode item : list.items()) {
                    if (item instanceof YamlNode.Scalar sc) {
                        String t = s.choice(sc, s.path("types"), List.of("alert", "flow"), "");
                        a |= t.equals("alert");
                        f |= t.equals("flow");
                    } else {
                        s.problem("types", "expected alert or flow, not " + item.description());
                    }
                }
            } else {
                s.problem("types", "expected a list of event types: [alert, flow] ([] for none: blocks only)");
            }
            alerts = a ? alerts : null;
            flows = f ? flows : null;
        }
        boolean publish = s.bool("publish-blocks", false);
        boolean apply = s.bool("apply-blocks", true);
        boolean create = s.bool("create-topics", true);
        String host = s.string("host", OutputsSection.Kafka.defaultHost());
        int queue = (int) s.integer("queue", 1, 100_000_000, OutputsSection.Kafka.DEFAULT_QUEUE);
        java.util.Map<String, String> props = new java.util.LinkedHashMap<>();
        if (s.has("properties")) {
            YamlNode v = s.value("properties");
            if (v instanceof YamlNode.Mapping m) {
                for (YamlNode.Entry e : m.entries()) {
                    if (e.value() instanceof YamlNode.Scalar sc && !sc.isNull()) {
                        // a number the clients read as one is passed as YAML reads it (1_000, 0x10), not as its
                        // text, which Kafka would refuse; anything else (an id, a password) as written
                        String value = sc.integer() != null && KafkaProperties.numeric(e.key()) ? sc.integer().toString() : sc.text();
                        String why = e.key().equals("bootstrap.servers") ? null : KafkaProperties.problem(e.key(), value);
                        if (why != null) {
                            s.problems().at(e.line(), s.path("properties") + "." + e.key() + ": " + why);
                        }
                        props.put(e.key(), value);
                    } else {
                        s.problems().at(e.line(), s.path("properties") + "." + e.key() + ": expected a single value, not "
                                + e.value().description());
                    }
                }
            } else if (!(v instanceof YamlNode.Scalar sc && sc.isNull())) {
                s.problem("properties", "expected Kafka client properties (properties: {security.protocol: SSL, ...}), not "
                        + v.description());
            }
        }
        if (props.containsKey("bootstrap.servers")) {
            s.problem("properties", "bootstrap.servers goes in outputs.kafka.bootstrap");
        }
        if (bootstrap == null || !on) {
            return null;
        }
        return new OutputsSection.Kafka(bootstrap, alerts, flows, blocks, publish, apply, create, host, queue, props);
    }

    /** A Kafka topic name: 1..249 of [a-zA-Z0-9._-]. */
    private static String topic(SectionReader s, String key, String otherwise) {
        String t = s.string(key, otherwise);
        if (t != null && !t.matches("[a-zA-Z0-9._-]{1,249}")) {
            s.problem(key, "'" + t + "' is not a Kafka topic name (letters, digits, '.', '_', '-')");
            return otherwise;
        }
        return t;
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
