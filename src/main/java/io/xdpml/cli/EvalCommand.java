package io.xdpml.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.data.SampleMode;
import io.xdpml.model.data.TrainingData;
import io.xdpml.model.eval.Classifier;
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
            + " per_class, confusion), per_flow, and every engine under engines."})
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
        Dataset d;
        if (prov.has("binary")) {
            String negative = prov.get("binary").asText();
            Dataset raw = TrainingData.load(data, labels, sampleMode, null);
            d = raw.binary(negative);
            if (!d.classes().equals(m.classes())) {
                throw new IllegalArgumentException("binary classes " + d.classes() + " differ from the model's " + m.classes());
            }
        } else {
            d = TrainingData.load(data, labels, sampleMode, m.classes());
        }
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
        try {
            ev = ModelEvaluation.run(d, engines);
        } finally {
            if (k != null) {
                k.close();
            }
        }
        if (json) {
            o.println(MetricsReport.pretty(ev.json()));
        } else {
            o.printf("model %s: %s, classes %s, inputs %s%n", model, m.kind().id(), m.classes(), m.inputs());
            o.print(ev.text());
        }
        o.flush(); // print() does not flush an autoflush PrintWriter, and main exits right after
        return 0;
    }
}
