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
 */
public record OutputsSection(Path json, Duration status, Eve eve, Ipfix ipfix, Metrics metrics) {
    public static final Duration DEFAULT_STATUS = Duration.ofSeconds(1);
    public static final Duration DEFAULT_TEMPLATE_REFRESH = Duration.ofMinutes(1);
    public static final int DEFAULT_METRICS_PORT = 9464;
    public static final int DEFAULT_IPFIX_PORT = 4739;

    public OutputsSection {
        Limits.notNegative("outputs.status", Objects.requireNonNull(status));
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
        return new OutputsSection(null, DEFAULT_STATUS, null, null, null);
    }

    public OutputsSection withJson(Path file) {
        return new OutputsSection(file, status, eve, ipfix, metrics);
    }

    public OutputsSection withEve(Eve e) {
        return new OutputsSection(json, status, e, ipfix, metrics);
    }

    public OutputsSection withIpfix(Ipfix i) {
        return new OutputsSection(json, status, eve, i, metrics);
    }

    public OutputsSection withMetrics(Metrics m) {
        return new OutputsSection(json, status, eve, ipfix, m);
    }

    /** Whether some output wants the flows as they end (the agent then drains and sweeps the flow table). */
    public boolean wantsFlows() {
        return ipfix != null || (eve != null && eve.flows());
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
        if (metrics != null) {
            b.append(", metrics on http://").append(metrics.listen()).append("/metrics");
        }
        return b.toString();
    }
}
