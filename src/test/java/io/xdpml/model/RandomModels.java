package io.xdpml.model;

import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.JavaFlowEngine;
import io.xdpml.kernel.TestRun;
import io.xdpml.model.quantized.QuantizedMlp;
import io.xdpml.model.quantized.TreeEnsemble;
import java.io.IOException;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.PcapFormatException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Seeded random integer models whose thresholds and input ranges come from real input vectors,
 * so that their splits divide real traffic (a threshold drawn from nowhere would send every
 * packet down the same path and test nothing).
 */
public final class RandomModels {
    private final Random random;
    /** Confidences are drawn apart, so that the models' structure is what it was before they had any. */
    private final Random confidences;
    private final List<long[]> samples;

    public RandomModels(long seed, List<long[]> samples) {
        this.random = new Random(seed);
        this.confidences = new Random(seed ^ 0x5eed);
        this.samples = samples;
    }

    /** Input vectors of up to {@code max} packets of a capture, computed by the Java reference. */
    public static List<long[]> samples(Path capture, int max) throws IOException {
        List<long[]> out = new ArrayList<>();
        JavaFlowEngine engine = new JavaFlowEngine(new FlowConfig(1 << 18, 120_000_000_000L, 4789), TestRun.maxTestRunFrame());
        EthernetFramer framer = new EthernetFramer();
        try (CaptureReader r = CaptureReader.open(capture)) {
            while (out.size() < max && r.next()) {
                int length = Math.min(framer.frame(r), TestRun.maxTestRunFrame());
                if (length < 14) {
                    continue;
                }
                engine.packet(framer.frameSegment(), length, r.timestampNanos());
                if (engine.lastUpdated() != null) {
                    long[] x = new long[ModelInputs.COUNT];
                    ModelInputs.compute(engine.lastUpdated(), engine.lastPacket().key(), engine.lastPacket().normLength(),
                            engine.lastPacket().fromA(), x);
                    out.add(x);
                }
            }
        } catch (PcapFormatException e) {
            // a damaged tail: keep what was read
        }
        return out;
    }

    private long thresholdFor(int input) {
        long[] x = samples.get(random.nextInt(samples.size()));
        return x[input];
    }

    /** A forest of {@code trees} full-ish random trees of the given depth over all inputs. */
    public TreeEnsemble forest(int classes, int trees, int depth) {
        List<int[]> f = new ArrayList<>();
        List<Long> thr = new ArrayList<>();
        List<Integer> right = new ArrayList<>();
        List<Integer> leaf = new ArrayList<>();
        int[] roots = new int[trees];
        for (int t = 0; t < trees; t++) {
            roots[t] = leaf.size();
            grow(classes, depth, f, thr, right, leaf);
        }
        int n = leaf.size();
        int[] feature = new int[n];
        long[] threshold = new long[n];
        int[] r = new int[n];
        int[] lc = new int[n];
        int[] conf = new int[n];
        for (int i = 0; i < n; i++) {
            feature[i] = f.get(i)[0];
            threshold[i] = thr.get(i);
            r[i] = right.get(i);
            lc[i] = leaf.get(i);
            conf[i] = feature[i] == TreeEnsemble.LEAF ? confidences.nextInt(1001) : 0;
        }
        return new TreeEnsemble(classes, roots, feature, threshold, r, lc, conf);
    }

    private void grow(int classes, int depth, List<int[]> f, List<Long> thr, List<Integer> right, List<Integer> leaf) {
        int i = leaf.size();
        // stop early now and then, so leaves sit at many depths
        if (depth == 0 || (depth < 6 && random.nextInt(5) == 0)) {
            f.add(new int[] {TreeEnsemble.LEAF});
            thr.add(0L);
            right.add(0);
            leaf.add(random.nextInt(classes));
            return;
        }
        int input = random.nextInt(ModelInputs.COUNT);
        f.add(new int[] {input});
        thr.add(thresholdFor(input));
        right.add(-1);
        leaf.add(0);
        grow(classes, depth - 1, f, thr, right, leaf);
        right.set(i, leaf.size());
        grow(classes, depth - 1, f, thr, right, leaf);
    }

    /** An MLP inputs -> hidden... -> classes with random int8 weights and real input ranges. */
    public QuantizedMlp mlp(int inputs, int[] hidden, int classes) {
        int[] idx = new int[inputs];
        long[] min = new long[inputs];
        long[] max = new long[inputs];
        for (int j = 0; j < inputs; j++) {
            idx[j] = random.nextInt(ModelInputs.COUNT);
            final int in = idx[j];
            long[] v = samples.stream().mapToLong(x -> x[in]).sorted().toArray();
            min[j] = v[v.length / 20];
            max[j] = Math.max(min[j] + 1, v[v.length * 19 / 20]);
            if (max[j] - min[j] >= (1L << 56)) {
                max[j] = min[j] + (1L << 55);
            }
        }
        int[] widths = new int[hidden.length + 2];
        widths[0] = inputs;
        System.arraycopy(hidden, 0, widths, 1, hidden.length);
        widths[widths.length - 1] = classes;
        QuantizedMlp.Layer[] layers = new QuantizedMlp.Layer[widths.length - 1];
        for (int l = 0; l < layers.length; l++) {
            int in = widths[l];
            int out = widths[l + 1];
            byte[] w = new byte[in * out];
            for (int i = 0; i < w.length; i++) {
                w[i] = (byte) (random.nextInt(255) - 127);
            }
            boolean last = l == layers.length - 1;
            int[] b = new int[out];
            for (int k = 0; k < out; k++) {
                b[k] = last ? random.nextInt(4_001) - 2_000 : random.nextInt(40_001) - 20_000;
            }
            int[] m = new int[last ? 0 : out];
            for (int k = 0; k < m.length; k++) {
                m[k] = 100 + random.nextInt(1500);
            }
            if (m.length > 0) {
                m[0] = 0; // a dead neuron, as MlpQuantizer leaves one never active on its calibration data
            }
            layers[l] = new QuantizedMlp.Layer(in, out, w, b, m);
        }
        QuantizedMlp plain = new QuantizedMlp(idx, min, max, layers);
        // a calibration table over the margins the samples give: up to 16 random cut points
        long[] margins = samples.stream().mapToLong(plain::margin).filter(v -> v > 0).distinct().sorted().toArray();
        int levels = 1 + (margins.length == 0 ? 0 : confidences.nextInt(Math.min(15, margins.length)) + 1);
        long[] at = new long[levels];
        int[] level = new int[levels];
        level[0] = confidences.nextInt(501);
        for (int i = 1; i < levels; i++) {
            at[i] = margins[(int) ((long) margins.length * i / levels)];
            level[i] = Math.min(1000, level[i - 1] + confidences.nextInt(100));
        }
        at = java.util.Arrays.stream(at).distinct().toArray();
        return new QuantizedMlp(idx, min, max, at, java.util.Arrays.copyOf(level, at.length), layers);
    }

    /** How many distinct classes a model gives over the samples (a sanity check of the test). */
    public static long distinctClasses(io.xdpml.model.quantized.IntegerModel m, List<long[]> samples) {
        return samples.stream().mapToInt(m::classify).distinct().count();
    }

    static String describe(long[] x) {
        return Arrays.toString(x);
    }
}
