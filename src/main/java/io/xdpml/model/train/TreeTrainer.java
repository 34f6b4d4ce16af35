package io.xdpml.model.train;

import io.xdpml.model.ModelInputs;
import io.xdpml.model.data.Dataset;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Trainer;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.dtree.CARTClassificationTrainer;
import org.tribuo.classification.dtree.impurity.GiniIndex;
import org.tribuo.classification.ensemble.VotingCombiner;
import org.tribuo.common.tree.RandomForestTrainer;
import org.tribuo.ensemble.EnsembleModel;
import org.tribuo.impl.ArrayExample;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * Trains a CART decision tree or a random forest with Tribuo on the chosen inputs and converts
 * it to {@link FloatTreeEnsemble} (and from there to the kernel's integer trees).
 */
public final class TreeTrainer {

    static {
        // Tribuo logs every bagging round at INFO; the CLI prints its own summary
        Logger.getLogger("org.tribuo").setLevel(Level.WARNING);
    }

    private TreeTrainer() {}

    /** One CART tree of at most {@code depth} levels below the root (minimum leaf weight 5, unweighted). */
    public static FloatTreeEnsemble tree(Dataset data, List<String> inputs, int depth, long seed) {
        return convert(data, tribuoTree(data, inputs, depth, TrainOptions.DEFAULT_MIN_LEAF, Balance.NONE, seed));
    }

    /** One CART tree; a split leaves at least {@code minLeaf} of weight on each side; samples weighted by {@code balance}. */
    public static FloatTreeEnsemble tree(Dataset data, List<String> inputs, int depth, double minLeaf, Balance balance, long seed) {
        return convert(data, tribuoTree(data, inputs, depth, minLeaf, balance, seed));
    }

    /** The Tribuo model {@link #tree} converts (minimum leaf weight 5, unweighted). */
    public static Model<Label> tribuoTree(Dataset data, List<String> inputs, int depth, long seed) {
        return tribuoTree(data, inputs, depth, TrainOptions.DEFAULT_MIN_LEAF, Balance.NONE, seed);
    }

    /** The Tribuo model {@link #tree} converts. */
    public static Model<Label> tribuoTree(Dataset data, List<String> inputs, int depth, double minLeaf, Balance balance, long seed) {
        checkDepth(depth);
        CARTClassificationTrainer cart = new CARTClassificationTrainer(depth, (float) minLeaf, 0.0f, 1.0f, false, new GiniIndex(), seed);
        return cart.train(toTribuo(data, inputs, balance));
    }

    /**
     * A random forest of {@code trees} CART trees on bootstrap samples, each split choosing among
     * about sqrt(inputs) randomly drawn inputs; fixed seed.
     */
    public static FloatTreeEnsemble forest(Dataset data, List<String> inputs, int trees, int depth, long seed) {
        return convert(data, tribuoForest(data, inputs, trees, depth, 0, TrainOptions.DEFAULT_MIN_LEAF, Balance.NONE, seed));
    }

    /**
     * A random forest as {@link #forest(Dataset, List, int, int, long)}, each split choosing among
     * {@code splitInputs} drawn inputs (0: about sqrt(inputs)), with a minimum leaf weight and class weights.
     */
    public static FloatTreeEnsemble forest(Dataset data, List<String> inputs, int trees, int depth, int splitInputs, double minLeaf,
                                           Balance balance, long seed) {
        return convert(data, tribuoForest(data, inputs, trees, depth, splitInputs, minLeaf, balance, seed));
    }

    /** The Tribuo ensemble {@link #forest} converts (minimum leaf weight 5, unweighted). */
    public static Model<Label> tribuoForest(Dataset data, List<String> inputs, int trees, int depth, long seed) {
        return tribuoForest(data, inputs, trees, depth, 0, TrainOptions.DEFAULT_MIN_LEAF, Balance.NONE, seed);
    }

    /** The Tribuo ensemble {@link #forest} converts. */
    public static Model<Label> tribuoForest(Dataset data, List<String> inputs, int trees, int depth, int splitInputs, double minLeaf,
                                            Balance balance, long seed) {
        checkDepth(depth);
        if (trees < 1 || trees > io.xdpml.model.quantized.TreeEnsemble.MAX_TREES) {
            throw new IllegalArgumentException("trees must be 1.." + io.xdpml.model.quantized.TreeEnsemble.MAX_TREES + ", not " + trees);
        }
        if (splitInputs >= inputs.size() && inputs.size() > 1) {
            throw new IllegalArgumentException("a forest's split draws fewer than all " + inputs.size() + " inputs (Tribuo's random forest): split-inputs must be 1.."
                    + (inputs.size() - 1) + ", not " + splitInputs);
        }
        long perSplit = splitInputs > 0 ? splitInputs : Math.max(1, Math.round(Math.sqrt(inputs.size())));
        float fraction = (float) Math.min(1.0, perSplit / (double) inputs.size());
        CARTClassificationTrainer cart = new CARTClassificationTrainer(depth, (float) minLeaf, 0.0f, fraction, false, new GiniIndex(), seed);
        Trainer<Label> rf = new RandomForestTrainer<>(cart, new VotingCombiner(), trees, seed);
        return rf.train(toTribuo(data, inputs, balance));
    }

    private static void checkDepth(int depth) {
        int max = io.xdpml.model.quantized.TreeEnsemble.MAX_PATH - 1;
        if (depth < 1 || depth > max) {
            throw new IllegalArgumentException("depth must be 1.." + max + ", not " + depth);
        }
    }

    /** The samples as a Tribuo dataset with one feature per chosen input (named as the input), unweighted. */
    public static MutableDataset<Label> toTribuo(Dataset data, List<String> inputs) {
        return toTribuo(data, inputs, Balance.NONE);
    }

    /** The samples as a Tribuo dataset, each example weighted by its class's {@code balance} weight. */
    public static MutableDataset<Label> toTribuo(Dataset data, List<String> inputs, Balance balance) {
        double[] weight = balance.weights(data.classCounts());
        LabelFactory factory = new LabelFactory();
        MutableDataset<Label> d = new MutableDataset<>(new SimpleDataSourceProvenance(data.description(), factory), factory);
        String[] names = inputs.toArray(String[]::new);
        int[] index = inputs.stream().mapToInt(ModelInputs::index).toArray();
        for (int i = 0; i < data.size(); i++) {
            long[] x = data.inputs(i);
            double[] v = new double[index.length];
            for (int j = 0; j < index.length; j++) {
                v[j] = FloatTreeEnsemble.unsigned(x[index[j]]);
            }
            ArrayExample<Label> ex = new ArrayExample<>(new Label(data.classes().get(data.label(i))), names, v);
            ex.setWeight((float) weight[data.label(i)]);
            d.add(ex);
        }
        return d;
    }

    /** Tribuo trees (a TreeModel, or an ensemble of them) as {@link FloatTreeEnsemble}, classes as in {@code data}. */
    @SuppressWarnings("unchecked")
    public static FloatTreeEnsemble convert(Dataset data, Model<Label> model) {
        TreeImport imp = new TreeImport(data.classes());
        if (model instanceof EnsembleModel<?> ensemble) {
            for (Model<?> member : ensemble.getModels()) {
                imp.add((Model<Label>) member);
            }
        } else {
            imp.add(model);
        }
        return imp.build();
    }
}
