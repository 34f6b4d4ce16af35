package io.xdpml.model.train;

import io.xdpml.model.data.Dataset;
import io.xdpml.model.quantized.QuantizedMlp;
import java.util.Arrays;

/**
 * Post-training quantization of a {@link FloatMlp} into the kernel's {@link QuantizedMlp}.
 *
 * <p>Layer l's integer input {@code a[j]} stands for the real value {@code a[j] * s[j]} (the
 * inputs: {@code s = 1/127}, exactly what the float model reads). Folding {@code s} into the
 * weights gives {@code W'[k][j] = W[k][j] * s[j]}; each hidden neuron k gets a symmetric int8
 * scale {@code sw[k] = max_j |W'[k][j]| / 127} (per neuron), weights {@code round(W' / sw)}, and
 * its bias in accumulator units {@code round(b[k] / sw[k])}. Its output activation scale
 * {@code so[k]} is the 99.9th percentile of its float activation over calibration samples / 127
 * (where that is 0, the highest activation / 127), so {@code a'[k] = round(acc * sw[k] / so[k])}:
 * the Q16 multiplier is {@code round(2^16 * sw[k] / so[k])}. A neuron never active on the
 * calibration samples gets {@code so[k] = 0} and multiplier 0: it outputs 0, and its column of
 * the next layer folds to 0. The output layer needs comparable accumulators for argmax:
 * one scale for the whole layer.
 */
public final class MlpQuantizer {
    /** Calibration: at most this many training samples (a seeded choice when there are more). */
    static final int CALIBRATION_SAMPLES = 20_000;
    static final double ACTIVATION_PERCENTILE = 99.9;

    private MlpQuantizer() {}

    public static QuantizedMlp quantize(FloatMlp mlp, Dataset calibration, long seed) {
        int layers = mlp.layers().size();
        double[][][] acts = activations(mlp, calibration, seed);
        double[] inScale = new double[mlp.inputIndex().length];
        Arrays.fill(inScale, 1.0 / QuantizedMlp.LEVELS);
        QuantizedMlp.Layer[] out = new QuantizedMlp.Layer[layers];
        for (int l = 0; l < layers; l++) {
            FloatMlp.Layer f = mlp.layers().get(l);
            boolean last = l == layers - 1;
            int in = f.in();
            int o = f.out();
            double[] folded = new double[in * o];
            for (int k = 0; k < o; k++) {
                for (int j = 0; j < in; j++) {
                    folded[k * in + j] = f.weights()[k * in + j] * inScale[j];
                }
            }
            double[] sw = new double[o];
            if (last) {
                double m = maxAbs(folded, 0, folded.length);
                Arrays.fill(sw, m > 0 ? m / QuantizedMlp.LEVELS : 1);
            } else {
                for (int k = 0; k < o; k++) {
                    double m = maxAbs(folded, k * in, (k + 1) * in);
                    sw[k] = m > 0 ? m / QuantizedMlp.LEVELS : 1;
                }
            }
            byte[] wq = new byte[in * o];
            int[] bias = new int[o];
            int[] mult = new int[last ? 0 : o];
            double[] outScale = new double[o];
            for (int k = 0; k < o; k++) {
                for (int j = 0; j < in; j++) {
                    long q = Math.round(folded[k * in + j] / sw[k]);
                    wq[k * in + j] = (byte) Math.max(-QuantizedMlp.LEVELS, Math.min(QuantizedMlp.LEVELS, q));
                }
                long bq = Math.round(f.bias()[k] / sw[k]);
                bias[k] = (int) Math.max(-(QuantizedMlp.MAX_BIAS - 1), Math.min(QuantizedMlp.MAX_BIAS - 1, bq));
                if (!last) {
                    double top = activationTop(acts, l + 1, k);
                    // a neuron never active on the calibration data: scale 0, so its output is 0
                    // and its column of the next layer folds to 0 (any other scale would let its
                    // raw weights set that layer's int8 scales and squeeze the live ones)
                    outScale[k] = top / QuantizedMlp.LEVELS;
                    long m = top > 0 ? Math.round(sw[k] / outScale[k] * (1 << QuantizedMlp.SHIFT)) : 0;
                    mult[k] = (int) Math.max(0, Math.min(QuantizedMlp.MAX_MULT - 1, m));
                }
            }
            out[l] = new QuantizedMlp.Layer(in, o, wq, bias, mult);
            inScale = outScale;
        }
        return new QuantizedMlp(mlp.inputIndex(), mlp.inputMin(), mlp.inputMax(), out);
    }

    private static double maxAbs(double[] v, int from, int to) {
        double m = 0;
        for (int i = from; i < to; i++) {
            m = Math.max(m, Math.abs(v[i]));
        }
        return m;
    }

    /** acts[sample][layer][neuron] of the float model on (a seeded subset of) the calibration data. */
    private static double[][][] activations(FloatMlp mlp, Dataset d, long seed) {
        int n = Math.min(d.size(), CALIBRATION_SAMPLES);
        int[] pick = new int[n];
        if (n == d.size()) {
            for (int i = 0; i < n; i++) {
                pick[i] = i;
            }
        } else {
            java.util.Random r = new java.util.Random(seed);
            for (int i = 0; i < n; i++) {
                pick[i] = r.nextInt(d.size());
            }
        }
        double[][][] a = new double[n][][];
        for (int i = 0; i < n; i++) {
            a[i] = mlp.forward(mlp.scaledInputs(d.inputs(pick[i])));
        }
        return a;
    }

    /**
     * The activation that becomes 127: the 99.9th percentile, or where that is 0 (a neuron active
     * on fewer than 0.1% of the samples, e.g. only on a rare class's) the highest; 0 only for a
     * neuron never active.
     */
    private static double activationTop(double[][][] acts, int layer, int k) {
        double top = percentile(acts, layer, k, ACTIVATION_PERCENTILE);
        if (top > 0) {
            return top;
        }
        double max = 0;
        for (double[][] a : acts) {
            max = Math.max(max, a[layer][k]);
        }
        return max;
    }

    private static double percentile(double[][][] acts, int layer, int k, double p) {
        if (acts.length == 0) {
            return 0;
        }
        double[] v = new double[acts.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = acts[i][layer][k];
        }
        Arrays.sort(v);
        return v[(int) Math.min(v.length - 1, Math.round(p / 100.0 * (v.length - 1)))];
    }
}
