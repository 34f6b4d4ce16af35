package io.xdpml.model.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.quantized.IntegerModel;
import java.util.List;
import java.util.Locale;

/**
 * What a model's actions would do at confidence thresholds: a class's action is taken only when
 * the model gives that class with at least its threshold, in thousandths (below, the packet goes
 * to Java instead), as the agent's {@code model.min-confidence} does. Per class: the share of its samples acted on as that class (recall) and the
 * share of the other samples wrongly acted on as it (false positive rate); with the first class
 * as the benign one, the attack recall (an attack sample acted on as any attack class) and the
 * benign false positive rate (a benign sample acted on as any attack class). Counts, not
 * averages: each capture's row is exact.
 *
 * @param thresholds  per class: its threshold, thousandths
 * @param support     samples per true class
 * @param actedRight  per class: samples of it acted on as it
 * @param actedWrong  per class: samples of other classes acted on as it
 * @param deferred    per class: samples given it below the threshold (to Java)
 * @param attacks     samples of every class but the first
 * @param attacksCaught those acted on as any class but the first
 * @param benignFlagged samples of the first class acted on as another class
 */
public record ConfidenceReport(String name, List<String> classes, int[] thresholds, long[] support, long[] actedRight,
                               long[] actedWrong, long[] deferred, long attacks, long attacksCaught, long benignFlagged) {

    /** The Java integer model on every sample of {@code d}, class c at {@code thresholds[c]} thousandths. */
    public static ConfidenceReport of(String name, Dataset d, IntegerModel model, int[] thresholds) {
        int k = d.classes().size();
        long[] support = new long[k];
        long[] right = new long[k];
        long[] wrong = new long[k];
        long[] deferred = new long[k];
        long attacks = 0;
        long caught = 0;
        long flagged = 0;
        for (int i = 0; i < d.size(); i++) {
            int truth = d.label(i);
            int scored = model.scored(d.inputs(i));
            int cls = IntegerModel.classOf(scored);
            boolean acted = IntegerModel.confidenceOf(scored) >= thresholds[cls];
            support[truth]++;
            if (!acted) {
                deferred[cls]++;
            } else if (cls == truth) {
                right[cls]++;
            } else {
                wrong[cls]++;
            }
            if (truth != 0) {
                attacks++;
                if (acted && cls != 0) {
                    caught++;
                }
            } else if (acted && cls != 0) {
                flagged++;
            }
        }
        return new ConfidenceReport(name, d.classes(), thresholds.clone(), support, right, wrong, deferred, attacks, caught, flagged);
    }

    public long samples() {
        long n = 0;
        for (long s : support) {
            n += s;
        }
        return n;
    }

    /** Attack recall at the threshold; NaN without attack samples. */
    public double attackRecall() {
        return attacks == 0 ? Double.NaN : (double) attacksCaught / attacks;
    }

    /** Benign false positive rate at the threshold; NaN without benign samples. */
    public double benignFalsePositiveRate() {
        return support[0] == 0 ? Double.NaN : (double) benignFlagged / support[0];
    }

    public double recall(int c) {
        return support[c] == 0 ? Double.NaN : (double) actedRight[c] / support[c];
    }

    public double falsePositiveRate(int c) {
        long others = samples() - support[c];
        return others == 0 ? Double.NaN : (double) actedWrong[c] / others;
    }

    /** One line: the capture (or data set), its samples, attack recall and benign false positive rate. */
    public String line() {
        return String.format(Locale.ROOT, "%-48s %9d %12s %12s", name, samples(), percent(attackRecall()), percent(benignFalsePositiveRate()));
    }

    /** The per-class table; its class column as wide as the longest class name, at least 16 (a longer name kept the columns after it aligned only since 2026-12-06). */
    public String classTable() {
        int w = 16;
        for (String c : classes) {
            w = Math.max(w, c.length());
        }
        String name = "%-" + w + "s";
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, name + " %9s %9s %10s %10s %10s%n", "class", "threshold", "support",
                "recall", "fpr", "to java"));
        for (int c = 0; c < classes.size(); c++) {
            b.append(String.format(Locale.ROOT, name + " %9.3f %9d %10s %10s %10d%n", classes.get(c), thresholds[c] / 1000.0, support[c],
                    percent(recall(c)), percent(falsePositiveRate(c)), deferred[c]));
        }
        return b.toString();
    }

    static String percent(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    public ObjectNode json() {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("name", name);
        if (java.util.Arrays.stream(thresholds).distinct().count() == 1) {
            o.put("threshold", thresholds[0] / 1000.0);
        } else {
            ObjectNode t = o.putObject("threshold");
            for (int c = 0; c < classes.size(); c++) {
                t.put(classes.get(c), thresholds[c] / 1000.0);
            }
        }
        o.put("samples", samples());
        putRate(o, "attack_recall", attackRecall());
        putRate(o, "benign_fpr", benignFalsePositiveRate());
        ObjectNode per = o.putObject("per_class");
        for (int c = 0; c < classes.size(); c++) {
            ObjectNode p = per.putObject(classes.get(c));
            p.put("threshold", thresholds[c] / 1000.0);
            p.put("support", support[c]);
            putRate(p, "recall", recall(c));
            putRate(p, "fpr", falsePositiveRate(c));
            p.put("to_java", deferred[c]);
        }
        return o;
    }

    private static void putRate(ObjectNode o, String field, double v) {
        if (Double.isNaN(v)) {
            o.putNull(field);
        } else {
            o.put(field, v);
        }
    }
}
