package io.xdpml.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.model.data.Dataset;
import io.xdpml.model.file.ModelKind;
import io.xdpml.model.quantized.QuantizedMlp;
import io.xdpml.model.train.Balance;
import io.xdpml.model.train.FloatMlp;
import io.xdpml.model.train.MlpQuantizer;
import io.xdpml.model.train.MlpTrainer;
import io.xdpml.model.train.TrainOptions;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Quantization of an MLP whose hidden neurons fire only for a rare class: fewer than 0.1% of the
 * calibration samples, so the 99.9th percentile of their activation is 0. Their scale must come
 * from their highest activation (and a neuron never active must add nothing to the next layer):
 * an arbitrary scale let such a neuron's raw weights set the next layer's int8 scale and squeezed
 * the live weights into a few levels, and the quantized model lost the rare class.
 */
class MlpQuantizerTest {

    @Test
    void aRareClassTheFloatModelFindsTheQuantizedModelFindsToo() {
        List<String> inputs = List.of("packet_length", "fwd_packets", "bwd_packets");
        int[] idx = inputs.stream().mapToInt(ModelInputs::index).toArray();
        Random r = new Random(3);
        int n = 20_000;
        int rare = 15; // 0.075% of the samples
        long[][] x = new long[n][];
        int[] y = new int[n];
        int[] flow = new int[n];
        for (int i = 0; i < n; i++) {
            long[] v = new long[ModelInputs.COUNT];
            boolean isRare = i < rare;
            v[idx[0]] = isRare ? 1400 + r.nextInt(100) : r.nextInt(1400);
            v[idx[1]] = r.nextInt(100);
            v[idx[2]] = r.nextInt(100);
            x[i] = v;
            y[i] = isRare ? 1 : 0;
            flow[i] = i;
        }
        Dataset d = new Dataset(List.of("benign", "attack"), x, y, flow, y.clone(), "synthetic");
        TrainOptions o = TrainOptions.defaults(ModelKind.MLP, inputs, 1).withBalance(Balance.BALANCED).withEpochs(20);
        FloatMlp mlp = MlpTrainer.train(d, o);
        QuantizedMlp q = MlpQuantizer.quantize(mlp, d, 1);

        int floatRare = 0;
        int bothRare = 0;
        int agree = 0;
        for (int i = 0; i < n; i++) {
            int f = mlp.classify(x[i]);
            int k = q.classify(x[i]);
            if (i < rare && f == 1) {
                floatRare++;
                bothRare += k == 1 ? 1 : 0;
            }
            agree += f == k ? 1 : 0;
        }
        assertThat(floatRare).as("rare samples the float model finds").isEqualTo(rare);
        assertThat(bothRare).as("of those, found by the quantized model").isEqualTo(floatRare);
        assertThat(agree).as("samples given the float model's class").isGreaterThanOrEqualTo(n * 99 / 100);
    }
}
