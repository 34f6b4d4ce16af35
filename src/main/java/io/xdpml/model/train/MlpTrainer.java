package io.xdpml.model.train;

import io.xdpml.model.data.Dataset;

/** Placeholder until the MLP trainer lands. */
final class MlpTrainer {
    static FloatMlp train(Dataset d, TrainOptions o) {
        throw new UnsupportedOperationException("mlp training is not built yet");
    }
}
