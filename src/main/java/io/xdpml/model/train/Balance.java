package io.xdpml.model.train;

import java.util.Locale;

/**
 * Class weights for training: {@code none} (every sample weighs 1), {@code sqrt} (a class's
 * samples weigh in proportion to 1/sqrt(its count)) or {@code balanced} (1/count: every class
 * weighs as much as any other in total). The weights are scaled so that the samples weigh as
 * many as they are; trees use them as Tribuo example weights (split impurity, leaf class, minimum
 * leaf weight), the MLP scales each sample's loss by its weight.
 */
public enum Balance {
    NONE, SQRT, BALANCED;

    public static Balance of(String s) {
        for (Balance b : values()) {
            if (b.id().equals(s.toLowerCase(Locale.ROOT))) {
                return b;
            }
        }
        throw new IllegalArgumentException("balance must be none, sqrt or balanced, not '" + s + "'");
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The weight of one sample of each class, given the samples per class (a class without samples gets 0). */
    public double[] weights(int[] counts) {
        double[] w = new double[counts.length];
        double total = 0;
        double weighted = 0;
        for (int c = 0; c < counts.length; c++) {
            w[c] = counts[c] == 0 ? 0 : switch (this) {
                case NONE -> 1.0;
                case SQRT -> 1.0 / Math.sqrt(counts[c]);
                case BALANCED -> 1.0 / counts[c];
            };
            total += counts[c];
            weighted += w[c] * counts[c];
        }
        for (int c = 0; c < w.length; c++) {
            w[c] = weighted == 0 ? 0 : w[c] * total / weighted;
        }
        return w;
    }
}
