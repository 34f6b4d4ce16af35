package io.xdpml.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.data.DefaultInputs;
import io.xdpml.model.data.SampleMode;
import io.xdpml.model.data.TrainingData;
import io.xdpml.model.eval.ModelEvaluation;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.file.ModelKind;
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
            + " evaluated with the float model and the quantized (integer) model the kernel runs."})
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
        TrainOptions opts = new TrainOptions(kind, chosen, depth, trees, hidden, epochs, TrainOptions.DEFAULT_SCALE_PERCENTILE, seed);
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
                kind == ModelKind.MLP ? ", hidden " + Arrays.toString(hidden) : "");
        o.flush();
        return 0;
    }
}
