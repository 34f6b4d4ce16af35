package io.xdpml.model.classify;

import java.util.Arrays;

/** Counters and per-class packets and bytes of a classify pipeline ({@code struct xdpml_model_stats}). */
public record ModelStats(long[] counters, long[] classPackets, long[] classBytes) {
    public static final int CLASSES = 16;
    /** The statistics' size in 64-bit words: counters, then packets per class, then bytes per class. */
    public static final int LONGS = ModelCounter.SLOTS + 2 * CLASSES;

    /**
     * The statistics from the value of the per-CPU map {@code xdpml_model_stats} summed over CPUs,
     * its 64-bit words in order. The value is {@code struct xdpml_model_cpu} (model_stage.h): the
     * statistics first, then the model stage's scratch, which is ignored.
     * <pre>
     * word  0 .. 15   counter[ModelCounter]      (struct xdpml_model_stats, offset 0)
     * word 16 .. 31   class_packets[class]
     * word 32 .. 47   class_bytes[class]
     * word 48 ..      struct xdpml_model_scratch (not statistics)
     * </pre>
     */
    public static ModelStats ofSummed(long[] words) {
        if (words.length < LONGS) {
            throw new IllegalArgumentException("xdpml_model_stats value of " + words.length + " words, below " + LONGS);
        }
        int n = ModelCounter.SLOTS;
        return new ModelStats(Arrays.copyOfRange(words, 0, n), Arrays.copyOfRange(words, n, n + CLASSES),
                Arrays.copyOfRange(words, n + CLASSES, LONGS));
    }

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
