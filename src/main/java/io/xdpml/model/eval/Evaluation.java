package io.xdpml.model.eval;

import io.xdpml.model.data.Dataset;
import java.util.Arrays;

/**
 * Scores predictions on a {@link Dataset} per sample (packet, or CSV row) and per flow. A flow's
 * verdict is the prediction for its last sample (in "every packet" mode its last classified
 * packet; in "flow at N" mode its one sample, the verdict the kernel caches); a flow without a
 * sample is unclassified.
 */
public record Evaluation(Metrics perSample, Metrics perFlow, boolean oneSamplePerFlow) {

    public static Evaluation of(Dataset data, Classifier classifier) {
        return of(data, predict(data, classifier));
    }

    /** Predictions of {@code classifier} for every sample. */
    public static int[] predict(Dataset data, Classifier classifier) {
        int[] p = new int[data.size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = classifier.classify(data.inputs(i));
        }
        return p;
    }

    /** @param predicted a class per sample of {@code data} */
    public static Evaluation of(Dataset data, int[] predicted) {
        if (predicted.length != data.size()) {
            throw new IllegalArgumentException(predicted.length + " predictions for " + data.size() + " samples");
        }
        ConfusionMatrix samples = new ConfusionMatrix(data.classes());
        int[] flowVerdict = new int[data.flowCount()];
        int[] samplesOfFlow = new int[data.flowCount()];
        Arrays.fill(flowVerdict, -1);
        for (int i = 0; i < predicted.length; i++) {
            if (predicted[i] < 0 || predicted[i] >= data.classes().size()) {
                throw new IllegalArgumentException("sample " + i + ": predicted class " + predicted[i] + " out of range");
            }
            samples.add(data.label(i), predicted[i]);
            flowVerdict[data.flowOf(i)] = predicted[i];
            samplesOfFlow[data.flowOf(i)]++;
        }
        ConfusionMatrix flows = new ConfusionMatrix(data.classes());
        boolean one = true;
        for (int f = 0; f < flowVerdict.length; f++) {
            flows.add(data.flowLabel(f), flowVerdict[f]);
            one &= samplesOfFlow[f] == 1;
        }
        return new Evaluation(Metrics.of(samples), Metrics.of(flows), one);
    }
}
