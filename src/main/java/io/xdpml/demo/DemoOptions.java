package io.xdpml.demo;

/**
 * The demo's knobs.
 *
 * @param seconds       how long the mix is sent (at least 8: {@link DemoReport#SPAN} s at each end and time to detect)
 * @param ratePps       frames per second of the mix
 * @param way           live: how frames are sent, "testrun" (BPF_PROG_TEST_RUN live frames) or "xsk" (AF_XDP TX)
 * @param blockSeconds  how long a named source stays blocked
 * @param windowSeconds the detectors' window
 */
public record DemoOptions(int seconds, long ratePps, String way, long blockSeconds, double windowSeconds) {
    /** The detectors the demo runs. */
    static final String DETECTORS = "portscan,synflood,amplification,dnstunnel";

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
    }
}
