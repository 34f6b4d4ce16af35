package io.xdpml.agent.config;

import java.util.Locale;
import java.util.Objects;

/**
 * The sampling stage: which packets go on to Java.
 *
 * @param every 1 in this many (1: all)
 * @param by    packets chosen one by one, or whole flows chosen by their key's hash
 */
public record SamplingSection(boolean enabled, int every, By by) {
    public enum By {
        PACKET,
        FLOW;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public SamplingSection {
        Objects.requireNonNull(by);
        if (every < 1) {
            throw new IllegalArgumentException("sampling.every must be at least 1, not " + every);
        }
    }

    /** On, every packet. */
    public static SamplingSection defaults() {
        return new SamplingSection(true, 1, By.PACKET);
    }

    /** 1 in {@code n}, and on (a sampling asked for is wanted). */
    public SamplingSection withEvery(int n) {
        return new SamplingSection(true, n, by);
    }

    /**
     * How many packets of the traffic a packet this sampling chose stands for: N of 1 in N by
     * packet; 1 when every packet goes to Java, or whole flows do (a flow sampled is seen whole).
     * The detectors that count packets and bytes weigh each sampled packet by it; a packet the model
     * sent to Java (its class's action, or below its confidence) was not sampled and weighs 1
     * ({@link io.xdpml.detect.PacketObservation#weight()}).
     */
    public int weight() {
        return enabled && by == By.PACKET ? every : 1;
    }

    String describe() {
        if (!enabled) {
            return "sampling: off (no packets to Java)";
        }
        return "sampling: on (" + (every == 1 ? "every " + by.id() : "1 in " + every + " by " + by.id()) + ")";
    }
}
