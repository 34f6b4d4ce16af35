package io.xdpml.model.train;

import io.xdpml.model.file.ModelKind;
import java.util.List;

/**
 * How to train: model kind, the inputs it may read (names of {@link io.xdpml.model.ModelInputs}),
 * tree depth and count, MLP hidden widths and training schedule, and the seed that makes it all
 * repeatable.
 */
public record TrainOptions(ModelKind kind, List<String> inputs, int depth, int trees, int[] hidden, int epochs,
                           double scalePercentile, long seed) {
    public static final int DEFAULT_DEPTH = 10;
    public static final int DEFAULT_TREES = 8;
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
    }

    public static TrainOptions defaults(ModelKind kind, List<String> inputs, long seed) {
        return new TrainOptions(kind, inputs, DEFAULT_DEPTH, DEFAULT_TREES, DEFAULT_HIDDEN, DEFAULT_EPOCHS, DEFAULT_SCALE_PERCENTILE, seed);
    }

    public TrainOptions withDepth(int d) {
        return new TrainOptions(kind, inputs, d, trees, hidden, epochs, scalePercentile, seed);
    }

    public TrainOptions withTrees(int t) {
        return new TrainOptions(kind, inputs, depth, t, hidden, epochs, scalePercentile, seed);
    }

    public TrainOptions withHidden(int[] h) {
        return new TrainOptions(kind, inputs, depth, trees, h, epochs, scalePercentile, seed);
    }

    public TrainOptions withEpochs(int e) {
        return new TrainOptions(kind, inputs, depth, trees, hidden, e, scalePercentile, seed);
    }

    @Override
    public int[] hidden() {
        return hidden.clone();
    }
}
