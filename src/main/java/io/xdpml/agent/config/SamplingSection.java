package io.xdpml.agent.config;

import java.util.Locale;
import java.util.Objects;

/**
 * The sampling stage: which packets go on to Java.
 *
 * @param every   1 in this many (1: all)
 * @param by      packets chosen one by one, or whole flows chosen by their key's hash
 * @param dropped the packets the model drops are sampled with the rest (a copy to Java, the packet
 *                dropped), so that what Java sees stands for all the traffic; heeded with mirror
 *                delivery only ({@link AgentConfig#samplesDropped()})
 */
public record SamplingSection(boolean enabled, int every, By by, boolean dropped) {
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
        return new SamplingSection(true, 1, By.PACKET, true);
    }

    /** 1 in {@code n}, and on (a sampling asked for is wanted). */
    public SamplingSection withEvery(int n) {
        return new SamplingSection(true, n, by, dropped);
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

    /** @param dropsToo whether the model's drops are sampled too ({@link AgentConfig#samplesDropped()}) */
    String describe(boolean dropsToo) {
        if (!enabled) {
            return "sampling: off (no packets to Java)";
        }
        return "sampling: on (" + (every == 1 ? "every " + by.id() : "1 in " + every + " by " + by.id())
                + (dropsToo ? ", the model's drops too" : "") + ")";
    }
}
