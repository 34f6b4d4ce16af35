package io.xdpml.firewall;

import java.time.Duration;

/**
 * How detections become firewall measures ({@link Measures#forDetection}).
 *
 * @param portDrop  amplification: drop the reflected service's responses to the victim
 * @param synLimit  SYN flood without named sources (spoofed): limit the SYNs to the victim's port
 * @param synPps    the syn-limit's rate, SYNs per second
 * @param synBurst  and its burst
 * @param duration  how long a measure lasts (renewed while the detection goes on); zero: until removed
 * @param udpPps    a UDP flood without named sources (spoofed, or too many to block; {@code volumetric}'s
 *                  report when most of the bucket was UDP): limit the datagrams to the victim's port
 *                  to this many per second; 0: no udp-limit (the default: a UDP service's normal rate
 *                  is the operator's to know)
 * @param udpBurst  and its burst
 * @param bareSyns  a SYN flood whose SYNs carry no TCP options (a packet crafter's; no TCP stack in use
 *                  sends such a SYN), spoofed or not: drop every such SYN to the victim's port
 *                  (bare-syn-drop), beside the syn-limit of a spoofed one (since 2026-12-07)
 */
public record MeasureSettings(boolean portDrop, boolean synLimit, long synPps, long synBurst, Duration duration, long udpPps,
                              long udpBurst, boolean bareSyns) {
    public MeasureSettings {
        if (udpPps < 0 || udpPps > Measure.MAX_RATE || udpBurst < 0 || udpBurst > Measure.MAX_RATE) {
            throw new IllegalArgumentException("udp-limit rate and burst must be 0.." + Measure.MAX_RATE);
        }
        if (udpPps > 0 && udpBurst == 0) {
            throw new IllegalArgumentException("udp-limit: a burst of 0 lets no datagram through at any rate: give at least 1");
        }
        if (synPps < 0 || synPps > Measure.MAX_RATE || synBurst < 0 || synBurst > Measure.MAX_RATE) {
            throw new IllegalArgumentException("syn-limit rate and burst must be 0.." + Measure.MAX_RATE);
        }
        if (synPps > 0 && synBurst == 0) {
            throw new IllegalArgumentException("syn-limit: a burst of 0 lets no SYN through at any rate: give at least 1");
        }
        if (duration == null || duration.isNegative()) {
            throw new IllegalArgumentException("a measure's duration must be zero (no expiry) or positive");
        }
    }

    /** Without a udp-limit, with bare-syn-drops. */
    public MeasureSettings(boolean portDrop, boolean synLimit, long synPps, long synBurst, Duration duration) {
        this(portDrop, synLimit, synPps, synBurst, duration, 0, 0, true);
    }

    /** Port-drops, syn-limits (SYNs limited to 1000/s with a burst of 1000) and bare-syn-drops, for 5 minutes; no udp-limit. */
    public static MeasureSettings defaults() {
        return new MeasureSettings(true, true, 1000, 1000, Duration.ofMinutes(5));
    }

    public MeasureSettings withDuration(Duration d) {
        return new MeasureSettings(portDrop, synLimit, synPps, synBurst, d, udpPps, udpBurst, bareSyns);
    }

    public MeasureSettings withSynLimit(long pps, long burst) {
        return new MeasureSettings(portDrop, synLimit, pps, burst, duration, udpPps, udpBurst, bareSyns);
    }

    /** With a udp-limit of {@code pps} (burst {@code burst}) for unnamed UDP floods; 0: none. */
    public MeasureSettings withUdpLimit(long pps, long burst) {
        return new MeasureSettings(portDrop, synLimit, synPps, synBurst, duration, pps, burst, bareSyns);
    }

    /** With or without bare-syn-drops for SYN floods of SYNs without options. */
    public MeasureSettings withBareSyns(boolean on) {
        return new MeasureSettings(portDrop, synLimit, synPps, synBurst, duration, udpPps, udpBurst, on);
    }
}
