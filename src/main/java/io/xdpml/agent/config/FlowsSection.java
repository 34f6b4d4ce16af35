package io.xdpml.agent.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The flows stage: per-flow state and features in a kernel LRU table (docs/flows.md).
 *
 * @param maxFlows      capacity of the flow table
 * @param idleTimeout   silence that ends a flow
 * @param activeTimeout a flow going on this long is reported again; zero: never
 * @param probationSlots admission: 0, a flow enters the table at its first packet
 *                      ({@code admission: first-packet}); a power of two, at its second, its first
 *                      packet waiting in one of that many slots ({@code admission: second-packet})
 * @param coarseClock   {@code clock: coarse}: the program reads the coarse clock (a tick's
 *                      precision, 20-40 ns cheaper per packet); no time feature for the model
 * @param promotionBudget with {@code second-packet}, how many flows may be promoted a second
 *                      ({@code promotion-budget}: auto, off or N a second); off with {@code first-packet}
 */
public record FlowsSection(boolean enabled, int maxFlows, Duration idleTimeout, Duration activeTimeout, int probationSlots,
                           boolean coarseClock, io.xdpml.flow.PromotionBudget promotionBudget) {
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(120);
    /** Probation slots of {@code admission: second-packet} unless {@code probation-slots} says. */
    public static final int DEFAULT_PROBATION_SLOTS = 16_384;

    public FlowsSection {
        Limits.table("flows.max-flows", maxFlows);
        Limits.positive("flows.idle-timeout", Objects.requireNonNull(idleTimeout));
        Limits.notNegative("flows.active-timeout", Objects.requireNonNull(activeTimeout));
        if (probationSlots != 0 && (Integer.bitCount(probationSlots) != 1 || probationSlots > io.xdpml.flow.FlowConfig.MAX_PROBATION_SLOTS)) {
            throw new IllegalArgumentException("flows.probation-slots must be a power of two up to "
                    + io.xdpml.flow.FlowConfig.MAX_PROBATION_SLOTS + ": " + probationSlots);
        }
        if (probationSlots == 0 && !promotionBudget.off()) {
            throw new IllegalArgumentException("flows.promotion-budget is used with admission: second-packet only");
        }
    }

    /** The promotion budget {@code auto} with {@code second-packet} ({@link #autoBudget}), none with {@code first-packet}. */
    public FlowsSection(boolean enabled, int maxFlows, Duration idleTimeout, Duration activeTimeout, int probationSlots, boolean coarseClock) {
        this(enabled, maxFlows, idleTimeout, activeTimeout, probationSlots, coarseClock, autoBudget(maxFlows, idleTimeout, probationSlots));
    }

    /** {@code promotion-budget: auto}: sized from the table ({@link io.xdpml.flow.PromotionBudget#auto}); off without probation. */
    static io.xdpml.flow.PromotionBudget autoBudget(int maxFlows, Duration idleTimeout, int probationSlots) {
        return probationSlots == 0 ? io.xdpml.flow.PromotionBudget.OFF : io.xdpml.flow.PromotionBudget.auto(maxFlows, idleTimeout.toNanos());
    }

    /** Admission at the first packet, the precise clock. */
    public FlowsSection(boolean enabled, int maxFlows, Duration idleTimeout, Duration activeTimeout) {
        this(enabled, maxFlows, idleTimeout, activeTimeout, 0, false);
    }

    /** The precise clock. */
    public FlowsSection(boolean enabled, int maxFlows, Duration idleTimeout, Duration activeTimeout, int probationSlots) {
        this(enabled, maxFlows, idleTimeout, activeTimeout, probationSlots, false);
    }

    /** Off; 65536 flows, idle timeout 120 s, no active timeout, admission at the first packet. */
    public static FlowsSection defaults() {
        return new FlowsSection(false, Limits.DEFAULT_TABLE, DEFAULT_IDLE_TIMEOUT, Duration.ZERO);
    }

    String describe() {
        return "flows: " + (enabled ? "on (max-flows " + maxFlows + ", idle-timeout " + Durations.format(idleTimeout)
                + ", active-timeout " + (activeTimeout.isZero() ? "off" : Durations.format(activeTimeout))
                + ", admission " + (probationSlots == 0 ? "first-packet" : "second-packet with " + probationSlots + " probation slots"
                        + ", promotion budget " + promotionBudget)
                + (coarseClock ? ", coarse clock" : "") + ")" : "off");
    }
}
