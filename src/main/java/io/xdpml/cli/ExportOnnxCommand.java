package io.xdpml.cli;

import io.xdpml.model.file.ModelFile;
import io.xdpml.model.onnx.OnnxExport;
import io.xdpml.model.onnx.OnnxModel;
import io.xdpml.model.train.FloatMlp;
import io.xdpml.model.train.FloatTreeEnsemble;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml export-onnx --model M.json --out M.onnx}: a model file's float model as ONNX. */
@Command(name = "export-onnx", mixinStandardHelpOptions = true,
        header = "Write a model file's float model (xdpml train) as an ONNX model with its sidecar.",
        description = {"Trees and forests become an ai.onnx.ml TreeEnsembleClassifier shaped as scikit-learn exports one"
            + " (output_label, output_probability; --zipmap: probabilities as a sequence of maps), an MLP a Gemm/Relu graph"
            + " with logits as PyTorch exports one. Writes M.onnx and M.onnx.json (the sidecar: inputs and classes; also in"
            + " the model's metadata), then loads the result back with ONNX Runtime to check it. See docs/onnx.md."})
final class ExportOnnxCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M.json", description = "model file (xdpml train)")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "M.onnx", description = "ONNX file to write (and M.onnx.json beside it)")
    Path out;

    @Option(names = "--zipmap", description = "trees: probabilities as a sequence of maps (scikit-learn's default)")
    boolean zipmap;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        ModelFile m = ModelFile.read(model);
        OnnxExport.Exported e = switch (m.floatModel()) {
            case FloatTreeEnsemble t -> OnnxExport.trees(t, m.inputs(), m.classes(), zipmap);
            case FloatMlp mlp -> OnnxExport.mlp(mlp, m.classes());
        };
        e.write(out);
        try (OnnxModel check = OnnxModel.load(out)) {
            w.println("wrote " + out + " and " + out.resolveSibling(out.getFileName() + ".json") + ": " + check.describe());
        }
        if (e.inexactThresholds() > 0) {
            w.println("note: " + e.inexactThresholds() + " thresholds are above float's exact integers (2^24): inputs within float's"
                    + " rounding of them may go the other way than in the integer model");
        }
        w.flush();
        return 0;
    }
}
