package io.xdpml.model.train;

import io.xdpml.model.ModelInputs;
import io.xdpml.model.quantized.TreeEnsemble;
import java.util.ArrayList;
import java.util.List;
import org.tribuo.Model;
import org.tribuo.classification.Label;
import org.tribuo.common.tree.LeafNode;
import org.tribuo.common.tree.Node;
import org.tribuo.common.tree.SplitNode;
import org.tribuo.common.tree.TreeModel;

/**
 * Converts Tribuo trees to the pre-order node arrays of {@link FloatTreeEnsemble}. Tribuo's
 * {@code SplitNode} sends an example to {@code getGreaterThan()} when its feature value is
 * {@code > splitValue()}, else to {@code getLessThanOrEqual()} (a feature absent from a sparse
 * example counts as 0): so the left child here is the less-or-equal one. Features are looked up
 * by name in the model's feature map and become input indexes.
 */
final class TreeImport {
    private final List<String> classes;
    private final List<Integer> feature = new ArrayList<>();
    private final List<Double> threshold = new ArrayList<>();
    private final List<Integer> right = new ArrayList<>();
    private final List<Integer> leafClass = new ArrayList<>();
    private final List<Integer> roots = new ArrayList<>();

    TreeImport(List<String> classes) {
        this.classes = classes;
    }

    void add(Model<Label> model) {
        if (!(model instanceof TreeModel<Label> tree)) {
            throw new IllegalArgumentException("not a tree model: " + model.getClass().getName());
        }
        roots.add(feature.size());
        emit(tree, tree.getRoot());
    }

    private void emit(TreeModel<Label> model, Node<Label> node) {
        if (node instanceof SplitNode<Label> split) {
            double t = split.splitValue();
            // a split no input value can pass one way is no split: keep the side every value takes
            if (t < 0) {
                emit(model, split.getGreaterThan());
                return;
            }
            if (t >= 0x1p64) {
                emit(model, split.getLessThanOrEqual());
                return;
            }
            String name = model.getFeatureIDMap().get(split.getFeatureID()).getName();
            int at = feature.size();
            feature.add(ModelInputs.index(name));
            threshold.add(t);
            right.add(-1);
            leafClass.add(0);
            emit(model, split.getLessThanOrEqual());
            right.set(at, feature.size());
            emit(model, split.getGreaterThan());
        } else if (node instanceof LeafNode<Label> leaf) {
            String label = leaf.getOutput().getLabel();
            int c = classes.indexOf(label);
            if (c < 0) {
                throw new IllegalStateException("leaf label '" + label + "' is not a class: " + classes);
            }
            feature.add(TreeEnsemble.LEAF);
            threshold.add(0.0);
            right.add(0);
            leafClass.add(c);
        } else {
            throw new IllegalArgumentException("unknown tree node " + node.getClass().getName());
        }
    }

    FloatTreeEnsemble build() {
        return new FloatTreeEnsemble(classes.size(), ints(roots), ints(feature),
                threshold.stream().mapToDouble(Double::doubleValue).toArray(), ints(right), ints(leafClass));
    }

    private static int[] ints(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }
}
