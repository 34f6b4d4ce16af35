package io.xdpml.model.quantized;

import io.xdpml.model.ModelInputs;
import java.util.Arrays;

/**
 * A multi-layer perceptron in integers only: the form the kernel runs, one layer per tail call.
 *
 * <pre>
 * input j:   v = x[inputIndex[j]]  (u64)
 *            a0[j] = v &lt;= min[j] ? 0 : v &gt;= max[j] ? 127 : (v - min[j]) * 127 / (max[j] - min[j])
 * layer l:   acc[k] = bias[k] + sum_j w[k][j] * a[j]            (int32; w int8, a in 0..127)
 * hidden:    a'[k] = clamp((acc[k] * mult[k] + 2^15) &gt;&gt; 16, 0, 127)   (ReLU, per-neuron Q16 scale)
 * output:    class = argmax_k acc[k], ties to the lowest k
 * </pre>
 *
 * Ranges are checked here so that no step can overflow: |bias| &lt; 2^24, 0 &lt;= mult &lt; 2^24,
 * max - min &lt; 2^56, so every product fits the kernel's 64-bit (and the sums its 32-bit) registers.
 */
public final class QuantizedMlp implements IntegerModel {
    public static final int LEVELS = 127;
    public static final int SHIFT = 16;
    /** The kernel's limits ({@code XDPML_MLP_MAX_IN}, {@code _MAX_WIDTH}, {@code _MAX_LAYERS}). */
    public static final int MAX_IN = 32;
    public static final int MAX_WIDTH = 32;
    public static final int MAX_LAYERS = 3;
    public static final int MAX_BIAS = 1 << 24;
    public static final int MAX_MULT = 1 << 24;

    /** One layer: {@code weights[k * in + j]} is the weight from input j to output k. */
    public record Layer(int in, int out, byte[] weights, int[] bias, int[] multiplier) {
        public Layer {
            weights = weights.clone();
            bias = bias.clone();
            multiplier = multiplier.clone();
        }

        @Override
        public byte[] weights() {
            return weights.clone();
        }

        @Override
        public int[] bias() {
            return bias.clone();
        }

        @Override
        public int[] multiplier() {
            return multiplier.clone();
        }

        int weight(int k, int j) {
            return weights[k * in + j];
        }
    }

    private final int[] inputIndex;
    private final long[] inputMin;
    private final long[] inputMax;
    private final Layer[] layers;
    private final int maxWidth;

    public QuantizedMlp(int[] inputIndex, long[] inputMin, long[] inputMax, Layer... layers) {
        this.inputIndex = inputIndex.clone();
        this.inputMin = inputMin.clone();
        this.inputMax = inputMax.clone();
        this.layers = layers.clone();
        validate();
        int w = inputIndex.length;
        for (Layer l : layers) {
            w = Math.max(w, l.out());
        }
        this.maxWidth = w;
    }

    private void validate() {
        int n = inputIndex.length;
        require(n >= 1 && n <= MAX_IN, "inputs must be 1.." + MAX_IN + ", not " + n);
        require(inputMin.length == n && inputMax.length == n, "input scaling arrays differ in length");
        for (int j = 0; j < n; j++) {
            require(inputIndex[j] >= 0 && inputIndex[j] < ModelInputs.COUNT, "input " + j + ": index " + inputIndex[j] + " out of range");
            require(inputMin[j] >= 0 && inputMax[j] > inputMin[j], "input " + j + ": needs 0 <= min < max");
            require(inputMax[j] - inputMin[j] < (1L << 56), "input " + j + ": range max - min must be < 2^56");
        }
        require(layers.length >= 1 && layers.length <= MAX_LAYERS, "layers must be 1.." + MAX_LAYERS + ", not " + layers.length);
        int in = n;
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            boolean last = l == layers.length - 1;
            require(layer.in() == in, "layer " + l + ": " + layer.in() + " inputs, the layer before gives " + in);
            require(layer.out() >= 1 && layer.out() <= (last ? IntegerModel.MAX_CLASSES : MAX_WIDTH), "layer " + l + ": width " + layer.out() + " out of range");
            require(layer.weights.length == layer.in() * layer.out(), "layer " + l + ": weights must be in * out");
            require(layer.bias.length == layer.out(), "layer " + l + ": one bias per output");
            require(layer.multiplier.length == (last ? 0 : layer.out()), "layer " + l + (last ? ": the output layer has no multipliers" : ": one multiplier per output"));
            for (int b : layer.bias) {
                require(Math.abs((long) b) < MAX_BIAS, "layer " + l + ": bias " + b + " out of range");
            }
            for (int m : layer.multiplier) {
                require(m >= 0 && m < MAX_MULT, "layer " + l + ": multiplier " + m + " out of range");
            }
            for (byte w : layer.weights) {
                require(w != Byte.MIN_VALUE, "layer " + l + ": weights must be in -127..127");
            }
            in = layer.out();
        }
        require(in >= 2, "the output layer needs at least 2 classes");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    @Override
    public int classCount() {
        return layers[layers.length - 1].out();
    }

    /** The quantized input j (0..127) of input vector x. */
    public int quantizeInput(int j, long[] x) {
        long v = x[inputIndex[j]];
        long min = inputMin[j];
        long max = inputMax[j];
        if (Long.compareUnsigned(v, min) <= 0) {
            return 0;
        }
        if (Long.compareUnsigned(v, max) >= 0) {
            return LEVELS;
        }
        return (int) Long.divideUnsigned((v - min) * LEVELS, max - min);
    }

    /** Requantisation of a hidden neuron: clamp((acc * mult + 2^15) >> 16, 0, 127). */
    public static int requantize(int acc, int mult) {
        long r = ((long) acc * mult + (1L << (SHIFT - 1))) >> SHIFT;
        return (int) Math.max(0, Math.min(LEVELS, r));
    }

    @Override
    public int classify(long[] x) {
        // allocation-free: per-thread scratch for the two activation vectors
        int[][] s = SCRATCH.get();
        return classify(x, s[0], s[1]);
    }

    /** As {@link #classify(long[])} with caller-owned scratch of at least {@link #maxWidth()} each. */
    public int classify(long[] x, int[] a, int[] b) {
        int n = inputIndex.length;
        for (int j = 0; j < n; j++) {
            a[j] = quantizeInput(j, x);
        }
        int[] cur = a;
        int[] next = b;
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            boolean last = l == layers.length - 1;
            for (int k = 0; k < layer.out(); k++) {
                int acc = layer.bias[k];
                int row = k * layer.in();
                for (int j = 0; j < layer.in(); j++) {
                    acc += layer.weights[row + j] * cur[j];
                }
                next[k] = last ? acc : requantize(acc, layer.multiplier[k]);
            }
            int[] t = cur;
            cur = next;
            next = t;
        }
        int best = 0;
        for (int k = 1; k < classCount(); k++) {
            if (cur[k] > cur[best]) {
                best = k;
            }
        }
        return best;
    }

    private static final ThreadLocal<int[][]> SCRATCH = ThreadLocal.withInitial(() -> new int[2][Math.max(MAX_IN, MAX_WIDTH)]);

    public int maxWidth() {
        return maxWidth;
    }

    @Override
    public int[] inputsUsed() {
        return Arrays.stream(inputIndex).distinct().sorted().toArray();
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

    public int layerCount() {
        return layers.length;
    }

    public Layer layer(int l) {
        return layers[l];
    }
}
