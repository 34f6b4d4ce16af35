package io.xdpml.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.model.data.Dataset;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.kernel.KernelModelEvaluator;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The trained models shipped in models/ (DT, RF, MLP; on CIC-IDS2017 and on the shared captures)
 * in the kernel (xdpml_model_eval through BPF_PROG_TEST_RUN) and in Java: the same class and the
 * same confidence for every CIC-IDS2017 row and for the input vector of every packet of every
 * shared capture.
 */
class TrainedModelKernelParityTest {
    static List<long[]> vectors;

    @BeforeAll
    static void vectors() throws Exception {
        vectors = new ArrayList<>();
        Dataset cic = CicData.all();
        for (int i = 0; i < cic.size(); i++) {
            vectors.add(cic.inputs(i));
        }
        for (Path c : TestData.captures()) {
            vectors.addAll(RandomModels.samples(c, Integer.MAX_VALUE));
        }
    }

    static Stream<Path> models() throws Exception {
        try (Stream<Path> s = Files.list(Path.of("models"))) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void kernelAndJavaAgreeOnEveryVector(Path file) throws Exception {
        TestData.assumeBpf();
        IntegerModel model = ModelFile.read(file).integerModel();
        int[] classes = new int[model.classCount()];
        List<String> diffs = new ArrayList<>();
        try (KernelModelEvaluator kernel = new KernelModelEvaluator(model)) {
            for (long[] x : vectors) {
                int k = kernel.scored(x);
                int j = model.scored(x);
                if (k != j && diffs.size() < 5) {
                    diffs.add("kernel " + IntegerModel.classOf(k) + " at " + IntegerModel.confidenceOf(k) + ", java "
                            + IntegerModel.classOf(j) + " at " + IntegerModel.confidenceOf(j) + " for " + Arrays.toString(x));
                }
                classes[IntegerModel.classOf(j)]++;
            }
        }
        assertThat(diffs).as("vectors given a different class or confidence").isEmpty();
        assertThat(Arrays.stream(classes).filter(n -> n > 0).count()).as("classes given over %d vectors", vectors.size()).isGreaterThan(1);
    }
}
