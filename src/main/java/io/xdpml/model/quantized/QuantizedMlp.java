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
 * confidence: margin = acc[class] - (the highest other acc), 0 on a tie;
 *            confidenceLevel[i] for the highest i with margin &gt;= confidenceMargin[i]
 * </pre>
 *
 * The calibration table ({@link #calibrated}) maps margins to the share of right answers among
 * training vectors with such margins; without one every class has confidence 1000.
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
    private final long[] confidenceMargin;
    private final int[] confidenceLevel;
    private final int maxWidth;
    /** Most entries of the calibration table ({@code XDPML_CONF_LEVELS}). */
    public static final int CONFIDENCE_LEVELS = 16;

    public QuantizedMlp(int[] inputIndex, long[] inputMin, long[] inputMax, Layer... layers) {
        this(inputIndex, inputMin, inputMax, new long[] {0}, new int[] {CONFIDENCE_MAX}, layers);
    }

    /**
     * @param confidenceMargin ascending margins, the first 0
     * @param confidenceLevel  the confidence (thousandths) from each margin on, not decreasing
     */
    public QuantizedMlp(int[] inputIndex, long[] inputMin, long[] inputMax, long[] confidenceMargin, int[] confidenceLevel,
                        Layer... layers) {
        this.inputIndex = inputIndex.clone();
        this.inputMin = inputMin.clone();
        this.inputMax = inputMax.clone();
        this.layers = layers.clone();
        this.confidenceMargin = confidenceMargin.clone();
        this.confidenceLevel = confidenceLevel.clone();
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
        int levels = confidenceMargin.length;
        require(levels >= 1 && levels <= CONFIDENCE_LEVELS && confidenceLevel.length == levels,
                "confidence table: 1.." + CONFIDENCE_LEVELS + " margins with one level each");
        require(confidenceMargin[0] == 0, "confidence table: the first margin must be 0");
        for (int i = 0; i < levels; i++) {
            require(i == 0 || confidenceMargin[i] > confidenceMargin[i - 1], "confidence table: margins must ascend");
            require(i == 0 || confidenceLevel[i] >= confidenceLevel[i - 1], "confidence table: levels must not decrease");
            require(confidenceLevel[i] >= 0 && confidenceLevel[i] <= CONFIDENCE_MAX, "confidence table: levels are 0.." + CONFIDENCE_MAX);
        }
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
    public int scored(long[] x) {
        // allocation-free: per-thread scratch for the two activation vectors
        int[][] s = SCRATCH.get();
        return scored(x, s[0], s[1]);
    }

    /** As {@link #scored(long[])} with caller-owned scratch of at least {@link #maxWidth()} each. */
    public int scored(long[] x, int[] a, int[] b) {
        int[] out = outputs(x, a, b);
        int best = argmax(out);
        return IntegerModel.scored(best, confidence(margin(out, best)));
    }

    /** The calibrated confidence of a margin between the two highest outputs. */
    public int confidence(long margin) {
        int c = confidenceLevel[0];
        for (int i = 1; i < confidenceMargin.length; i++) {
            if (margin >= confidenceMargin[i]) {
                c = confidenceLevel[i];
            }
        }
        return c;
    }

    /** The margin between the two highest outputs for {@code x}. */
    public long margin(long[] x) {
        int[][] s = SCRATCH.get();
        int[] out = outputs(x, s[0], s[1]);
        return margin(out, argmax(out));
    }

    /** The highest output's index, ties to the lowest. */
    private int argmax(int[] out) {
        int best = 0;
        for (int k = 1; k < classCount(); k++) {
            if (out[k] > out[best]) {
                best = k;
            }
        }
        return best;
    }

    /** out[best] minus the highest other output (0 when another ties it). */
    private long margin(int[] out, int best) {
        long second = Long.MIN_VALUE;
        for (int k = 0; k < classCount(); k++) {
            if (k != best && out[k] > second) {
                second = out[k];
            }
        }
        return out[best] - second;
    }

    /** The output layer's raw sums (in a or b). */
    private int[] outputs(long[] x, int[] a, int[] b) {
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
        return cur;
    }

    /**
     * This model with a calibration table measured on labeled input vectors (usually the training
     * set): the vectors sorted by margin and cut into up to 16 groups of equal size (a margin is
     * never split); each group's level is its share of right answers, Laplace-smoothed
     * ({@code (right + 1) / (n + 2)}), then made non-decreasing by pooling adjacent groups that
     * break the order (isotonic regression). The first margin is 0, so every margin has a level.
     */
    public QuantizedMlp calibrated(java.util.List<long[]> inputs, int[] labels) {
        int n = labels.length;
        long[][] byMargin = new long[n][2]; // margin, right (1/0)
        for (int s = 0; s < n; s++) {
            long[] x = inputs.get(s);
            byMargin[s][0] = margin(x);
            byMargin[s][1] = classify(x) == labels[s] ? 1 : 0;
        }
        java.util.Arrays.sort(byMargin, java.util.Comparator.comparingLong(r -> r[0]));
        java.util.List<long[]> groups = new java.util.ArrayList<>(); // first margin, right, count
        int per = Math.max(1, (n + CONFIDENCE_LEVELS - 1) / CONFIDENCE_LEVELS);
        for (int i = 0; i < n; ) {
            int end = Math.min(n, i + per);
            while (end < n && byMargin[end][0] == byMargin[end - 1][0]) {
                end++;
            }
            long right = 0;
            for (int j = i; j < end; j++) {
                right += byMargin[j][1];
            }
            groups.add(new long[] {groups.isEmpty() ? 0 : byMargin[i][0], right, end - i});
            i = end;
        }
        if (groups.isEmpty()) {
            return this;
        }
        // pool adjacent violators: merge a group into the one before while its share is lower
        java.util.List<long[]> pooled = new java.util.ArrayList<>();
        for (long[] g : groups) {
            long[] cur = g.clone();
            while (!pooled.isEmpty()) {
                long[] prev = pooled.getLast();
                if ((prev[1] + 1) * (cur[2] + 2) <= (cur[1] + 1) * (prev[2] + 2)) {
                    break;
                }
                pooled.removeLast();
                cur = new long[] {prev[0], prev[1] + cur[1], prev[2] + cur[2]};
            }
            pooled.add(cur);
        }
        long[] margins = new long[pooled.size()];
        int[] levels = new int[pooled.size()];
        for (int i = 0; i < margins.length; i++) {
            long[] g = pooled.get(i);
            margins[i] = g[0];
            levels[i] = (int) (CONFIDENCE_MAX * (g[1] + 1) / (g[2] + 2));
            if (i > 0 && levels[i] < levels[i - 1]) {
                levels[i] = levels[i - 1]; // floor rounding of two equal shares
            }
        }
        return new QuantizedMlp(inputIndex, inputMin, inputMax, margins, levels, layers);
    }

    public long[] confidenceMargin() {
        return confidenceMargin.clone();
    }

    public int[] confidenceLevel() {
        return confidenceLevel.clone();
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
