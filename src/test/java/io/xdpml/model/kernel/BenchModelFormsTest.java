package io.xdpml.model.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.model.BenchModels;
import io.xdpml.model.ModelInputs;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.model.quantized.TreeEnsemble;
import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The model stage's other forms of inference (bpf/include/xdpml/model_bench.h, measured beside the
 * map walk in BENCHMARKS.md, not used by the data plane) give the Java twin's class and confidence,
 * input vector for input vector, through xdpml_model_eval of xdp_pipeline_bench.bpf.o: trees
 * compiled to straight-line code, the packed layout (branch-free and with a branch), the forest's
 * votes in registers, the MLP with a
 * tail call per layer (the former form) and with none. The compiled header is the generator's output as it is now.
 */
class BenchModelFormsTest {
    @Test
    void compiledHeaderIsTheGeneratorsOutput() throws Exception {
        String file = Files.readString(Path.of("bpf/include/xdpml/model_compiled_bench.h"));
        assertThat(file).as("regenerate bpf/include/xdpml/model_compiled_bench.h with TreeCodegen.benchHeader")
                .isEqualTo(TreeCodegen.benchHeader(BenchModels.tree(10), BenchModels.forest(4, 10)));
    }

    @Test
    void packedLayoutRefusesWhatItCannotHold() {
        // a tree whose leaves are not all at one depth: root -> leaf, right -> (leaf, leaf)
        TreeEnsemble uneven = TreeEnsemble.tree(2, new int[] {0, TreeEnsemble.LEAF, 1, TreeEnsemble.LEAF, TreeEnsemble.LEAF},
                new long[] {5, 0, 7, 0, 0}, new int[] {2, 0, 4, 0, 0}, new int[] {0, 1, 0, 0, 1});
        assertThatThrownBy(() -> PackedTrees.of(uneven)).hasMessageContaining("only complete trees");
        TreeEnsemble wide = TreeEnsemble.tree(2, new int[] {0, TreeEnsemble.LEAF, TreeEnsemble.LEAF}, new long[] {1L << 33, 0, 0},
                new int[] {2, 0, 0}, new int[] {0, 1, 0});
        assertThatThrownBy(() -> PackedTrees.of(wide)).hasMessageContaining("does not fit the packed layout's 32 bits");
        assertThat(PackedTrees.of(BenchModels.forest(4, 10)).depth()).isEqualTo(10);
    }

    @ParameterizedTest
    @CsvSource({"dt-compiled,dt", "rf-compiled,rf", "dt-packed,dt-conf", "rf-packed,rf-conf", "dt-packed-branch,dt-conf",
            "rf-packed-branch,rf-conf", "rf-regvotes,rf-conf", "mlp-layers,mlp", "mlp-inline,mlp"})
    void kernelFormGivesTheJavaTwinsScoredClass(String pipeline, String model) {
        TestData.assumeBpf();
        IntegerModel m = model(model);
        Random r = new Random(7);
        int[] classes = new int[2];
        try (KernelModelEvaluator k = new KernelModelEvaluator(m, pipeline)) {
            for (int n = 0; n < 400; n++) {
                long[] x = new long[ModelInputs.COUNT];
                for (int i = 0; i < x.length; i++) {
                    int kind = r.nextInt(20);
                    // mostly within the benchmark thresholds' range; some beyond 32 bits (packed thresholds are 32-bit)
                    x[i] = kind == 0 ? r.nextLong() : kind == 1 ? (1L << 32) + r.nextInt(1 << 16) : r.nextInt(1 << 16);
                }
                int kernel = k.scored(x);
                assertThat(kernel).as("%s on vector %d", pipeline, n).isEqualTo(m.scored(x));
                classes[IntegerModel.classOf(kernel) & 1]++;
            }
        }
        assertThat(classes[0]).as("class 0 seen").isPositive();
        assertThat(classes[1]).as("class 1 seen").isPositive();
    }

    /** The benchmark models; "-conf": with random leaf confidences (the packed form carries them). */
    static IntegerModel model(String name) {
        return switch (name) {
            case "dt" -> BenchModels.tree(10);
            case "rf" -> BenchModels.forest(4, 10);
            case "dt-conf" -> withRandomConfidence(BenchModels.tree(10));
            case "rf-conf" -> withRandomConfidence(BenchModels.forest(4, 10));
            case "mlp" -> BenchModels.mlp(12, new int[] {16, 16}, 2);
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static TreeEnsemble withRandomConfidence(TreeEnsemble t) {
        Random r = new Random(11);
        int[] c = new int[t.nodeCount()];
        for (int i = 0; i < c.length; i++) {
            c[i] = t.feature(i) == TreeEnsemble.LEAF ? r.nextInt(IntegerModel.CONFIDENCE_MAX + 1) : 0;
        }
        return t.withLeafConfidence(c);
    }

    static final List<String> PIPELINES = List.of("dt-compiled", "rf-compiled", "dt-packed", "rf-packed", "dt-packed-branch",
            "rf-packed-branch", "rf-regvotes", "mlp-layers", "mlp-inline");
}
