package io.xdpml.model.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * Precision, recall, F1 and support per class, their macro and support-weighted averages, and
 * accuracy, from a {@link ConfusionMatrix}. Unclassified items count against recall (and
 * accuracy) of their class and as no class's prediction. As scikit-learn's defaults: a ratio with
 * a zero denominator is 0, and the averages run over the classes that occur (in the truth or
 * the predictions).
 */
public record Metrics(ConfusionMatrix confusion, List<ClassMetrics> perClass, double accuracy,
                      double macroPrecision, double macroRecall, double macroF1,
                      double weightedPrecision, double weightedRecall, double weightedF1) {

    /** One class's row. */
    public record ClassMetrics(String name, double precision, double recall, double f1, long support) {}

    public static Metrics of(ConfusionMatrix m) {
        List<ClassMetrics> per = new ArrayList<>();
        double mp = 0;
        double mr = 0;
        double mf = 0;
        double wp = 0;
        double wr = 0;
        double wf = 0;
        int present = 0;
        long total = m.total();
        for (int c = 0; c < m.classCount(); c++) {
            long tp = m.count(c, c);
            long support = m.support(c);
            long predicted = m.predicted(c);
            double p = ratio(tp, predicted);
            double r = ratio(tp, support);
            double f = p + r == 0 ? 0 : 2 * p * r / (p + r);
            per.add(new ClassMetrics(m.classes().get(c), p, r, f, support));
            if (support > 0 || predicted > 0) {
                present++;
                mp += p;
                mr += r;
                mf += f;
            }
            wp += p * support;
            wr += r * support;
            wf += f * support;
        }
        return new Metrics(m, List.copyOf(per), ratio(m.correct(), total),
                present == 0 ? 0 : mp / present, present == 0 ? 0 : mr / present, present == 0 ? 0 : mf / present,
                total == 0 ? 0 : wp / total, total == 0 ? 0 : wr / total, total == 0 ? 0 : wf / total);
    }

    private static double ratio(long a, long b) {
        return b == 0 ? 0 : (double) a / b;
    }

    public ClassMetrics of(String className) {
        return perClass.stream().filter(c -> c.name().equals(className)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no class " + className));
    }

    public long total() {
        return confusion.total();
    }
}
