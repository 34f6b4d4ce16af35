package io.xdpml.model.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.model.ModelInputs;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.model.quantized.QuantizedMlp;
import io.xdpml.model.quantized.TreeEnsemble;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;

/** Trains the chosen kind of model and packs it, float and integer, into a {@link ModelFile}. */
public final class ModelTraining {
    private ModelTraining() {}

    /** The integer model with its confidences measured on the training samples. */
    static IntegerModel calibrated(IntegerModel model, Dataset train) {
        java.util.List<long[]> x = new java.util.ArrayList<>(train.size());
        int[] labels = new int[train.size()];
        for (int i = 0; i < train.size(); i++) {
            x.add(train.inputs(i));
            labels[i] = train.label(i);
        }
        return switch (model) {
            case TreeEnsemble t -> t.calibrated(x, labels);
            case QuantizedMlp p -> p.calibrated(x, labels);
        };
    }

    /** Trains on {@code train}; provenance gets the options (the caller adds data and split). */
    public static ModelFile train(Dataset train, TrainOptions o) {
        for (String name : o.inputs()) {
            ModelInputs.index(name); // unknown names fail here, naming the known ones
        }
        if (train.size() == 0) {
            throw new IllegalArgumentException("no training samples");
        }
        FloatModel floatModel;
        IntegerModel integerModel;
        switch (o.kind()) {
            case DT -> {
                FloatTreeEnsemble t = TreeTrainer.tree(train, o.inputs(), o.depth(), o.minLeaf(), o.balance(), o.seed());
                floatModel = t;
                integerModel = t.toInteger();
            }
            case RF -> {
                FloatTreeEnsemble t = TreeTrainer.forest(train, o.inputs(), o.trees(), o.depth(), o.splitInputs(), o.minLeaf(), o.balance(), o.seed());
                floatModel = t;
                integerModel = t.toInteger();
            }
            case MLP -> {
                FloatMlp mlp = MlpTrainer.train(train, o);
                floatModel = mlp;
                integerModel = MlpQuantizer.quantize(mlp, train, o.seed());
            }
            default -> throw new IllegalStateException();
        }
        integerModel = calibrated(integerModel, train);
        ObjectNode prov = new ObjectMapper().createObjectNode();
        prov.put("created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        prov.put("trainer", o.kind() == io.xdpml.model.file.ModelKind.MLP ? "xdpml MLP (Adam, softmax cross-entropy)" : "Tribuo 4.3 CART"
                + (o.kind() == io.xdpml.model.file.ModelKind.RF ? " random forest" : ""));
        ObjectNode opts = prov.putObject("options");
        opts.put("seed", o.seed());
        switch (o.kind()) {
            case DT -> {
                opts.put("depth", o.depth());
                opts.put("min_leaf", o.minLeaf());
            }
            case RF -> {
                opts.put("depth", o.depth());
                opts.put("trees", o.trees());
                opts.put("split_inputs", o.splitInputsOrDefault());
                opts.put("min_leaf", o.minLeaf());
            }
            case MLP -> {
                opts.put("hidden", Arrays.toString(o.hidden()));
                opts.put("epochs", o.epochs());
                opts.put("scale_percentile", o.scalePercentile());
            }
            default -> { }
        }
        opts.put("balance", o.balance().id());
        prov.put("confidence", integerModel instanceof QuantizedMlp
                ? "margin between the two highest outputs -> share right on the training samples (16 groups, Laplace, isotonic)"
                : "leaf class share on the training samples, Laplace-smoothed; forest: mean over trees of the winner's");
        prov.put("train_samples", train.size());
        prov.put("train_flows", train.flowCount());
        return new ModelFile(o.kind(), train.classes(), o.inputs(), integerModel, floatModel, prov);
    }
}
