package io.xdpml.model.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.file.ModelFile;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model file judged on a dataset by several engines side by side: "float" (the model as
 * trained), "quantized" (the Java integer model, what the kernel runs) and any others plugged in
 * as a {@link Classifier} (e.g. "kernel", BPF_PROG_TEST_RUN).
 *
 * @param engines evaluation per engine, in the order given
 */
public record ModelEvaluation(Dataset data, Map<String, Evaluation> engines) {

    /** The float and quantized engines of a model file. */
    public static Map<String, Classifier> standardEngines(ModelFile model) {
        Map<String, Classifier> m = new LinkedHashMap<>();
        m.put("float", model.floatModel()::classify);
        m.put("quantized", model.integerModel()::classify);
        return m;
    }

    public static ModelEvaluation run(Dataset data, Map<String, Classifier> engines) {
        Map<String, Evaluation> out = new LinkedHashMap<>();
        engines.forEach((name, c) -> out.put(name, Evaluation.of(data, c)));
        return new ModelEvaluation(data, out);
    }

    /** The engine the kernel runs: "quantized" if present, else the first. */
    public Evaluation primary() {
        Evaluation q = engines.get("quantized");
        return q != null ? q : engines.values().iterator().next();
    }

    /**
     * JSON: the quantized engine's per-sample metrics at the top level ({@code accuracy},
     * {@code macro_f1}, {@code weighted_f1}, {@code per_class}, {@code confusion}, ...), its
     * per-flow metrics under {@code per_flow}, and every engine under {@code engines.NAME}
     * (with {@code per_flow} each).
     */
    public ObjectNode json() {
        ObjectNode o = MetricsReport.json(primary().perSample());
        o.put("data", data.description());
        o.put("samples", data.size());
        o.put("flows", data.flowCount());
        o.set("per_flow", MetricsReport.json(primary().perFlow()));
        ObjectNode e = o.putObject("engines");
        engines.forEach((name, ev) -> {
            ObjectNode n = MetricsReport.json(ev.perSample());
            n.set("per_flow", MetricsReport.json(ev.perFlow()));
            e.set(name, n);
        });
        return o;
    }

    /** Short summary for a model file's provenance: macro F1 and accuracy per engine. */
    public ObjectNode summary() {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("data", data.description());
        o.put("samples", data.size());
        engines.forEach((name, ev) -> {
            ObjectNode n = o.putObject(name);
            n.put("macro_f1", ev.perSample().macroF1());
            n.put("accuracy", ev.perSample().accuracy());
            n.put("flow_macro_f1", ev.perFlow().macroF1());
        });
        return o;
    }

    /** Text: the side-by-side F1 table per sample (and per flow where flows have several samples), then each engine's full table. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        boolean flows = engines.values().iterator().next().oneSamplePerFlow();
        String unit = flows ? "per flow (one sample each)" : "per sample";
        sb.append("== ").append(data.description()).append(": ").append(data.size()).append(" samples, ")
                .append(data.flowCount()).append(" flows\n\n");
        Map<String, Metrics> s = new LinkedHashMap<>();
        engines.forEach((n, e) -> s.put(n, e.perSample()));
        sb.append("-- F1 ").append(unit).append('\n').append(MetricsReport.sideBySide(s)).append('\n');
        if (!flows) {
            Map<String, Metrics> f = new LinkedHashMap<>();
            engines.forEach((n, e) -> f.put(n, e.perFlow()));
            sb.append("-- F1 per flow (verdict: the flow's last classified packet)\n").append(MetricsReport.sideBySide(f)).append('\n');
        }
        engines.forEach((n, e) -> {
            sb.append(MetricsReport.table("-- " + n + ", " + unit, e.perSample())).append('\n');
            if (!flows) {
                sb.append(MetricsReport.table("-- " + n + ", per flow", e.perFlow())).append('\n');
            }
        });
        return sb.toString();
    }
}
