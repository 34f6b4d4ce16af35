package io.xdpml.model;

import io.xdpml.model.quantized.QuantizedMlp;
import io.xdpml.model.quantized.TreeEnsemble;
import java.util.Random;

/**
 * Models of fixed shape for benchmarks, where cost must not depend on what a model learnt:
 * complete trees (every packet walks the full depth) and an MLP with every weight in use, over
 * {@link ModelInputs#PAPER_INPUTS} as the published baseline's models are. Deterministic (seeded).
 */
public final class BenchModels {
    private BenchModels() {}

    /** A complete binary tree of the given depth: every root-to-leaf path tests {@code depth} inputs. */
    public static TreeEnsemble tree(int depth) {
        return forest(1, depth);
    }

    /** {@code trees} complete trees of the given depth, voting. */
    public static TreeEnsemble forest(int trees, int depth) {
        return forest(trees, depth, ModelInputs.PAPER_INPUTS);
    }

    /** A complete tree of the given depth over {@code inputs} only (depth 0: one leaf, no input read). */
    public static TreeEnsemble treeOver(int depth, java.util.List<String> inputs) {
        return forest(1, depth, inputs);
    }

    /** {@code trees} complete trees of the given depth over {@code inputs} only. */
    public static TreeEnsemble forestOver(int trees, int depth, java.util.List<String> inputs) {
        return forest(trees, depth, inputs);
    }

    private static TreeEnsemble forest(int trees, int depth, java.util.List<String> inputs) {
        int perTree = (1 << (depth + 1)) - 1;
        int n = trees * perTree;
        int[] feature = new int[n];
        long[] threshold = new long[n];
        int[] right = new int[n];
        int[] leafClass = new int[n];
        int[] roots = new int[trees];
        Random r = new Random(42);
        for (int t = 0; t < trees; t++) {
            roots[t] = t * perTree;
            fill(roots[t], depth, inputs, feature, threshold, right, leafClass, r);
        }
        return new TreeEnsemble(2, roots, feature, threshold, right, leafClass);
    }

    /** Fills the complete subtree rooted at i in pre-order; returns the index after it. */
    private static int fill(int i, int depth, java.util.List<String> inputs, int[] feature, long[] threshold, int[] right, int[] leafClass,
                            Random r) {
        if (depth == 0) {
            feature[i] = TreeEnsemble.LEAF;
            leafClass[i] = r.nextInt(2);
            return i + 1;
        }
        feature[i] = ModelInputs.index(inputs.get(r.nextInt(inputs.size())));
        threshold[i] = r.nextInt(1 << 16);
        int next = fill(i + 1, depth - 1, inputs, feature, threshold, right, leafClass, r);
        right[i] = next;
        return fill(next, depth - 1, inputs, feature, threshold, right, leafClass, r);
    }

    /** An MLP inputs -> hidden... -> classes over the first {@code inputs} model inputs. */
    public static QuantizedMlp mlp(int inputs, int[] hidden, int classes) {
        Random r = new Random(42);
        int[] idx = new int[inputs];
        long[] min = new long[inputs];
        long[] max = new long[inputs];
        for (int j = 0; j < inputs; j++) {
            idx[j] = ModelInputs.index(ModelInputs.PAPER_INPUTS.get(j % ModelInputs.PAPER_INPUTS.size()));
            max[j] = 1 + r.nextInt(100_000);
        }
        int[] w = new int[hidden.length + 2];
        w[0] = inputs;
        System.arraycopy(hidden, 0, w, 1, hidden.length);
        w[w.length - 1] = classes;
        QuantizedMlp.Layer[] layers = new QuantizedMlp.Layer[w.length - 1];
        for (int l = 0; l < layers.length; l++) {
            byte[] weights = new byte[w[l] * w[l + 1]];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = (byte) (r.nextInt(255) - 127);
            }
            int[] bias = new int[w[l + 1]];
            int[] mult = new int[l == layers.length - 1 ? 0 : w[l + 1]];
            for (int k = 0; k < mult.length; k++) {
                mult[k] = 100 + r.nextInt(1000);
            }
            layers[l] = new QuantizedMlp.Layer(w[l], w[l + 1], weights, bias, mult);
        }
        return new QuantizedMlp(idx, min, max, layers);
    }
}
