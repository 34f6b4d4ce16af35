package io.xdpml.model.train;

import io.xdpml.model.data.Dataset;
import io.xdpml.model.quantized.QuantizedMlp;

/** Placeholder until the MLP quantizer lands. */
final class MlpQuantizer {
    static QuantizedMlp quantize(FloatMlp m, Dataset d, long seed) {
        throw new UnsupportedOperationException("mlp quantization is not built yet");
    }
}
