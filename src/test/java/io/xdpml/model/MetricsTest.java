package io.xdpml.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.eval.ConfusionMatrix;
import io.xdpml.model.eval.Evaluation;
import io.xdpml.model.eval.Metrics;
import io.xdpml.model.eval.MetricsReport;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Metrics against confusion matrices worked out by hand. */
class MetricsTest {
    private static final List<String> ABC = List.of("a", "b", "c");

    /**
     * Rows true, columns predicted:
     * <pre>
     *        a  b  c
     *   a    5  1  0     support 6
     *   b    2  3  1     support 6
     *   c    0  0  4     support 4
     * </pre>
     * precision a 5/7, b 3/4, c 4/5; recall a 5/6, b 3/6, c 4/4; accuracy 12/16.
     */
    private static ConfusionMatrix handMade() {
        ConfusionMatrix m = new ConfusionMatrix(ABC);
        m.add(0, 0, 5);
        m.add(0, 1, 1);
        m.add(1, 0, 2);
        m.add(1, 1, 3);
        m.add(1, 2, 1);
        m.add(2, 2, 4);
        return m;
    }

    private static double f1(double p, double r) {
        return 2 * p * r / (p + r);
    }

    @Test
    void perClassAveragesAndAccuracyMatchTheHandComputedValues() {
        Metrics m = Metrics.of(handMade());
        double fa = f1(5 / 7.0, 5 / 6.0);
        double fb = f1(3 / 4.0, 3 / 6.0);
        double fc = f1(4 / 5.0, 1.0);
        assertThat(m.of("a").precision()).isCloseTo(5 / 7.0, within(1e-12));
        assertThat(m.of("a").recall()).isCloseTo(5 / 6.0, within(1e-12));
        assertThat(m.of("b").precision()).isCloseTo(0.75, within(1e-12));
        assertThat(m.of("b").recall()).isCloseTo(0.5, within(1e-12));
        assertThat(m.of("c").f1()).isCloseTo(fc, within(1e-12));
        assertThat(m.of("b").support()).isEqualTo(6);
        assertThat(m.accuracy()).isCloseTo(12 / 16.0, within(1e-12));
        assertThat(m.macroF1()).isCloseTo((fa + fb + fc) / 3, within(1e-12));
        assertThat(m.macroPrecision()).isCloseTo((5 / 7.0 + 0.75 + 0.8) / 3, within(1e-12));
        assertThat(m.weightedF1()).isCloseTo((6 * fa + 6 * fb + 4 * fc) / 16, within(1e-12));
        assertThat(m.weightedRecall()).isCloseTo(m.accuracy(), within(1e-12)); // always true: a check of the weighting
    }

    @Test
    void aClassThatNeverOccursIsLeftOutOfTheMacroAverageAndZeroDivisionsAreZero() {
        ConfusionMatrix cm = new ConfusionMatrix(ABC);
        cm.add(0, 0, 3);
        cm.add(1, 0, 1); // b never predicted: precision 0/0 = 0, recall 0
        Metrics m = Metrics.of(cm);
        assertThat(m.of("b").precision()).isZero();
        assertThat(m.of("b").f1()).isZero();
        assertThat(m.of("c").support()).isZero();
        double fa = f1(0.75, 1.0);
        assertThat(m.macroF1()).isCloseTo(fa / 2, within(1e-12)); // a and b, not c
    }

    @Test
    void unclassifiedItemsLowerRecallButNoPrecision() {
        ConfusionMatrix cm = new ConfusionMatrix(List.of("benign", "attack"));
        cm.add(0, 0, 8);
        cm.add(1, 1, 6);
        cm.add(1, -1, 2); // two attack flows shorter than N
        Metrics m = Metrics.of(cm);
        assertThat(m.of("attack").recall()).isCloseTo(0.75, within(1e-12));
        assertThat(m.of("attack").precision()).isEqualTo(1.0);
        assertThat(m.accuracy()).isCloseTo(14 / 16.0, within(1e-12));
        assertThat(cm.totalUnclassified()).isEqualTo(2);
    }

    @Test
    void flowVerdictIsTheLastSamplesPredictionAndFlowsWithoutSamplesAreUnclassified() {
        // flow 0 (class 0): samples 0, 2; flow 1 (class 1): sample 1, 3; flow 2 (class 1): no sample
        long[][] x = {{0}, {1}, {2}, {3}};
        Dataset d = new Dataset(List.of("benign", "attack"), x, new int[] {0, 1, 0, 1}, new int[] {0, 1, 0, 1}, new int[] {0, 1, 1}, "t");
        int[] predicted = {1, 0, 0, 1}; // flow 0 ends predicted 0 (right), flow 1 ends 1 (right)
        Evaluation e = Evaluation.of(d, predicted);
        assertThat(e.perSample().accuracy()).isCloseTo(0.5, within(1e-12));
        ConfusionMatrix f = e.perFlow().confusion();
        assertThat(f.count(0, 0)).isEqualTo(1);
        assertThat(f.count(1, 1)).isEqualTo(1);
        assertThat(f.unclassified(1)).isEqualTo(1);
        assertThat(e.perFlow().of("attack").recall()).isCloseTo(0.5, within(1e-12));
        assertThat(e.oneSamplePerFlow()).isFalse();
        assertThatThrownBy(() -> Evaluation.of(d, new int[] {0, 0, 2, 0})).hasMessageContaining("out of range");
    }

    @Test
    void jsonHasTheDocumentedKeys() {
        JsonNode j = MetricsReport.json(Metrics.of(handMade()));
        assertThat(j.fieldNames()).toIterable().contains("macro_f1", "weighted_f1", "accuracy", "per_class", "confusion");
        assertThat(j.get("per_class").get("b").get("support").asLong()).isEqualTo(6);
        assertThat(j.get("per_class").get("a").fieldNames()).toIterable().containsExactly("precision", "recall", "f1", "support");
        assertThat(j.get("confusion").get(1).toString()).isEqualTo("[2,3,1]");
        String table = MetricsReport.table("t", Metrics.of(handMade()));
        assertThat(table).contains("macro avg").contains("weighted avg").contains("[1] b");
    }
}
