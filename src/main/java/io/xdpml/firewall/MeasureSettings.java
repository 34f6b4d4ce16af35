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
 */
public record MeasureSettings(boolean portDrop, boolean synLimit, long synPps, long synBurst, Duration duration) {
    public MeasureSettings {
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

    /** Both kinds, SYNs limited to 1000/s with a burst of 1000, for 5 minutes. */
    public static MeasureSettings defaults() {
        return new MeasureSettings(true, true, 1000, 1000, Duration.ofMinutes(5));
    }

    public MeasureSettings withDuration(Duration d) {
        return new MeasureSettings(portDrop, synLimit, synPps, synBurst, d);
    }

    public MeasureSettings withSynLimit(long pps, long burst) {
        return new MeasureSettings(portDrop, synLimit, pps, burst, duration);
    }
}
