package io.xdpml.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.data.DefaultInputs;
import io.xdpml.model.data.SampleMode;
import io.xdpml.model.data.TrainingData;
import io.xdpml.model.eval.ModelEvaluation;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.file.ModelKind;
import io.xdpml.model.train.Balance;
import io.xdpml.model.train.CrossValidation;
import io.xdpml.model.train.ModelTraining;
import io.xdpml.model.train.TrainOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml train}: trains a model, prints its held-out evaluation (float and quantized) and writes the model file. */
@Command(name = "train", mixinStandardHelpOptions = true,
        header = "Train a decision tree, random forest or MLP and write a model file.",
        description = {"Data: CICFlowMeter flow CSVs, or captures (files or directories of *.pcap/*.pcapng) labeled by"
            + " --labels RULES (docs/models.md). Captures are replayed through the Java flow tracker and each sample is"
            + " the model input vector the kernel computes: after every packet (--mode packet) or at a flow's N-th packet"
            + " (--mode flow:N). The held-out part (--test-split, stratified by flow, fixed seed; or --test-data) is"
            + " evaluated with the float model and the quantized (integer) model the kernel runs. With --cv K the options"
            + " are first chosen by stratified K-fold cross-validation on the training part alone: every combination of"
            + " the --grid values is scored (macro-F1 of the quantized model, mean over the folds), the best is trained"
            + " on the whole training part and evaluated once on the held-out part."})
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--data", required = true, arity = "1..*", paramLabel = "FILE|DIR", description = "training data")
    List<Path> data;

    @Option(names = "--labels", paramLabel = "RULES", description = "label rules for captures")
    Path labels;

    @Option(names = "--model", required = true, paramLabel = "dt|rf|mlp", description = "decision tree, random forest or MLP")
    String model;

    @Option(names = "--depth", defaultValue = "10", description = "tree depth limit (default: ${DEFAULT-VALUE})")
    int depth;

    @Option(names = "--trees", defaultValue = "8", description = "trees in a forest (default: ${DEFAULT-VALUE})")
    int trees;

    @Option(names = "--split-inputs", defaultValue = "0", paramLabel = "N",
            description = "forests: the inputs each split draws and chooses among (default: 0, about sqrt of the inputs)")
    int splitInputs;

    @Option(names = "--min-leaf", defaultValue = "5", paramLabel = "W",
            description = "trees: a split leaves at least this weight (samples, when unweighted) on each side (default: ${DEFAULT-VALUE})")
    double minLeaf;

    @Option(names = "--balance", defaultValue = "none", paramLabel = "none|sqrt|balanced",
            description = "class weights: a class's samples weigh 1, 1/sqrt(count) or 1/count, scaled to weigh as many as they are (default: ${DEFAULT-VALUE})")
    String balance;

    @Option(names = "--cv", defaultValue = "0", paramLabel = "K",
            description = "choose the options by stratified K-fold cross-validation on the training part (0: off)")
    int cv;

    @Option(names = "--grid", paramLabel = "NAME=V,V...",
            description = "with --cv: values to try for depth, trees, split-inputs, min-leaf, balance, hidden (widths joined by x: 16x16) or epochs;"
                + " repeat for several names, every combination is tried; other options as given")
    List<String> grid;

    @Option(names = "--hidden", defaultValue = "16,16", split = ",", description = "MLP hidden layer widths (default: ${DEFAULT-VALUE})")
    int[] hidden;

    @Option(names = "--epochs", defaultValue = "60", description = "MLP training epochs (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--inputs", split = ",", paramLabel = "NAME", description = "model inputs (default: per kind of data, docs/models.md)")
    List<String> inputs;

    @Option(names = "--mode", defaultValue = "packet", paramLabel = "packet|flow:N", description = "samples from captures (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--seed", defaultValue = "1", description = "seed for split and training (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--test-split", defaultValue = "0.3", description = "held-out fraction of flows (default: ${DEFAULT-VALUE})")
    double testSplit;

    @Option(names = "--test-data", arity = "1..*", paramLabel = "FILE|DIR", description = "held-out data instead of a split")
    List<Path> testData;

    @Option(names = "--binary", description = "two classes: the first class (BENIGN / the rules' default) and 'attack' for all others")
    boolean binary;

    @Option(names = "--out", required = true, paramLabel = "M.json", description = "model file to write")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        ModelKind kind = ModelKind.of(model);
        SampleMode sampleMode = SampleMode.parse(mode);
        TrainingData.Kind dataKind = TrainingData.kindOf(data);
        List<String> chosen = inputs == null || inputs.isEmpty() ? DefaultInputs.of(dataKind) : inputs;
        Dataset all = TrainingData.load(data, labels, sampleMode, null);
        Dataset train;
        Dataset test;
        String split;
        if (testData != null && !testData.isEmpty()) {
            train = all;
            test = TrainingData.load(testData, labels, sampleMode, all.classes());
            split = "test data " + testData;
        } else {
            Dataset.Split s = all.split(testSplit, seed);
            train = s.train();
            test = s.test();
            split = "stratified by flow, test fraction " + testSplit + ", seed " + seed;
        }
        if (binary) {
            train = train.binary(all.classes().getFirst());
            test = test.binary(all.classes().getFirst());
        }
        o.printf("training %s on %d samples (%d flows), classes %s, inputs %s%n", kind.id(), train.size(), train.flowCount(),
                train.classes(), chosen);
        o.flush();
        TrainOptions opts = new TrainOptions(kind, chosen, depth, trees, splitInputs, minLeaf, Balance.of(balance), hidden, epochs,
                TrainOptions.DEFAULT_SCALE_PERCENTILE, seed);
        ObjectNode selection = null;
        if (grid != null && !grid.isEmpty() && cv == 0) {
            throw new IllegalArgumentException("--grid needs --cv K");
        }
        if (cv != 0) {
            List<TrainOptions> configs = Grid.expand(opts, grid == null ? List.of() : grid);
            o.printf("cross-validation: %d configurations, %d folds stratified by class over the %d training flows (seed %d);"
                    + " macro-F1 of the quantized model on each validation fold%n", configs.size(), cv, train.flowCount(), seed);
            o.println("| options | mean macro-F1 | sd | per fold | seconds |");
            o.println("|---|---|---|---|---|");
            o.flush();
            List<CrossValidation.Result> results = CrossValidation.run(train, configs, cv, seed, r -> {
                o.printf("| %s | %.4f | %.4f | %s | %.0f |%n", r.options().describe(), r.mean(), r.sd(),
                        Arrays.stream(r.foldMacroF1()).mapToObj(v -> String.format("%.3f", v)).collect(java.util.stream.Collectors.joining(" ")),
                        r.seconds());
                o.flush();
            });
            CrossValidation.Result best = CrossValidation.best(results);
            opts = best.options();
            o.printf("chosen: %s (mean macro-F1 %.4f)%n", opts.describe(), best.mean());
            ObjectNode sel = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
            selection = sel;
            sel.put("method", "stratified " + cv + "-fold cross-validation on the training part, seed " + seed
                    + ", macro-F1 of the quantized model, highest mean chosen");
            if (grid != null) {
                grid.forEach(g -> sel.withArray("grid").add(g));
            }
            for (CrossValidation.Result r : results) {
                ObjectNode n = sel.withArray("results").addObject();
                n.put("options", r.options().describe());
                n.put("mean_macro_f1", r.mean());
                n.put("sd", r.sd());
            }
            sel.put("chosen", opts.describe());
        }
        ModelFile m = ModelTraining.train(train, opts);
        ModelEvaluation ev = ModelEvaluation.run(test, ModelEvaluation.standardEngines(m));
        ObjectNode prov = m.provenance();
        data.forEach(p -> prov.withArray("data").add(p.toString()));
        if (labels != null) {
            prov.put("labels", labels.toString());
        }
        if (dataKind == TrainingData.Kind.CAPTURES) {
            prov.put("mode", sampleMode.toString());
        }
        prov.put("split", split);
        if (binary) {
            prov.put("binary", all.classes().getFirst());
        }
        if (selection != null) {
            prov.set("selection", selection);
        }
        prov.set("held_out", ev.summary());
        ModelFile withProv = new ModelFile(m.kind(), m.classes(), m.inputs(), m.integerModel(), m.floatModel(), prov);
        withProv.write(out);
        o.print(ev.text());
        if (m.integerModel() instanceof io.xdpml.model.quantized.TreeEnsemble t) {
            int agree = 0;
            for (int i = 0; i < test.size(); i++) {
                agree += m.integerModel().classify(test.inputs(i)) == m.floatModel().classify(test.inputs(i)) ? 1 : 0;
            }
            o.printf("integer trees (%d trees, %d nodes, longest path %d) agree with the float trees on %d of %d held-out samples%n",
                    t.treeCount(), t.nodeCount(), t.maxPath(), agree, test.size());
        }
        o.printf("wrote %s (%s, %d classes, %d inputs%s)%n", out, kind.id(), m.classes().size(), m.inputs().size(),
                ", " + opts.describe());
        o.flush();
        return 0;
    }
}
