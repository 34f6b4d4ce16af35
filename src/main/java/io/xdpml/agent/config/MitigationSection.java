package io.xdpml.agent.config;

import io.xdpml.firewall.Measure;
import io.xdpml.firewall.MeasureSettings;
import io.xdpml.firewall.Prefix;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What detections lead to.
 *
 * @param block       how long the sources a detection names are blocked (in the blocks stage); zero: not blocked
 * @param measures    detections may install firewall measures (amplification, SYN flood)
 * @param measureTime how long such a measure stays
 * @param synPps      the rate of the SYN limit a spoofed SYN flood gets, SYNs per second
 * @param synBurst    and its burst (SYNs let through at once after a pause; 0 with rate 0: every SYN dropped)
 * @param neverBlock  sources no detection blocks, whatever it names (besides the firewall's allow src
 *                    prefixes and the host's own addresses: {@link io.xdpml.agent.NeverBlock})
 * @param udpPps      the rate of the UDP limit a UDP flood without named sources gets ({@code volumetric}),
 *                    datagrams per second; 0 (the default): none
 * @param udpBurst    and its burst
 * @param bareSynDrop a SYN flood of SYNs without TCP options (hping3's and most flooders'; no TCP stack in use
 *                    sends one) gets a bare-syn-drop of the victim's port: all such SYNs dropped (default true)
 */
public record MitigationSection(Duration block, boolean measures, Duration measureTime, long synPps, long synBurst,
                                List<Prefix> neverBlock, long udpPps, long udpBurst, boolean bareSynDrop) {
    public static final Duration DEFAULT_MEASURE_TIME = Duration.ofSeconds(60);
    /** The SYN limit's rate and burst when the file does not say: {@link MeasureSettings#defaults()}'s. */
    public static final long DEFAULT_SYN_PPS = MeasureSettings.defaults().synPps();
    public static final long DEFAULT_SYN_BURST = MeasureSettings.defaults().synBurst();

    public MitigationSection {
        Limits.notNegative("mitigation.block", Objects.requireNonNull(block));
        if (block.toNanos() % 1_000_000_000L != 0) {
            throw new IllegalArgumentException("mitigation.block: whole seconds (a block is kept to the second), not "
                    + Durations.format(block));
        }
        neverBlock = List.copyOf(neverBlock);
        Limits.positive("mitigation.measure-time", Objects.requireNonNull(measureTime));
        if (synPps < 0 || synPps > Measure.MAX_RATE || synBurst < 0 || synBurst > Measure.MAX_RATE) {
            throw new IllegalArgumentException("mitigation.syn-limit: rate and burst 0 to " + Measure.MAX_RATE + ", not " + synPps
                    + "/s burst " + synBurst);
        }
        if (udpPps < 0 || udpPps > Measure.MAX_RATE || udpBurst < 0 || udpBurst > Measure.MAX_RATE || (udpPps > 0 && udpBurst == 0)) {
            throw new IllegalArgumentException("mitigation.udp-limit: rate 0 to " + Measure.MAX_RATE + " and a burst of at least 1, not "
                    + udpPps + "/s burst " + udpBurst);
        }
    }

    /** With bare-syn-drops. */
    public MitigationSection(Duration block, boolean measures, Duration measureTime, long synPps, long synBurst, List<Prefix> neverBlock,
            long udpPps, long udpBurst) {
        this(block, measures, measureTime, synPps, synBurst, neverBlock, udpPps, udpBurst, true);
    }

    /** Without a UDP limit. */
    public MitigationSection(Duration block, boolean measures, Duration measureTime, long synPps, long synBurst, List<Prefix> neverBlock) {
        this(block, measures, measureTime, synPps, synBurst, neverBlock, 0, 0);
    }

    /** With the default SYN limit. */
    public MitigationSection(Duration block, boolean measures, Duration measureTime) {
        this(block, measures, measureTime, DEFAULT_SYN_PPS, DEFAULT_SYN_BURST);
    }

    /** With no never-block prefixes of its own. */
    public MitigationSection(Duration block, boolean measures, Duration measureTime, long synPps, long synBurst) {
        this(block, measures, measureTime, synPps, synBurst, List.of());
    }

    /** Nothing blocked, no measures (as {@code xdpml run} without --block). */
    public static MitigationSection defaults() {
        return new MitigationSection(Duration.ZERO, false, DEFAULT_MEASURE_TIME);
    }

    public MitigationSection withBlock(Duration d) {
        return new MitigationSection(d, measures, measureTime, synPps, synBurst, neverBlock, udpPps, udpBurst, bareSynDrop);
    }

    /** How detections become measures: port-drops, this SYN limit, this UDP limit if any, bare-syn-drops if on, for {@code measureTime}. */
    public MeasureSettings measureSettings() {
        return MeasureSettings.defaults().withDuration(measureTime).withSynLimit(synPps, synBurst).withUdpLimit(udpPps, udpBurst)
                .withBareSyns(bareSynDrop);
    }

    String describe() {
        return "mitigation: " + (block.isZero() ? "no blocks" : "block named sources for " + Durations.format(block)) + ", "
                + (measures ? "firewall measures for " + Durations.format(measureTime)
                        + (synPps == DEFAULT_SYN_PPS && synBurst == DEFAULT_SYN_BURST ? "" : " (syn-limit " + synLimitText() + ")")
                        + (udpPps == 0 ? "" : " (udp-limit " + udpPps + "/s" + (udpBurst == udpPps ? "" : " burst " + udpBurst) + ")")
                        + (bareSynDrop ? "" : " (no bare-syn-drop)")
                        : "no firewall measures")
                + (neverBlock.isEmpty() ? "" : ", never blocking " + neverBlock.stream().map(Prefix::toString)
                        .collect(java.util.stream.Collectors.joining(" ")));
    }

    /** {@code 20/s}, or {@code 20/s burst 40} when the burst is not the rate. */
    public String synLimitText() {
        return synPps + "/s" + (synBurst == synPps ? "" : " burst " + synBurst);
    }
}
