package io.xdpml.agent.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The flows stage: per-flow state and features in a kernel LRU table (docs/flows.md).
 *
 * @param maxFlows      capacity of the flow table
 * @param idleTimeout   silence that ends a flow
 * @param activeTimeout a flow going on this long is reported again; zero: never
 */
public record FlowsSection(boolean enabled, int maxFlows, Duration idleTimeout, Duration activeTimeout) {
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(120);

    public FlowsSection {
        Limits.table("flows.max-flows", maxFlows);
        Limits.positive("flows.idle-timeout", Objects.requireNonNull(idleTimeout));
        Limits.notNegative("flows.active-timeout", Objects.requireNonNull(activeTimeout));
    }

    /** Off; 65536 flows, idle timeout 120 s, no active timeout. */
    public static FlowsSection defaults() {
        return new FlowsSection(false, Limits.DEFAULT_TABLE, DEFAULT_IDLE_TIMEOUT, Duration.ZERO);
    }

    String describe() {
        return "flows: " + (enabled ? "on (max-flows " + maxFlows + ", idle-timeout " + Durations.format(idleTimeout)
                + ", active-timeout " + (activeTimeout.isZero() ? "off" : Durations.format(activeTimeout)) + ")" : "off");
    }
}
