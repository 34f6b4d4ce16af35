package io.xdpml.model.quantized;

import io.xdpml.model.ModelInputs;
import java.util.Arrays;
import java.util.BitSet;

/**
 * A decision tree, or a forest of them, with integer thresholds: the form the kernel evaluates.
 *
 * <p>Nodes of all trees are in one array, each tree in pre-order from its root: an internal node
 * {@code i} tests input {@code feature[i]}; if the input is {@code <= threshold[i]} (both unsigned
 * 64-bit) the walk goes to {@code i + 1}, else to {@code right[i]}. A leaf has
 * {@code feature[i] == LEAF} and gives {@code leafClass[i]}. A forest votes: the class with the most
 * trees wins, ties to the lowest class index. Because the inputs are integers, a floating-point
 * split {@code x <= t} is the same test as {@code x <= floor(t)}: thresholds lose nothing.
 *
 * <p>Confidence (thousandths): each leaf carries its own, {@code leafConfidence[i]} (the share of
 * the leaf's class among the training samples that reach it, Laplace-smoothed: see
 * {@link #calibrated}); a tree's is its leaf's, a forest's is the sum over the trees that voted
 * for the winning class of their leaves' confidences, divided by the number of trees (integer
 * division): the mean probability the trees give the winner, counting a tree that voted
 * otherwise as 0.
 */
public final class TreeEnsemble implements IntegerModel {
    public static final int LEAF = -1;
    /** The kernel's limits ({@code XDPML_MODEL_MAX_NODES}, {@code _MAX_TREES}, {@code _MAX_DEPTH}). */
    public static final int MAX_NODES = 8192;
    public static final int MAX_TREES = 16;
    /** Most nodes on a root-to-leaf path (a tree of depth d has paths of d + 1 nodes). */
    public static final int MAX_PATH = 16;

    private final int classCount;
    private final int[] roots;
    private final int[] feature;
    private final long[] threshold;
    private final int[] right;
    private final int[] leafClass;
    private final int[] leafConfidence;

    /** As the full constructor with every leaf at full confidence (an uncalibrated model). */
    public TreeEnsemble(int classCount, int[] roots, int[] feature, long[] threshold, int[] right, int[] leafClass) {
        this(classCount, roots, feature, threshold, right, leafClass, fullConfidence(feature));
    }

    private static int[] fullConfidence(int[] feature) {
        int[] c = new int[feature.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = feature[i] == LEAF ? CONFIDENCE_MAX : 0;
        }
        return c;
    }

    /**
     * Checks everything the kernel relies on; IllegalArgumentException says what is wrong.
     *
     * @param roots first node of each tree; tree t spans {@code [roots[t], roots[t+1])}
     */
    public TreeEnsemble(int classCount, int[] roots, int[] feature, long[] threshold, int[] right, int[] leafClass,
                        int[] leafConfidence) {
        this.classCount = classCount;
        this.roots = roots.clone();
        this.feature = feature.clone();
        this.threshold = threshold.clone();
        this.right = right.clone();
        this.leafClass = leafClass.clone();
        this.leafConfidence = leafConfidence.clone();
        validate();
    }

    private void validate() {
        int n = feature.length;
        require(classCount >= 2 && classCount <= MAX_CLASSES, "classes must be 2.." + MAX_CLASSES + ", not " + classCount);
        require(threshold.length == n && right.length == n && leafClass.length == n && leafConfidence.length == n,
                "node arrays differ in length");
        require(n >= 1 && n <= MAX_NODES, "nodes must be 1.." + MAX_NODES + ", not " + n);
        require(roots.length >= 1 && roots.length <= MAX_TREES, "trees must be 1.." + MAX_TREES + ", not " + roots.length);
        require(roots[0] == 0, "the first tree must start at node 0");
        for (int i = 0; i < n; i++) {
            require(leafConfidence[i] >= 0 && leafConfidence[i] <= CONFIDENCE_MAX,
                    "node " + i + ": leaf confidence " + leafConfidence[i] + " out of 0.." + CONFIDENCE_MAX);
        }
        for (int t = 0; t < roots.length; t++) {
            int end = t + 1 < roots.length ? roots[t + 1] : n;
            require(roots[t] < end, "tree " + t + " is empty or out of order");
            checkTree(t, roots[t], end);
        }
    }

    private void checkTree(int t, int start, int end) {
        BitSet reached = new BitSet();
        int[] stack = new int[MAX_PATH * 2 + 2];
        int[] depth = new int[stack.length];
        int sp = 0;
        stack[sp] = start;
        depth[sp++] = 1;
        while (sp > 0) {
            int i = stack[--sp];
            int d = depth[sp];
            require(i >= start && i < end, "tree " + t + ": node " + i + " outside its tree");
            require(!reached.get(i), "tree " + t + ": node " + i + " reached twice");
            reached.set(i);
            require(d <= MAX_PATH, "tree " + t + ": a path is longer than " + MAX_PATH + " nodes (depth > " + (MAX_PATH - 1) + ")");
            if (feature[i] == LEAF) {
                require(leafClass[i] >= 0 && leafClass[i] < classCount, "node " + i + ": leaf class " + leafClass[i] + " out of range");
            } else {
                require(feature[i] >= 0 && feature[i] < ModelInputs.COUNT, "node " + i + ": input " + feature[i] + " out of range");
                require(right[i] > i + 1 && right[i] < end, "node " + i + ": right child " + right[i] + " not after its left subtree");
                require(sp + 2 <= stack.length, "tree " + t + ": too deep");
                stack[sp] = right[i];
                depth[sp++] = d + 1;
                stack[sp] = i + 1;
                depth[sp++] = d + 1;
            }
        }
        require(reached.cardinality() == end - start, "tree " + t + ": unreachable nodes");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** A single tree. */
    public static TreeEnsemble tree(int classCount, int[] feature, long[] threshold, int[] right, int[] leafClass) {
        return new TreeEnsemble(classCount, new int[] {0}, feature, threshold, right, leafClass);
    }

    @Override
    public int classCount() {
        return classCount;
    }

    public int treeCount() {
        return roots.length;
    }

    public int nodeCount() {
        return feature.length;
    }

    /** The leaf tree {@code t} reaches for {@code inputs}. */
    public int leaf(int t, long[] inputs) {
        int i = roots[t];
        while (feature[i] != LEAF) {
            i = Long.compareUnsigned(inputs[feature[i]], threshold[i]) <= 0 ? i + 1 : right[i];
        }
        return i;
    }

    /** The class tree {@code t} gives. */
    public int treeClass(int t, long[] inputs) {
        return leafClass[leaf(t, inputs)];
    }

    @Override
    public int scored(long[] inputs) {
        if (roots.length == 1) {
            int leaf = leaf(0, inputs);
            return IntegerModel.scored(leafClass[leaf], leafConfidence[leaf]);
        }
        // votes: 8 bits per class, classes 0-7 in lo and 8-15 in hi (at most 16 trees: no carry);
        // confidence sums: 16 bits per class, four classes to a long (16 x 1000 < 2^16)
        long lo = 0;
        long hi = 0;
        long[] conf = CONF_SUMS.get();
        java.util.Arrays.fill(conf, 0);
        for (int t = 0; t < roots.length; t++) {
            int leaf = leaf(t, inputs);
            int c = leafClass[leaf];
            if (c < 8) {
                lo += 1L << (8 * c);
            } else {
                hi += 1L << (8 * (c - 8));
            }
            conf[c >>> 2] += (long) leafConfidence[leaf] << (16 * (c & 3));
        }
        int best = 0;
        int bestVotes = -1;
        for (int c = 0; c < classCount; c++) {
            int v = (int) ((c < 8 ? lo >>> (8 * c) : hi >>> (8 * (c - 8))) & 0xff);
            if (v > bestVotes) {
                best = c;
                bestVotes = v;
            }
        }
        int sum = (int) ((conf[best >>> 2] >>> (16 * (best & 3))) & 0xffff);
        return IntegerModel.scored(best, sum / roots.length);
    }

    private static final ThreadLocal<long[]> CONF_SUMS = ThreadLocal.withInitial(() -> new long[MAX_CLASSES / 4]);

    /**
     * This model with each leaf's confidence measured on labeled input vectors (usually the
     * training set): the leaf's class share among the vectors that reach it, Laplace-smoothed,
     * {@code floor(1000 * (n_class + 1) / (n + classes))}; a leaf no vector reaches gets
     * {@code 1000 / classes}. The classes do not change.
     */
    public TreeEnsemble calibrated(java.util.List<long[]> inputs, int[] labels) {
        int n = feature.length;
        long[] reached = new long[n];
        long[] ofItsClass = new long[n];
        for (int s = 0; s < labels.length; s++) {
            long[] x = inputs.get(s);
            for (int t = 0; t < roots.length; t++) {
                int leaf = leaf(t, x);
                reached[leaf]++;
                if (labels[s] == leafClass[leaf]) {
                    ofItsClass[leaf]++;
                }
            }
        }
        int[] conf = new int[n];
        for (int i = 0; i < n; i++) {
            if (feature[i] == LEAF) {
                conf[i] = (int) (CONFIDENCE_MAX * (ofItsClass[i] + 1) / (reached[i] + classCount));
            }
        }
        return withLeafConfidence(conf);
    }

    /** The same trees with these leaf confidences (thousandths, one per node; internal nodes' are not read). */
    public TreeEnsemble withLeafConfidence(int[] confidence) {
        return new TreeEnsemble(classCount, roots, feature, threshold, right, leafClass, confidence);
    }

    @Override
    public int[] inputsUsed() {
        return Arrays.stream(feature).filter(f -> f != LEAF).distinct().sorted().toArray();
    }

    public int[] roots() {
        return roots.clone();
    }

    public int feature(int node) {
        return feature[node];
    }

    public long threshold(int node) {
        return threshold[node];
    }

    public int right(int node) {
        return right[node];
    }

    public int leafClass(int node) {
        return leafClass[node];
    }

    /** A leaf's confidence in thousandths (0 for an internal node). */
    public int leafConfidence(int node) {
        return leafConfidence[node];
    }

    /** Longest root-to-leaf path in nodes over all trees. */
    public int maxPath() {
        int max = 0;
        for (int t = 0; t < roots.length; t++) {
            max = Math.max(max, path(roots[t]));
        }
        return max;
    }

    private int path(int i) {
        return feature[i] == LEAF ? 1 : 1 + Math.max(path(i + 1), path(right[i]));
    }
}
