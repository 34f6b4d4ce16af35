package io.xdpml.model.train;

import io.xdpml.model.file.ModelKind;
import java.util.List;

/**
 * How to train: model kind, the inputs it may read (names of {@link io.xdpml.model.ModelInputs}),
 * tree depth and count, a tree leaf's minimum weight, class weights, MLP hidden widths and
 * training schedule, and the seed that makes it all repeatable.
 */
public record TrainOptions(ModelKind kind, List<String> inputs, int depth, int trees, int splitInputs, double minLeaf, Balance balance,
                           int[] hidden, int epochs, double scalePercentile, long seed) {
    public static final int DEFAULT_DEPTH = 10;
    public static final int DEFAULT_TREES = 8;
    /** Tribuo's default minimum child weight: a split leaves at least this weight (samples, when unweighted) on each side. */
    public static final double DEFAULT_MIN_LEAF = 5.0;
    public static final int[] DEFAULT_HIDDEN = {16, 16};
    public static final int DEFAULT_EPOCHS = 60;
    /** MLP input scaling: max at this percentile of the training values (resists outliers). */
    public static final double DEFAULT_SCALE_PERCENTILE = 99.0;

    public TrainOptions {
        inputs = List.copyOf(inputs);
        hidden = hidden.clone();
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("no inputs chosen");
        }
        if (splitInputs < 0 || splitInputs > inputs.size()) {
            throw new IllegalArgumentException("inputs per split must be 0 (about sqrt of the inputs) or 1.." + inputs.size() + ", not " + splitInputs);
        }
        if (!(minLeaf > 0)) {
            throw new IllegalArgumentException("minimum leaf weight must be > 0, not " + minLeaf);
        }
        java.util.Objects.requireNonNull(balance);
    }

    public static TrainOptions defaults(ModelKind kind, List<String> inputs, long seed) {
        return new TrainOptions(kind, inputs, DEFAULT_DEPTH, DEFAULT_TREES, 0, DEFAULT_MIN_LEAF, Balance.NONE, DEFAULT_HIDDEN, DEFAULT_EPOCHS, DEFAULT_SCALE_PERCENTILE, seed);
    }

    public TrainOptions withDepth(int d) {
        return new TrainOptions(kind, inputs, d, trees, splitInputs, minLeaf, balance, hidden, epochs, scalePercentile, seed);
    }

    public TrainOptions withTrees(int t) {
        return new TrainOptions(kind, inputs, depth, t, splitInputs, minLeaf, balance, hidden, epochs, scalePercentile, seed);
    }

    public TrainOptions withHidden(int[] h) {
        return new TrainOptions(kind, inputs, depth, trees, splitInputs, minLeaf, balance, h, epochs, scalePercentile, seed);
    }

    public TrainOptions withEpochs(int e) {
        return new TrainOptions(kind, inputs, depth, trees, splitInputs, minLeaf, balance, hidden, e, scalePercentile, seed);
    }

    public TrainOptions withSplitInputs(int n) {
        return new TrainOptions(kind, inputs, depth, trees, n, minLeaf, balance, hidden, epochs, scalePercentile, seed);
    }

    /** The inputs a forest's split chooses among: {@code splitInputs}, or about sqrt(inputs) when 0. */
    public int splitInputsOrDefault() {
        return splitInputs > 0 ? splitInputs : (int) Math.max(1, Math.round(Math.sqrt(inputs.size())));
    }

    public TrainOptions withMinLeaf(double m) {
        return new TrainOptions(kind, inputs, depth, trees, splitInputs, m, balance, hidden, epochs, scalePercentile, seed);
    }

    public TrainOptions withBalance(Balance b) {
        return new TrainOptions(kind, inputs, depth, trees, splitInputs, minLeaf, b, hidden, epochs, scalePercentile, seed);
    }

    /** The options that matter for this kind, for tables and provenance: "depth 10, min-leaf 5, balance none". */
    public String describe() {
        return switch (kind) {
            case DT -> "depth " + depth + ", min-leaf " + num(minLeaf) + ", balance " + balance.id();
            case RF -> trees + " trees, depth " + depth + ", split-inputs " + splitInputsOrDefault() + ", min-leaf " + num(minLeaf) + ", balance " + balance.id();
            case MLP -> "hidden " + java.util.Arrays.toString(hidden) + ", epochs " + epochs + ", balance " + balance.id();
        };
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    @Override
    public int[] hidden() {
        return hidden.clone();
    }
}
