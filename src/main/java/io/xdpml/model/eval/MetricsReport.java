package io.xdpml.model.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders {@link Metrics}: a text table (with the confusion matrix) and a JSON object. */
public final class MetricsReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MetricsReport() {}

    /**
     * JSON: {@code accuracy}, {@code macro_f1}, {@code weighted_f1}, {@code macro_precision},
     * {@code macro_recall}, {@code support}, {@code per_class} (name -> precision, recall, f1,
     * support), {@code classes}, {@code confusion} (rows: true class, columns: predicted class, in
     * {@code classes} order) and {@code unclassified} (per true class).
     */
    public static ObjectNode json(Metrics m) {
        ObjectNode o = JSON.createObjectNode();
        o.put("accuracy", m.accuracy());
        o.put("macro_f1", m.macroF1());
        o.put("weighted_f1", m.weightedF1());
        o.put("macro_precision", m.macroPrecision());
        o.put("macro_recall", m.macroRecall());
        o.put("support", m.total());
        ObjectNode per = o.putObject("per_class");
        for (Metrics.ClassMetrics c : m.perClass()) {
            ObjectNode n = per.putObject(c.name());
            n.put("precision", c.precision());
            n.put("recall", c.recall());
            n.put("f1", c.f1());
            n.put("support", c.support());
        }
        ConfusionMatrix cm = m.confusion();
        ArrayNode classes = o.putArray("classes");
        cm.classes().forEach(classes::add);
        ArrayNode rows = o.putArray("confusion");
        ArrayNode unclassified = o.putArray("unclassified");
        for (int a = 0; a < cm.classCount(); a++) {
            ArrayNode row = rows.addArray();
            for (int p = 0; p < cm.classCount(); p++) {
                row.add(cm.count(a, p));
            }
            unclassified.add(cm.unclassified(a));
        }
        return o;
    }

    /** Per-class table, averages and confusion matrix of one classifier. */
    public static String table(String title, Metrics m) {
        StringBuilder sb = new StringBuilder();
        int w = Math.max(14, m.perClass().stream().mapToInt(c -> c.name().length()).max().orElse(0) + 2);
        sb.append(title).append('\n');
        sb.append(pad("class", w)).append(String.format(Locale.ROOT, "%10s %10s %10s %10s%n", "precision", "recall", "f1", "support"));
        for (Metrics.ClassMetrics c : m.perClass()) {
            sb.append(pad(c.name(), w)).append(String.format(Locale.ROOT, "%10.4f %10.4f %10.4f %10d%n", c.precision(), c.recall(), c.f1(), c.support()));
        }
        sb.append(pad("accuracy", w)).append(String.format(Locale.ROOT, "%10s %10s %10.4f %10d%n", "", "", m.accuracy(), m.total()));
        sb.append(pad("macro avg", w)).append(String.format(Locale.ROOT, "%10.4f %10.4f %10.4f %10d%n", m.macroPrecision(), m.macroRecall(), m.macroF1(), m.total()));
        sb.append(pad("weighted avg", w)).append(String.format(Locale.ROOT, "%10.4f %10.4f %10.4f %10d%n", m.weightedPrecision(), m.weightedRecall(), m.weightedF1(), m.total()));
        sb.append(confusion(m.confusion(), w));
        return sb.toString();
    }

    /** The confusion matrix: rows true class, columns predicted (numbered as the rows). */
    public static String confusion(ConfusionMatrix cm, int w) {
        StringBuilder sb = new StringBuilder("confusion (rows: true class, columns: predicted)\n");
        int cw = (int) Math.max(6, Long.toString(cm.total()).length() + 1);
        sb.append(pad("", w + 4));
        for (int p = 0; p < cm.classCount(); p++) {
            sb.append(String.format(Locale.ROOT, "%" + cw + "s", "[" + p + "]"));
        }
        boolean anyUnclassified = cm.totalUnclassified() > 0;
        if (anyUnclassified) {
            sb.append("  unclassified");
        }
        sb.append('\n');
        for (int a = 0; a < cm.classCount(); a++) {
            sb.append(String.format(Locale.ROOT, "%-4s", "[" + a + "]")).append(pad(cm.classes().get(a), w));
            for (int p = 0; p < cm.classCount(); p++) {
                sb.append(String.format(Locale.ROOT, "%" + cw + "d", cm.count(a, p)));
            }
            if (anyUnclassified) {
                sb.append(String.format(Locale.ROOT, "%14d", cm.unclassified(a)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Classifiers side by side: F1 per class, macro and weighted F1, accuracy. */
    public static String sideBySide(Map<String, Metrics> byName) {
        List<String> names = List.copyOf(byName.keySet());
        Metrics first = byName.values().iterator().next();
        int w = Math.max(14, first.perClass().stream().mapToInt(c -> c.name().length()).max().orElse(0) + 2);
        StringBuilder sb = new StringBuilder(pad("F1", w)).append(String.format(Locale.ROOT, "%10s", "support"));
        for (String n : names) {
            sb.append(String.format(Locale.ROOT, " %10s", n));
        }
        sb.append('\n');
        for (int c = 0; c < first.perClass().size(); c++) {
            sb.append(pad(first.perClass().get(c).name(), w)).append(String.format(Locale.ROOT, "%10d", first.perClass().get(c).support()));
            for (String n : names) {
                sb.append(String.format(Locale.ROOT, " %10.4f", byName.get(n).perClass().get(c).f1()));
            }
            sb.append('\n');
        }
        row(sb, "macro F1", w, names, byName, Metrics::macroF1);
        row(sb, "weighted F1", w, names, byName, Metrics::weightedF1);
        row(sb, "accuracy", w, names, byName, Metrics::accuracy);
        return sb.toString();
    }

    private static void row(StringBuilder sb, String label, int w, List<String> names, Map<String, Metrics> byName,
                            java.util.function.ToDoubleFunction<Metrics> f) {
        sb.append(pad(label, w)).append(String.format(Locale.ROOT, "%10s", ""));
        for (String n : names) {
            sb.append(String.format(Locale.ROOT, " %10.4f", f.applyAsDouble(byName.get(n))));
        }
        sb.append('\n');
    }

    private static String pad(String s, int w) {
        return String.format(Locale.ROOT, "%-" + w + "s", s);
    }

    public static String pretty(JsonNode n) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
