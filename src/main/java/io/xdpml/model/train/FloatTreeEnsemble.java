package io.xdpml.model.train;

import io.xdpml.model.quantized.TreeEnsemble;
import java.util.Arrays;

/**
 * The trees as trained, with floating-point thresholds: the reference the integer model is
 * checked against. The same node layout and walk as {@link TreeEnsemble} (pre-order, {@code x <= t}
 * goes to {@code i + 1}, else to {@code right[i]}; forests vote, ties to the lowest class), with
 * the input taken as an unsigned integer converted to double.
 */
public final class FloatTreeEnsemble implements FloatModel {
    private final int classCount;
    private final int[] roots;
    private final int[] feature;
    private final double[] threshold;
    private final int[] right;
    private final int[] leafClass;

    public FloatTreeEnsemble(int classCount, int[] roots, int[] feature, double[] threshold, int[] right, int[] leafClass) {
        this.classCount = classCount;
        this.roots = roots.clone();
        this.feature = feature.clone();
        this.threshold = threshold.clone();
        this.right = right.clone();
        this.leafClass = leafClass.clone();
        for (double t : threshold) {
            if (Double.isNaN(t)) {
                throw new IllegalArgumentException("threshold is NaN");
            }
        }
        toInteger(); // the integer model checks the structure
    }

    @Override
    public int classCount() {
        return classCount;
    }

    public int treeCount() {
        return roots.length;
    }

    public int[] roots() {
        return roots.clone();
    }

    public int[] feature() {
        return feature.clone();
    }

    public double[] threshold() {
        return threshold.clone();
    }

    public int[] right() {
        return right.clone();
    }

    public int[] leafClass() {
        return leafClass.clone();
    }

    /** An unsigned 64-bit input as a double. */
    public static double unsigned(long x) {
        return x >= 0 ? x : (double) (x >>> 1) * 2.0 + (x & 1);
    }

    public int treeClass(int t, long[] inputs) {
        int i = roots[t];
        while (feature[i] != TreeEnsemble.LEAF) {
            i = unsigned(inputs[feature[i]]) <= threshold[i] ? i + 1 : right[i];
        }
        return leafClass[i];
    }

    @Override
    public int classify(long[] inputs) {
        int[] votes = new int[classCount];
        for (int t = 0; t < roots.length; t++) {
            votes[treeClass(t, inputs)]++;
        }
        int best = 0;
        for (int c = 1; c < classCount; c++) {
            if (votes[c] > votes[best]) {
                best = c;
            }
        }
        return best;
    }

    /**
     * The integer model: threshold {@code floor(t)} (for integer x, {@code x <= t} iff
     * {@code x <= floor(t)}). Thresholds are never negative or above 2^64 - 1: the trainer
     * drops splits that send every value one way (see {@link TreeImport}).
     */
    public TreeEnsemble toInteger() {
        long[] it = new long[threshold.length];
        for (int i = 0; i < it.length; i++) {
            it[i] = feature[i] == TreeEnsemble.LEAF ? 0 : integerThreshold(threshold[i]);
        }
        return new TreeEnsemble(classCount, roots, feature, it, right, leafClass);
    }

    /** floor(t) as an unsigned 64-bit value; IllegalArgumentException outside 0 .. 2^64. */
    public static long integerThreshold(double t) {
        double f = Math.floor(t);
        if (f < 0 || f >= 0x1p64) {
            throw new IllegalArgumentException("threshold " + t + " outside the unsigned 64-bit range");
        }
        if (f < 0x1p63) {
            return (long) f;
        }
        return (long) (f - 0x1p63) | Long.MIN_VALUE;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FloatTreeEnsemble e && classCount == e.classCount && Arrays.equals(roots, e.roots)
                && Arrays.equals(feature, e.feature) && Arrays.equals(threshold, e.threshold)
                && Arrays.equals(right, e.right) && Arrays.equals(leafClass, e.leafClass);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(feature) * 31 + Arrays.hashCode(threshold);
    }
}
