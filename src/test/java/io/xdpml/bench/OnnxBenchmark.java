package io.xdpml.bench;

import io.xdpml.model.data.CicFlowCsv;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.onnx.OnnxExport;
import io.xdpml.model.onnx.OnnxModel;
import io.xdpml.model.onnx.Predictor;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.model.train.FloatMlp;
import io.xdpml.model.train.FloatTreeEnsemble;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ONNX Runtime in user space beside the Java models: ns per prediction for the models of
 * models/cic-{dt,rf,mlp}.json exported to ONNX ({@link OnnxExport}: trees as scikit-learn's
 * TreeEnsembleClassifier, the MLP as PyTorch-style logits), run through a {@link Predictor} in
 * batches of {@code batch} rows, over every row of the CIC sample; {@code javaInteger} is the
 * same model's integer twin (what the kernel runs), for comparison in the same run.
 *
 * <pre>mvn -Pjmh test-compile exec:exec@jmh -Djmh.args="OnnxBenchmark"</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class OnnxBenchmark {
    static final int ROWS = 6311;

    @Param({"dt", "rf", "mlp"})
    public String kind;

    @Param({"1", "64"})
    public int batch;

    private IntegerModel integer;
    private OnnxModel onnx;
    private Predictor predictor;
    private long[][] rows;

    @Setup
    public void setup() throws Exception {
        ModelFile m = ModelFile.read(Path.of("models/cic-" + kind + ".json"));
        integer = m.integerModel();
        OnnxExport.Exported e = switch (m.floatModel()) {
            case FloatTreeEnsemble t -> OnnxExport.trees(t, m.inputs(), m.classes(), false);
            case FloatMlp mlp -> OnnxExport.mlp(mlp, m.classes());
        };
        onnx = OnnxModel.load("cic-" + kind + ".onnx", e.model(), null);
        predictor = onnx.newPredictor(batch);
        Dataset d = CicFlowCsv.read(Path.of(System.getProperty("xdpml.data", "testdata"), "flows/cicids2017-sample.csv"));
        rows = new long[d.size()][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = d.inputs(i);
        }
        if (rows.length != ROWS) {
            throw new IllegalStateException(rows.length + " rows, expected " + ROWS);
        }
    }

    @TearDown
    public void tearDown() {
        predictor.close();
        onnx.close();
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public int onnxRuntime() {
        int s = 0;
        Predictor p = predictor;
        for (int start = 0; start < ROWS; start += batch) {
            p.clear();
            int end = Math.min(ROWS, start + batch);
            for (int i = start; i < end; i++) {
                p.add(rows[i]);
            }
            p.run();
            for (int r = 0; r < p.size(); r++) {
                s += p.classOf(r);
            }
        }
        return s;
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public int javaInteger() {
        int s = 0;
        for (long[] x : rows) {
            s += integer.classify(x);
        }
        return s;
    }
}
