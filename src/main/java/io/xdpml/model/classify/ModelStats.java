package io.xdpml.model.classify;

import java.util.Arrays;

/** Counters and per-class packets and bytes of a classify pipeline ({@code struct xdpml_model_stats}). */
public record ModelStats(long[] counters, long[] classPackets, long[] classBytes) {
    public static final int CLASSES = 16;

    public ModelStats {
        counters = counters.clone();
        classPackets = classPackets.clone();
        classBytes = classBytes.clone();
    }

    public long counter(ModelCounter c) {
        return counters[c.ordinal()];
    }

    public long classPackets(int cls) {
        return classPackets[cls];
    }

    public long classBytes(int cls) {
        return classBytes[cls];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelStats s && Arrays.equals(counters, s.counters) && Arrays.equals(classPackets, s.classPackets)
                && Arrays.equals(classBytes, s.classBytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(counters) * 31 + Arrays.hashCode(classPackets);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("ModelStats[");
        for (ModelCounter c : ModelCounter.values()) {
            b.append(c.name().toLowerCase()).append('=').append(counters[c.ordinal()]).append(' ');
        }
        b.append("class_packets=").append(Arrays.toString(classPackets)).append(" class_bytes=").append(Arrays.toString(classBytes));
        return b.append(']').toString();
    }
}
