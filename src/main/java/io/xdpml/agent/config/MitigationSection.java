package io.xdpml.agent.config;

import java.time.Duration;
import java.util.Objects;

/**
 * What detections lead to.
 *
 * @param block       how long the sources a detection names are blocked (in the blocks stage); zero: not blocked
 * @param measures    detections may install firewall measures (amplification, SYN flood)
 * @param measureTime how long such a measure stays
 */
public record MitigationSection(Duration block, boolean measures, Duration measureTime) {
    public static final Duration DEFAULT_MEASURE_TIME = Duration.ofSeconds(60);

    public MitigationSection {
        Limits.notNegative("mitigation.block", Objects.requireNonNull(block));
        Limits.positive("mitigation.measure-time", Objects.requireNonNull(measureTime));
    }

    /** Nothing blocked, no measures (as {@code xdpml run} without --block). */
    public static MitigationSection defaults() {
        return new MitigationSection(Duration.ZERO, false, DEFAULT_MEASURE_TIME);
    }

    public MitigationSection withBlock(Duration d) {
        return new MitigationSection(d, measures, measureTime);
    }

    String describe() {
        return "mitigation: " + (block.isZero() ? "no blocks" : "block named sources for " + Durations.format(block)) + ", "
                + (measures ? "firewall measures for " + Durations.format(measureTime) : "no firewall measures");
    }
}
