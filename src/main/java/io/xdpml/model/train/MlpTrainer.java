package io.xdpml.model.train;

import io.xdpml.model.ModelInputs;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.quantized.QuantizedMlp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Trains a small MLP (inputs -> hidden ReLU layers -> classes) by mini-batch Adam on softmax
 * cross-entropy, with a fixed seed. Inputs are min-max scaled with the max at a high percentile
 * of the training values (an outlier does not squash everything else into one step) and read in
 * the kernel's 128 steps (see {@link FloatMlp#scaled}). Written by hand: Tribuo has no plain-Java
 * MLP. Small and simple on purpose: a few thousand to a few hundred thousand samples, widths of
 * 16.
 */
public final class MlpTrainer {
    private static final int BATCH = 32;
    private static final double LEARNING_RATE = 0.003;
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;

    private MlpTrainer() {}

    public static FloatMlp train(Dataset data, TrainOptions o) {
        int[] hidden = o.hidden();
        if (hidden.length < 1 || hidden.length > QuantizedMlp.MAX_LAYERS - 1) {
            throw new IllegalArgumentException("hidden layers must be 1.." + (QuantizedMlp.MAX_LAYERS - 1) + ", not " + hidden.length);
        }
        for (int h : hidden) {
            if (h < 1 || h > QuantizedMlp.MAX_WIDTH) {
                throw new IllegalArgumentException("hidden width must be 1.." + QuantizedMlp.MAX_WIDTH + ", not " + h);
            }
        }
        if (o.inputs().size() > QuantizedMlp.MAX_IN) {
            throw new IllegalArgumentException("an MLP reads at most " + QuantizedMlp.MAX_IN + " inputs, not " + o.inputs().size());
        }
        if (o.epochs() < 1) {
            throw new IllegalArgumentException("epochs must be >= 1");
        }
        int[] index = o.inputs().stream().mapToInt(ModelInputs::index).toArray();
        long[][] range = scaling(data, index, o.scalePercentile());
        int k = data.classes().size();
        int[] widths = new int[hidden.length + 2];
        widths[0] = index.length;
        System.arraycopy(hidden, 0, widths, 1, hidden.length);
        widths[widths.length - 1] = k;

        Random random = new Random(o.seed());
        int layers = widths.length - 1;
        double[][] w = new double[layers][];
        double[][] b = new double[layers][];
        for (int l = 0; l < layers; l++) {
            w[l] = new double[widths[l] * widths[l + 1]];
            b[l] = new double[widths[l + 1]];
            double limit = Math.sqrt(6.0 / widths[l]); // He uniform, for ReLU
            for (int i = 0; i < w[l].length; i++) {
                w[l][i] = (random.nextDouble() * 2 - 1) * limit;
            }
        }
        FloatMlp shape = build(index, range, widths, w, b);
        int n = data.size();
        double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            x[i] = shape.scaledInputs(data.inputs(i));
        }
        new Adam(widths, w, b).run(x, data, o.balance().weights(data.classCounts()), o.epochs(), random);
        return build(index, range, widths, w, b);
    }

    private static FloatMlp build(int[] index, long[][] range, int[] widths, double[][] w, double[][] b) {
        List<FloatMlp.Layer> ls = new ArrayList<>();
        for (int l = 0; l < widths.length - 1; l++) {
            ls.add(new FloatMlp.Layer(widths[l], widths[l + 1], w[l].clone(), b[l].clone()));
        }
        return new FloatMlp(index, range[0], range[1], ls);
    }

    /** Per input: min over the data, max at the given percentile (at least min + 1). */
    static long[][] scaling(Dataset data, int[] index, double percentile) {
        long[] min = new long[index.length];
        long[] max = new long[index.length];
        double[] v = new double[data.size()];
        for (int j = 0; j < index.length; j++) {
            long lo = Long.MAX_VALUE;
            for (int i = 0; i < data.size(); i++) {
                long x = data.inputs(i)[index[j]];
                v[i] = FloatTreeEnsemble.unsigned(x);
                if (x >= 0 && x < lo) {
                    lo = x;
                }
            }
            Arrays.sort(v);
            lo = lo == Long.MAX_VALUE ? 0 : lo;
            double p = v.length == 0 ? 0 : v[(int) Math.min(v.length - 1, Math.floor(percentile / 100.0 * (v.length - 1) + 0.5))];
            long hi = p >= 0x1p62 ? 1L << 62 : (long) Math.ceil(p);
            if (hi <= lo) {
                // a near-constant input: take the largest value, or any step above min
                double top = v.length == 0 ? 0 : v[v.length - 1];
                hi = top > lo && top < 0x1p62 ? (long) Math.ceil(top) : lo + 1;
            }
            min[j] = lo;
            max[j] = hi;
        }
        return new long[][] {min, max};
    }

    /** Mini-batch Adam on softmax cross-entropy. */
    private static final class Adam {
        final int[] widths;
        final double[][] w;
        final double[][] b;
        final double[][] mw;
        final double[][] vw;
        final double[][] mb;
        final double[][] vb;
        final double[][] gw;
        final double[][] gb;
        long step;

        Adam(int[] widths, double[][] w, double[][] b) {
            this.widths = widths;
            this.w = w;
            this.b = b;
            int layers = w.length;
            mw = new double[layers][];
            vw = new double[layers][];
            mb = new double[layers][];
            vb = new double[layers][];
            gw = new double[layers][];
            gb = new double[layers][];
            for (int l = 0; l < layers; l++) {
                mw[l] = new double[w[l].length];
                vw[l] = new double[w[l].length];
                gw[l] = new double[w[l].length];
                mb[l] = new double[b[l].length];
                vb[l] = new double[b[l].length];
                gb[l] = new double[b[l].length];
            }
        }

        void run(double[][] x, Dataset data, double[] classWeight, int epochs, Random random) {
            int n = x.length;
            int[] order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            int layers = w.length;
            double[][] act = new double[layers + 1][];
            double[][] delta = new double[layers][];
            for (int l = 0; l < layers; l++) {
                act[l + 1] = new double[widths[l + 1]];
                delta[l] = new double[widths[l + 1]];
            }
            for (int epoch = 0; epoch < epochs; epoch++) {
                for (int i = n - 1; i > 0; i--) {
                    int j = random.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                // learning rate decays linearly to a tenth over the epochs
                double lr = LEARNING_RATE * (1 - 0.9 * epoch / (double) epochs);
                for (int start = 0; start < n; start += BATCH) {
                    int end = Math.min(n, start + BATCH);
                    for (int l = 0; l < layers; l++) {
                        Arrays.fill(gw[l], 0);
                        Arrays.fill(gb[l], 0);
                    }
                    for (int s = start; s < end; s++) {
                        int i = order[s];
                        act[0] = x[i];
                        forward(act);
                        backward(act, delta, data.label(i), classWeight[data.label(i)]);
                    }
                    update(lr, end - start);
                }
            }
        }

        private void forward(double[][] act) {
            int layers = w.length;
            for (int l = 0; l < layers; l++) {
                int in = widths[l];
                int out = widths[l + 1];
                double[] a = act[l];
                double[] z = act[l + 1];
                for (int k = 0; k < out; k++) {
                    double acc = b[l][k];
                    int row = k * in;
                    for (int j = 0; j < in; j++) {
                        acc += w[l][row + j] * a[j];
                    }
                    z[k] = l == layers - 1 ? acc : Math.max(0, acc);
                }
            }
        }

        private void backward(double[][] act, double[][] delta, int label, double weight) {
            int layers = w.length;
            double[] out = act[layers];
            double max = Double.NEGATIVE_INFINITY;
            for (double v : out) {
                max = Math.max(max, v);
            }
            double sum = 0;
            double[] d = delta[layers - 1];
            for (int k = 0; k < out.length; k++) {
                d[k] = Math.exp(out[k] - max);
                sum += d[k];
            }
            for (int k = 0; k < out.length; k++) {
                d[k] = (d[k] / sum - (k == label ? 1 : 0)) * weight; // the sample's loss scaled by its class weight
            }
            for (int l = layers - 1; l >= 0; l--) {
                int in = widths[l];
                int o = widths[l + 1];
                double[] a = act[l];
                double[] dl = delta[l];
                for (int k = 0; k < o; k++) {
                    gb[l][k] += dl[k];
                    int row = k * in;
                    for (int j = 0; j < in; j++) {
                        gw[l][row + j] += dl[k] * a[j];
                    }
                }
                if (l > 0) {
                    double[] prev = delta[l - 1];
                    for (int j = 0; j < in; j++) {
                        double s = 0;
                        if (a[j] > 0) { // ReLU derivative
                            for (int k = 0; k < o; k++) {
                                s += w[l][k * in + j] * dl[k];
                            }
                        }
                        prev[j] = s;
                    }
                }
            }
        }

        private void update(double lr, int batch) {
            step++;
            double c1 = 1 - Math.pow(BETA1, step);
            double c2 = 1 - Math.pow(BETA2, step);
            for (int l = 0; l < w.length; l++) {
                adam(w[l], gw[l], mw[l], vw[l], lr, batch, c1, c2);
                adam(b[l], gb[l], mb[l], vb[l], lr, batch, c1, c2);
            }
        }

        private static void adam(double[] p, double[] g, double[] m, double[] v, double lr, int batch, double c1, double c2) {
            for (int i = 0; i < p.length; i++) {
                double gi = g[i] / batch;
                m[i] = BETA1 * m[i] + (1 - BETA1) * gi;
                v[i] = BETA2 * v[i] + (1 - BETA2) * gi * gi;
                p[i] -= lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + EPS);
            }
        }
    }
}
