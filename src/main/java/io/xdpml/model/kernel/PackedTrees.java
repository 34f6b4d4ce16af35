package io.xdpml.model.kernel;

import io.xdpml.kernel.BpfMap;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.model.quantized.TreeEnsemble;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A forest of complete trees in the packed layout of {@code struct xdpml_packed_trees}
 * (bpf/include/xdpml/model_bench.h; issue 14, item 4: measured beside the map walk, not used by the
 * data plane): each tree in implicit order (node i's children at 2i+1 for {@code x <= threshold}
 * and 2i+2), 8 bytes per node ({@code feature << 32 | threshold}), its leaves' scored classes
 * apart. Only complete trees of one depth whose thresholds fit 32 bits have this form; others get
 * an IllegalArgumentException saying why.
 */
public final class PackedTrees {
    public static final int MAX_NODES = 8192;
    public static final int MAX_LEAVES = 8192;
    /** sizeof(struct xdpml_packed_trees) */
    public static final long SIZE = 16 + 8L * MAX_NODES + 4L * MAX_LEAVES;

    private final int trees;
    private final int depth;
    private final long[] node;
    private final int[] leaf;

    private PackedTrees(int trees, int depth, long[] node, int[] leaf) {
        this.trees = trees;
        this.depth = depth;
        this.node = node;
        this.leaf = leaf;
    }

    public static PackedTrees of(TreeEnsemble m) {
        int trees = m.treeCount();
        int depth = m.maxPath() - 1;
        if (depth < 1) {
            throw new IllegalArgumentException("a packed tree needs depth >= 1 (this model's is " + depth + ")");
        }
        int perTree = (1 << depth) - 1;
        if ((long) perTree * trees > MAX_NODES || (long) trees << depth > MAX_LEAVES) {
            throw new IllegalArgumentException(trees + " trees of depth " + depth + " do not fit the packed layout's "
                    + MAX_NODES + " nodes");
        }
        long[] node = new long[trees * perTree];
        int[] leaf = new int[trees << depth];
        int[] roots = m.roots();
        for (int t = 0; t < trees; t++) {
            fill(m, roots[t], 0, 0, depth, t * perTree, t << depth, perTree, node, leaf);
        }
        return new PackedTrees(trees, depth, node, leaf);
    }

    private static void fill(TreeEnsemble m, int i, int k, int d, int depth, int nodeBase, int leafBase, int perTree, long[] node,
                             int[] leaf) {
        if (m.feature(i) == TreeEnsemble.LEAF) {
            if (d != depth) {
                throw new IllegalArgumentException("node " + i + " is a leaf at depth " + d + ", not " + depth
                        + ": only complete trees have the packed form");
            }
            leaf[leafBase + k - perTree] = IntegerModel.scored(m.leafClass(i), m.leafConfidence(i));
            return;
        }
        if (Long.compareUnsigned(m.threshold(i), 0xffff_ffffL) > 0) {
            throw new IllegalArgumentException("node " + i + "'s threshold " + Long.toUnsignedString(m.threshold(i))
                    + " does not fit the packed layout's 32 bits");
        }
        node[nodeBase + k] = (long) m.feature(i) << 32 | m.threshold(i);
        fill(m, i + 1, 2 * k + 1, d + 1, depth, nodeBase, leafBase, perTree, node, leaf);
        fill(m, m.right(i), 2 * k + 2, d + 1, depth, nodeBase, leafBase, perTree, node, leaf);
    }

    public int depth() {
        return depth;
    }

    /** Writes this forest into the one entry of {@code xdpml_bench_packed}. */
    public void write(BpfMap map) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(SIZE, 8);
            v.set(ValueLayout.JAVA_INT, 0, trees);
            v.set(ValueLayout.JAVA_INT, 4, depth);
            v.set(ValueLayout.JAVA_INT, 8, (1 << depth) - 1);
            for (int i = 0; i < node.length; i++) {
                v.set(ValueLayout.JAVA_LONG, 16 + 8L * i, node[i]);
            }
            for (int i = 0; i < leaf.length; i++) {
                v.set(ValueLayout.JAVA_INT, 16 + 8L * MAX_NODES + 4L * i, leaf[i]);
            }
            map.update(0, v, BpfMap.BPF_ANY);
        }
    }
}
