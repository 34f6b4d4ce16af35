package io.xdpml.demo;

/**
 * The demo's knobs.
 *
 * @param seconds       how long the mix is sent (at least 8: {@link DemoReport#SPAN} s at each end and time to detect)
 * @param ratePps       frames per second of the mix (times the window at least {@link #MIN_FRAMES_PER_WINDOW})
 * @param way           live: how frames are sent, "testrun" (BPF_PROG_TEST_RUN live frames) or "xsk" (AF_XDP TX)
 * @param blockSeconds  how long a named source stays blocked
 * @param windowSeconds the detectors' window
 */
public record DemoOptions(int seconds, long ratePps, String way, long blockSeconds, double windowSeconds) {
    /** Frames of the mix per detector window at least, for every attack to reach its detector's thresholds. */
    static final long MIN_FRAMES_PER_WINDOW = 10_000;

    /** The detectors the demo runs. */
    static final String DETECTORS = "portscan,synflood,amplification,dnstunnel";

    /** "benign 50, synflood 10, ...": the mix's shares. */
    static String shares(io.xdpml.gen.ScenarioSettings settings) {
        StringBuilder b = new StringBuilder();
        for (io.xdpml.gen.TrafficKind k : io.xdpml.gen.TrafficKind.values()) {
            int share = settings.shares().getOrDefault(k, 0);
            if (share > 0) {
                b.append(b.isEmpty() ? "" : ", ").append(k.cliName()).append(' ').append(share);
            }
        }
        return b.toString();
    }

    public DemoOptions {
        if (seconds < 8 || seconds > 3600) {
            throw new IllegalArgumentException("--seconds must be 8..3600, not " + seconds);
        }
        if (ratePps < 1000 || ratePps > 2_000_000) {
            throw new IllegalArgumentException("--rate must be 1000..2000000 frames/s, not " + ratePps);
        }
        if (!way.equals("testrun") && !way.equals("xsk")) {
            throw new IllegalArgumentException("--way must be testrun or xsk, not " + way);
        }
        if (blockSeconds < 1 || !(windowSeconds > 0)) {
            throw new IllegalArgumentException("block seconds must be >= 1 and the window > 0");
        }
        if (ratePps * windowSeconds < MIN_FRAMES_PER_WINDOW) {
            throw new IllegalArgumentException("--rate times --window must be at least " + MIN_FRAMES_PER_WINDOW + " frames, not " + ratePps
                    + "/s x " + windowSeconds + " s: below, an attack's share of a window stays under its detector's threshold"
                    + " (NTP amplification's 100 kB, the SYN flood's 1000 SYNs)");
        }
    }
}
