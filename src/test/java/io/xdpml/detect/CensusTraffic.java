package io.xdpml.detect;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.TreeMap;

/**
 * Frames built by the tests of the detectors that read the flow table (slowconn, reqflood), fed in
 * time order to every detector and to a flow table of every packet, whose census the detectors read
 * when due at each whole second (as the agent does at its seconds), and once more at the end.
 */
final class CensusTraffic {
    private static final long S = 1_000_000_000L;

    private final ObservationBuilder census = new ObservationBuilder(true);
    private final ObservationBuilder observations = new ObservationBuilder(false);
    private final TreeMap<Long, byte[]> frames = new TreeMap<>();
    private long tie;

    /** A frame at packet time {@code t} (frames at the same time keep their order). */
    void at(long t, byte[] frame) {
        frames.put(t * 1024 + (tie++ & 1023), frame);
    }

    /** Every frame through {@code set} and the table; the detections of {@code detector}. */
    List<Detection> run(DetectorSet set, String detector) {
        long last = 0;
        long tick = S;
        for (var e : frames.entrySet()) {
            long t = e.getKey() / 1024;
            for (; tick <= t; tick += S) {
                if (set.censusDue(tick)) {
                    set.census(tick, tick, census.flows());
                }
            }
            byte[] f = e.getValue();
            MemorySegment m = MemorySegment.ofArray(f);
            census.observe(m, 0, f.length, t, 1);
            set.observe(observations.observe(m, 0, f.length, t, 1));
            last = t;
        }
        set.censusAll(last, last, census.flows());
        set.finish();
        return set.detections().stream().filter(d -> d.detector().equals(detector)).toList();
    }

    /** The table's live flows. */
    FlowWalk flows() {
        return census.flows();
    }
}
