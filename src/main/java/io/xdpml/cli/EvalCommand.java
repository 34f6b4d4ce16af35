package io.xdpml.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.data.SampleMode;
import io.xdpml.model.data.TrainingData;
import io.xdpml.model.eval.Classifier;
import io.xdpml.model.eval.ConfidenceReport;
import io.xdpml.model.eval.MetricsReport;
import io.xdpml.model.eval.ModelEvaluation;
import io.xdpml.kernel.BpfSupport;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.kernel.KernelModelEvaluator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml eval}: a model file judged on data, float vs quantized (and more engines where plugged in). */
@Command(name = "eval", mixinStandardHelpOptions = true,
        header = "Evaluate a model file on labeled data: float vs quantized (vs kernel).",
        description = {"Per class precision, recall, F1 and support, macro and weighted averages, accuracy and the"
            + " confusion matrix, per sample and per flow, for the float model and the integer model the kernel runs.",
            "--json prints one object: the quantized model's metrics at the top (macro_f1, weighted_f1, accuracy,"
            + " per_class, confusion), per_flow, and every engine under engines.",
            "--confidence C (every class) or CLASS=C (one class; repeat it) adds what the model's actions would do at"
            + " those thresholds, as the agent's model.min-confidence (a class's action only at its confidence or more,"
            + " below: to Java; a class not named: 0): per class recall, false positive rate and samples sent to Java,"
            + " and per data file the attack recall and benign false positive rate (the first class is the benign one);"
            + " with --kernel, whether the kernel gives every sample the same class and confidence as Java."})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M.json", description = "model file")
    Path model;

    @Option(names = "--data", required = true, arity = "1..*", paramLabel = "FILE|DIR", description = "labeled data")
    List<Path> data;

    @Option(names = "--labels", paramLabel = "RULES", description = "label rules for captures")
    Path labels;

    @Option(names = "--mode", paramLabel = "packet|flow:N", description = "samples from captures (default: the model's training mode)")
    String mode;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Option(names = "--confidence", paramLabel = "C|CLASS=C", description = "also report at this confidence threshold, 0 to 1:"
            + " for every class, or CLASS=C for one (repeatable)")
    List<String> confidence;

    @Option(names = "--kernel", description = "also run the integer model in the kernel (xdpml_model_eval through BPF_PROG_TEST_RUN, "
            + "engine 'kernel'); needs root")
    boolean kernel;

    /** Engines beyond float and quantized (e.g. the kernel); tests and later commands add to it. */
    final Map<String, Classifier> extraEngines = new java.util.LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        ModelFile m = ModelFile.read(model);
        JsonNode prov = m.provenance();
        String modeText = mode != null ? mode : prov.path("mode").asText("packet");
        SampleMode sampleMode = SampleMode.parse(modeText);
        int[] thresholds = confidence == null ? null : ConfidenceOption.parse(confidence, m.classes(), "--confidence");
        Dataset d = load(data, m, sampleMode);
        Map<String, Classifier> engines = ModelEvaluation.standardEngines(m);
        engines.putAll(extraEngines);
        KernelModelEvaluator k = null;
        if (kernel) {
            BpfSupport.unavailableReason().ifPresent(why -> {
                throw new IllegalStateException("--kernel needs BPF: " + why);
            });
            k = new KernelModelEvaluator(m.integerModel());
            engines.put("kernel", k);
        }
        ModelEvaluation ev;
        List<ConfidenceReport> perFile = new ArrayList<>();
        ConfidenceReport all = null;
        long kernelSame = -1;
        try {
            ev = ModelEvaluation.run(d, engines);
            if (thresholds != null) {
                all = ConfidenceReport.of("all", d, m.integerModel(), thresholds);
                for (Path f : TrainingData.expand(data)) {
                    perFile.add(ConfidenceReport.of(f.getFileName().toString(), load(List.of(f), m, sampleMode), m.integerModel(), thresholds));
                }
                if (k != null) {
                    kernelSame = 0;
                    for (int i = 0; i < d.size(); i++) {
                        if (k.scored(d.inputs(i)) == m.integerModel().scored(d.inputs(i))) {
                            kernelSame++;
                        }
                    }
                }
            }
        } finally {
            if (k != null) {
                k.close();
            }
        }
        if (json) {
            com.fasterxml.jackson.databind.node.ObjectNode j = ev.json();
            if (all != null) {
                com.fasterxml.jackson.databind.node.ObjectNode c = all.json();
                perFile.forEach(r -> c.withArray("per_file").add(r.json()));
                if (kernelSame >= 0) {
                    c.put("kernel_same_class_and_confidence", kernelSame);
                }
                j.set("confidence", c);
            }
            o.println(MetricsReport.pretty(j));
        } else {
            o.printf("model %s: %s, classes %s, inputs %s%n", model, m.kind().id(), m.classes(), m.inputs());
            o.print(ev.text());
            if (all != null) {
                o.printf("%nat confidence %s (a class's action taken at its threshold or more; below: to Java), the integer model:%n",
                        String.join(" ", confidence));
                o.print(all.classTable());
                o.printf("%n%-48s %9s %12s %12s%n", "data", "samples", "atk recall", "benign fpr");
                perFile.forEach(r -> o.println(r.line()));
                o.println(all.line());
                if (kernelSame >= 0) {
                    o.printf("kernel: the same class and confidence as Java on %d of %d samples%n", kernelSame, d.size());
                }
            }
        }
        o.flush(); // print() does not flush an autoflush PrintWriter, and main exits right after
        return kernelSame >= 0 && kernelSame != d.size() ? 1 : 0;
    }

    /** The data as the model sees it: its classes, or benign vs attack for a binary model. */
    private Dataset load(List<Path> files, ModelFile m, SampleMode sampleMode) throws java.io.IOException {
        if (!m.provenance().has("binary")) {
            return TrainingData.load(files, labels, sampleMode, m.classes());
        }
        String negative = m.provenance().get("binary").asText();
        Dataset raw = TrainingData.load(files, labels, sampleMode, null);
        int[] map = new int[raw.classes().size()];
        for (int c = 0; c < map.length; c++) {
            map[c] = raw.classes().get(c).equals(negative) ? 0 : 1;
        }
        Dataset d = raw.relabel(List.of(negative, "attack"), map);
        if (!d.classes().equals(m.classes())) {
            throw new IllegalArgumentException("binary classes " + d.classes() + " differ from the model's " + m.classes());
        }
        return d;
    }
}
