package io.xdpml.model.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.model.ModelInputs;
import io.xdpml.model.quantized.QuantizedMlp;
import io.xdpml.testing.TestData;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The kernel packs three neurons' weights into one 64-bit word (21-bit lanes) and unpacks their
 * sums: exact only while every sum stays within +-2^20. This drives the widest MLP allowed (32
 * inputs, 32 neurons, 16 classes) with weights of +-127 and inputs at 0 or 127, so sums reach the
 * extreme +-32 * 127 * 127, and demands the kernel's class equal Java's on every vector.
 */
class MlpLanesKernelTest {
    @Test
    void extremeSumsSurviveThePacking() {
        TestData.assumeBpf();
        Random r = new Random(7);
        int n = QuantizedMlp.MAX_IN;
        int[] idx = new int[n];
        long[] min = new long[n];
        long[] max = new long[n];
        for (int j = 0; j < n; j++) {
            idx[j] = j % ModelInputs.COUNT;
            max[j] = 1;
        }
        QuantizedMlp.Layer[] layers = new QuantizedMlp.Layer[3];
        int[] width = {n, 32, 32, 16};
        for (int l = 0; l < 3; l++) {
            byte[] w = new byte[width[l] * width[l + 1]];
            for (int k = 0; k < width[l + 1]; k++) {
                int kind = k % 4; // all +127, all -127, alternating, random
                for (int j = 0; j < width[l]; j++) {
                    w[k * width[l] + j] = (byte) switch (kind) {
                        case 0 -> 127;
                        case 1 -> -127;
                        case 2 -> (j % 2 == 0 ? 127 : -127);
                        default -> r.nextInt(255) - 127;
                    };
                }
            }
            int[] bias = new int[width[l + 1]];
            int[] mult = new int[l == 2 ? 0 : width[l + 1]];
            for (int k = 0; k < mult.length; k++) {
                mult[k] = 16 + r.nextInt(64); // keeps requantised values spread over 0..127
            }
            layers[l] = new QuantizedMlp.Layer(width[l], width[l + 1], w, bias, mult);
        }
        QuantizedMlp mlp = new QuantizedMlp(idx, min, max, layers);
        try (KernelModelEvaluator kernel = new KernelModelEvaluator(mlp)) {
            long[] x = new long[ModelInputs.COUNT];
            int checked = 0;
            for (int v = 0; v < 400; v++) {
                for (int i = 0; i < x.length; i++) {
                    x[i] = switch (v % 4) {
                        case 0 -> 1;             // every input at 127
                        case 1 -> 0;             // every input at 0
                        case 2 -> i % 2;         // alternating
                        default -> r.nextInt(2); // random 0 / 127
                    };
                }
                assertThat(kernel.classify(x)).as("vector %d", v).isEqualTo(mlp.classify(x));
                checked++;
            }
            assertThat(checked).isEqualTo(400);
        }
    }
}
