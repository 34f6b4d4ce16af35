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
 *                delivery only ({@link AgentConfig#samplesDropped()}); so are, by packet, the packets
 *                the firewall's limits drop (since 2026-12-07, {@link AgentConfig#samplesFirewallDrops()})
 * @param firstPackets each flow's first packet in each direction that the sample did not choose is copied to Java too,
 *                at most this many per second on each CPU (0: none), so that the scan detectors see
 *                every probe of a scan that 1 in N thins, and its answer; such a copy stands for no other packet.
 *                Heeded with flows and mirror delivery only ({@link AgentConfig#firstPacketsPps()})
 */
public record SamplingSection(boolean enabled, int every, By by, boolean dropped, long firstPackets) {
    /** The default of {@code sampling.first-packets}: flows' first packets per second per CPU. */
    public static final long DEFAULT_FIRST_PACKETS = 1000;

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
        if (firstPackets < 0 || firstPackets > MAX_FIRST_PACKETS) {
            throw new IllegalArgumentException("sampling.first-packets must be 0 to " + MAX_FIRST_PACKETS + ", not " + firstPackets);
        }
    }

    /** At most 10^9 per second (the kernel's bucket holds a second of it in nanosecond tokens: no overflow). */
    public static final long MAX_FIRST_PACKETS = 1_000_000_000L;

    /** On, every packet. */
    public static SamplingSection defaults() {
        return new SamplingSection(true, 1, By.PACKET, true, DEFAULT_FIRST_PACKETS);
    }

    /** 1 in {@code n}, and on (a sampling asked for is wanted). */
    public SamplingSection withEvery(int n) {
        return new SamplingSection(true, n, by, dropped, firstPackets);
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

    /**
     * @param dropsToo whether the model's drops are sampled too ({@link AgentConfig#samplesDropped()})
     * @param limitDropsToo whether the firewall limits' drops are ({@link AgentConfig#samplesFirewallDrops()})
     * @param firstPps flows' first packets per second per CPU copied too ({@link AgentConfig#firstPacketsPps()})
     */
    String describe(boolean dropsToo, boolean limitDropsToo, long firstPps) {
        if (!enabled) {
            return "sampling: off (no packets to Java)";
        }
        return "sampling: on (" + (every == 1 ? "every " + by.id() : "1 in " + every + " by " + by.id())
                + (dropsToo && limitDropsToo ? ", the model's and the firewall limits' drops too"
                        : dropsToo ? ", the model's drops too" : limitDropsToo ? ", the firewall limits' drops too" : "")
                + (firstPps > 0 ? "; each flow's first packet in each direction too, at most " + firstPps + "/s per CPU" : "") + ")";
    }
}
