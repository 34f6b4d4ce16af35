package io.xdpml.model.train;

import io.xdpml.model.ModelInputs;
import java.util.List;

/**
 * A multi-layer perceptron in floating point: inputs min-max scaled to [0, 1] (clamped), hidden
 * layers ReLU, the output layer linear, class = argmax (ties to the lowest). Quantized by
 * {@link MlpQuantizer} into the kernel's {@link io.xdpml.model.quantized.QuantizedMlp}, which
 * scales the inputs with the same min and max.
 */
public final class FloatMlp implements FloatModel {

    /** One layer: {@code weights[k * in + j]} from input j to output k. */
    public record Layer(int in, int out, double[] weights, double[] bias) {
        public Layer {
            if (in < 1 || out < 1 || weights.length != in * out || bias.length != out) {
                throw new IllegalArgumentException("layer shape: in " + in + ", out " + out + ", " + weights.length + " weights, " + bias.length + " biases");
            }
            for (double v : weights) {
                requireFinite(v);
            }
            for (double v : bias) {
                requireFinite(v);
            }
        }

        private static void requireFinite(double v) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("weight or bias not finite: " + v);
            }
        }
    }

    private final int[] inputIndex;
    private final long[] inputMin;
    private final long[] inputMax;
    private final List<Layer> layers;

    public FloatMlp(int[] inputIndex, long[] inputMin, long[] inputMax, List<Layer> layers) {
        this.inputIndex = inputIndex.clone();
        this.inputMin = inputMin.clone();
        this.inputMax = inputMax.clone();
        this.layers = List.copyOf(layers);
        if (inputMin.length != inputIndex.length || inputMax.length != inputIndex.length) {
            throw new IllegalArgumentException("input scaling arrays differ in length");
        }
        int in = inputIndex.length;
        for (int j = 0; j < in; j++) {
            if (inputIndex[j] < 0 || inputIndex[j] >= ModelInputs.COUNT) {
                throw new IllegalArgumentException("input " + j + ": index " + inputIndex[j] + " out of range");
            }
            if (!(inputMin[j] >= 0 && inputMax[j] > inputMin[j])) {
                throw new IllegalArgumentException("input " + j + ": needs 0 <= min < max");
            }
        }
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("no layers");
        }
        for (int l = 0; l < layers.size(); l++) {
            if (layers.get(l).in() != in) {
                throw new IllegalArgumentException("layer " + l + ": " + layers.get(l).in() + " inputs, the layer before gives " + in);
            }
            in = layers.get(l).out();
        }
        if (in < 2) {
            throw new IllegalArgumentException("the output layer needs at least 2 classes");
        }
    }

    public int[] inputIndex() {
        return inputIndex.clone();
    }

    public long[] inputMin() {
        return inputMin.clone();
    }

    public long[] inputMax() {
        return inputMax.clone();
    }

    public List<Layer> layers() {
        return layers;
    }

    @Override
    public int classCount() {
        return layers.getLast().out();
    }

    /**
     * Input j of vector x scaled to [0, 1] in the kernel's 128 steps: {@code q / 127} where q is
     * {@link io.xdpml.model.quantized.QuantizedMlp}'s integer input (floor of the min-max scaled
     * value times 127, clamped). The float model reads exactly what the integer model reads, so
     * quantization changes only weights and activations.
     */
    public double scaled(int j, long[] x) {
        return quantizedInput(x[inputIndex[j]], inputMin[j], inputMax[j]) / (double) io.xdpml.model.quantized.QuantizedMlp.LEVELS;
    }

    /** The integer input as QuantizedMlp computes it (0..127). */
    static int quantizedInput(long v, long min, long max) {
        if (Long.compareUnsigned(v, min) <= 0) {
            return 0;
        }
        if (Long.compareUnsigned(v, max) >= 0) {
            return io.xdpml.model.quantized.QuantizedMlp.LEVELS;
        }
        return (int) Long.divideUnsigned((v - min) * io.xdpml.model.quantized.QuantizedMlp.LEVELS, max - min);
    }

    /** The scaled input vector. */
    public double[] scaledInputs(long[] x) {
        double[] a = new double[inputIndex.length];
        for (int j = 0; j < a.length; j++) {
            a[j] = scaled(j, x);
        }
        return a;
    }

    /** Activations of every layer for scaled input a0: result[0] = a0, result[l + 1] = layer l's output. */
    public double[][] forward(double[] a0) {
        double[][] acts = new double[layers.size() + 1][];
        acts[0] = a0;
        for (int l = 0; l < layers.size(); l++) {
            Layer layer = layers.get(l);
            double[] cur = acts[l];
            double[] next = new double[layer.out()];
            for (int k = 0; k < layer.out(); k++) {
                double acc = layer.bias()[k];
                for (int j = 0; j < layer.in(); j++) {
                    acc += layer.weights()[k * layer.in() + j] * cur[j];
                }
                next[k] = l == layers.size() - 1 ? acc : Math.max(0, acc);
            }
            acts[l + 1] = next;
        }
        return acts;
    }

    @Override
    public int classify(long[] inputs) {
        double[] out = forward(scaledInputs(inputs))[layers.size()];
        int best = 0;
        for (int k = 1; k < out.length; k++) {
            if (out[k] > out[best]) {
                best = k;
            }
        }
        return best;
    }
}
