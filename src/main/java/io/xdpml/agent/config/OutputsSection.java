package io.xdpml.agent.config;

import io.xdpml.output.Endpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What the agent writes.
 *
 * @param json    detections as JSON lines to this file (absolute when it comes from the file), or null: none
 * @param status  interval of the status line; zero: none
 * @param eve     Suricata EVE JSON lines, or null: none
 * @param ipfix   IPFIX flow export, or null: none
 * @param metrics Prometheus {@code /metrics} endpoint, or null: none
 * @param kafka   Kafka (alerts, flows, fleet blocks; docs/fleet.md), or null: none
 */
public record OutputsSection(Path json, Duration status, Eve eve, Ipfix ipfix, Metrics metrics, Kafka kafka) {
    public static final Duration DEFAULT_STATUS = Duration.ofSeconds(1);
    public static final Duration DEFAULT_TEMPLATE_REFRESH = Duration.ofMinutes(1);
    public static final int DEFAULT_METRICS_PORT = 9464;
    public static final int DEFAULT_IPFIX_PORT = 4739;

    public OutputsSection {
        Limits.notNegative("outputs.status", Objects.requireNonNull(status));
    }

    /** Without Kafka. */
    public OutputsSection(Path json, Duration status, Eve eve, Ipfix ipfix, Metrics metrics) {
        this(json, status, eve, ipfix, metrics, null);
    }

    /**
     * Kafka (docs/fleet.md): alerts and flows as EVE JSON, and the fleet's blocks on a compacted topic.
     *
     * @param bootstrap     bootstrap servers ({@code host:port[,host:port...]})
     * @param alertsTopic   where alerts go (null: none)
     * @param flowsTopic    where flows go (null: none)
     * @param blocksTopic   the fleet's blocks (compacted)
     * @param publishBlocks whether this agent's own blocks are published on the blocks topic
     * @param applyBlocks   whether this agent applies the fleet's blocks (consumes the blocks topic)
     * @param createTopics  whether missing topics are created (the blocks topic compacted)
     * @param host          the name this agent signs its blocks with
     * @param queue         records held for the producer before new ones are dropped (counted)
     * @param properties    Kafka client properties passed through (security.protocol, sasl.*, ssl.*, acks, ...)
     */
    public record Kafka(String bootstrap, String alertsTopic, String flowsTopic, String blocksTopic, boolean publishBlocks,
                        boolean applyBlocks, boolean createTopics, String host, int queue, java.util.Map<String, String> properties) {
        public static final String ALERTS = "xdpml.alerts";
        public static final String FLOWS = "xdpml.flows";
        public static final String BLOCKS = "xdpml.blocks";
        public static final int DEFAULT_QUEUE = 100_000;

        public Kafka {
            if (bootstrap == null || bootstrap.isBlank()) {
                throw new IllegalArgumentException("outputs.kafka needs bootstrap servers");
            }
            Objects.requireNonNull(blocksTopic);
            if (queue < 1) {
                throw new IllegalArgumentException("outputs.kafka.queue must be at least 1");
            }
            properties = java.util.Map.copyOf(properties);
        }

        /** Alerts and flows to the default topics, the fleet's blocks applied, this agent's own not published. */
        public static Kafka defaults(String bootstrap) {
            return new Kafka(bootstrap, ALERTS, FLOWS, BLOCKS, false, true, true, defaultHost(), DEFAULT_QUEUE, java.util.Map.of());
        }

        /** The host name (HOSTNAME, /etc/hostname, or "xdpml"). */
        public static String defaultHost() {
            String h = System.getenv("HOSTNAME");
            if (h == null || h.isBlank()) {
                try {
                    h = java.nio.file.Files.readString(Path.of("/etc/hostname")).strip();
                } catch (java.io.IOException | RuntimeException e) {
                    h = "";
                }
            }
            return h.isBlank() ? "xdpml" : h;
        }

        public Kafka withPublishBlocks(boolean p) {
            return new Kafka(bootstrap, alertsTopic, flowsTopic, blocksTopic, p, applyBlocks, createTopics, host, queue, properties);
        }

        public Kafka withHost(String h) {
            return new Kafka(bootstrap, alertsTopic, flowsTopic, blocksTopic, publishBlocks, applyBlocks, createTopics, h, queue, properties);
        }

        public Kafka withBootstrap(String b) {
            return new Kafka(b, alertsTopic, flowsTopic, blocksTopic, publishBlocks, applyBlocks, createTopics, host, queue, properties);
        }
    }

    /**
     * EVE JSON (one event per line).
     *
     * @param file   where (absolute)
     * @param alerts write {@code event_type: alert} for detections
     * @param flows  write {@code event_type: flow} for flows as they end (needs the flows stage)
     */
    public record Eve(Path file, boolean alerts, boolean flows) {
        public Eve {
            Objects.requireNonNull(file);
        }
    }

    /**
     * IPFIX (RFC 7011) as flows end and on active timeout: to a collector over UDP, to a file, or both.
     *
     * @param collector       UDP collector, or null
     * @param file            IPFIX file (RFC 5655 layout: messages back to back), or null
     * @param templateRefresh how often templates are sent again over UDP
     * @param domain          observation domain id
     */
    public record Ipfix(Endpoint collector, Path file, Duration templateRefresh, long domain) {
        public Ipfix {
            if (collector == null && file == null) {
                throw new IllegalArgumentException("outputs.ipfix needs a collector or a file");
            }
            Limits.notNegative("outputs.ipfix.template-refresh", Objects.requireNonNull(templateRefresh));
        }
    }

    /** Prometheus metrics served on {@code http://listen/metrics}. */
    public record Metrics(Endpoint listen) {
        public Metrics {
            Objects.requireNonNull(listen);
        }
    }

    /** No JSON file, a status line every second, nothing else. */
    public static OutputsSection defaults() {
        return new OutputsSection(null, DEFAULT_STATUS, null, null, null, null);
    }

    public OutputsSection withJson(Path file) {
        return new OutputsSection(file, status, eve, ipfix, metrics, kafka);
    }

    public OutputsSection withEve(Eve e) {
        return new OutputsSection(json, status, e, ipfix, metrics, kafka);
    }

    public OutputsSection withIpfix(Ipfix i) {
        return new OutputsSection(json, status, eve, i, metrics, kafka);
    }

    public OutputsSection withMetrics(Metrics m) {
        return new OutputsSection(json, status, eve, ipfix, m, kafka);
    }

    public OutputsSection withKafka(Kafka k) {
        return new OutputsSection(json, status, eve, ipfix, metrics, k);
    }

    /** Whether some output wants the flows as they end (the agent then drains and sweeps the flow table). */
    public boolean wantsFlows() {
        return ipfix != null || (eve != null && eve.flows()) || (kafka != null && kafka.flowsTopic() != null);
    }

    String describe() {
        StringBuilder b = new StringBuilder("outputs: ")
                .append(json == null ? "no JSON" : "detections as JSON lines to " + json).append(", ")
                .append(status.isZero() ? "no status line" : "status every " + Durations.format(status));
        if (eve != null) {
            b.append(", EVE JSON (").append(eve.alerts() && eve.flows() ? "alerts, flows" : eve.alerts() ? "alerts" : "flows")
                    .append(") to ").append(eve.file());
        }
        if (ipfix != null) {
            b.append(", IPFIX to ").append(ipfix.collector() != null ? ipfix.collector() + "/udp" : "")
                    .append(ipfix.collector() != null && ipfix.file() != null ? " and " : "")
                    .append(ipfix.file() != null ? ipfix.file() : "");
        }
        if (kafka != null) {
            b.append(", Kafka at ").append(kafka.bootstrap()).append(" (")
                    .append(kafka.alertsTopic() != null ? "alerts to " + kafka.alertsTopic() + ", " : "")
                    .append(kafka.flowsTopic() != null ? "flows to " + kafka.flowsTopic() + ", " : "")
                    .append(kafka.applyBlocks() ? "fleet blocks applied from " : "fleet blocks not applied from ").append(kafka.blocksTopic())
                    .append(kafka.publishBlocks() ? ", own blocks published" : "").append(")");
        }
        if (metrics != null) {
            b.append(", metrics on http://").append(metrics.listen()).append("/metrics");
        }
        return b.toString();
    }
}
