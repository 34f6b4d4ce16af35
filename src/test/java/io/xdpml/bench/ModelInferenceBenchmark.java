package io.xdpml.bench;

import io.xdpml.model.data.CicFlowCsv;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.quantized.IntegerModel;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Java twin of the in-kernel classifier: ns per input vector for the integer models of
 * models/cic-{dt,rf,mlp}.json (and their float models), over every row of the CIC sample.
 *
 * <pre>mvn -Pjmh test-compile exec:exec@jmh -Djmh.args="ModelInferenceBenchmark"</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ModelInferenceBenchmark {
    static final int ROWS = 6311;

    @Param({"dt", "rf", "mlp"})
    public String kind;

    private IntegerModel integer;
    private io.xdpml.model.train.FloatModel floatModel;
    private long[][] rows;

    @Setup
    public void setup() throws Exception {
        ModelFile m = ModelFile.read(Path.of("models/cic-" + kind + ".json"));
        integer = m.integerModel();
        floatModel = m.floatModel();
        Dataset d = CicFlowCsv.read(Path.of(System.getProperty("xdpml.data", "testdata"), "flows/cicids2017-sample.csv"));
        rows = new long[d.size()][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = d.inputs(i);
        }
        if (rows.length != ROWS) {
            throw new IllegalStateException(rows.length + " rows, expected " + ROWS);
        }
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public int integerModel() {
        int s = 0;
        for (long[] x : rows) {
            s += integer.classify(x);
        }
        return s;
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public int floatModel() {
        int s = 0;
        for (long[] x : rows) {
            s += floatModel.classify(x);
        }
        return s;
    }
}
