package io.xdpml.model.onnx;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.model.ModelInputs;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What xdpml must know of an ONNX model that the graph does not say: which {@link ModelInputs}
 * feed its k inputs (in column order), the names of its classes (class index = position), an
 * optional per-input scale, and whether a bare score output holds logits or probabilities.
 * Read from {@code MODEL.onnx.json} beside the model or from the model's metadata entry
 * {@code "xdpml"} (same JSON):
 *
 * <pre>{@code
 * {"inputs": ["protocol", "packet_length", "hs_len_mean"],
 *  "classes": ["benign", "synflood"],
 *  "input_scale": [1, 1, 1.52587890625e-05],        // optional: one number, or one per input
 *  "output": "logits"}                               // optional: logits | probabilities | auto
 * }</pre>
 *
 * The model sees {@code (float) (value * scale)} for each input, the value being the u64 model
 * input as an unsigned integer.
 *
 * @param inputs     model input names, one per column of the ONNX input
 * @param classes    class names, one per class the model gives
 * @param inputScale one factor per input (all 1 when the sidecar has none)
 * @param output     how to read a float score output that comes without a label output
 */
public record OnnxSidecar(List<String> inputs, List<String> classes, double[] inputScale, ScoreKind output) {
    /** What a float [N, C] output without a label output holds. */
    public enum ScoreKind {
        /** Probabilities when every row is in [0, 1] and sums to 1, else logits (softmax taken). */
        AUTO,
        /** Raw scores: the score reported is softmax(row)[class]. */
        LOGITS,
        /** Probabilities: the score reported is row[class]. */
        PROBABILITIES
    }

    /** Metadata key of the sidecar JSON inside a model. */
    public static final String METADATA_KEY = "xdpml";
    private static final Set<String> FIELDS = Set.of("inputs", "classes", "input_scale", "output");
    private static final ObjectMapper JSON = new ObjectMapper();

    public OnnxSidecar {
        inputs = List.copyOf(inputs);
        classes = List.copyOf(classes);
        inputScale = inputScale.clone();
        if (inputScale.length != inputs.size()) {
            throw new IllegalArgumentException(inputScale.length + " scales for " + inputs.size() + " inputs");
        }
    }

    /** Inputs and classes with scale 1 and automatic score detection. */
    public static OnnxSidecar of(List<String> inputs, List<String> classes) {
        double[] ones = new double[inputs.size()];
        java.util.Arrays.fill(ones, 1.0);
        return new OnnxSidecar(inputs, classes, ones, ScoreKind.AUTO);
    }

    @Override
    public double[] inputScale() {
        return inputScale.clone();
    }

    /** The {@link ModelInputs} index of each input column. */
    public int[] inputIndexes() {
        return inputs.stream().mapToInt(ModelInputs::index).toArray();
    }

    /** This sidecar as JSON (what {@link #parse} reads). */
    public String toJson() {
        var o = JSON.createObjectNode();
        inputs.forEach(o.putArray("inputs")::add);
        classes.forEach(o.putArray("classes")::add);
        boolean ones = true;
        for (double s : inputScale) {
            ones &= s == 1.0;
        }
        if (!ones) {
            var a = o.putArray("input_scale");
            for (double s : inputScale) {
                a.add(s);
            }
        }
        if (output != ScoreKind.AUTO) {
            o.put("output", output.name().toLowerCase(Locale.ROOT));
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads sidecar JSON; {@code source} names it in errors ({@code "m.onnx.json"}). Strict: an
     * unknown field, an unknown input name, a repeated name, an empty list or a bad scale is an
     * {@link OnnxModelException} naming the field, and a syntax error names the line.
     */
    public static OnnxSidecar parse(String source, String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new OnnxModelException(source + (loc != null ? ":" + loc.getLineNr() + ":" + loc.getColumnNr() : "") + ": not JSON: "
                    + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new OnnxModelException(source + ": expected a JSON object with \"inputs\" and \"classes\"");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new OnnxModelException(source + ": unknown field '" + f + "' (known: inputs, classes, input_scale, output)");
            }
        }
        List<String> inputs = names(source, root, "inputs");
        for (int i = 0; i < inputs.size(); i++) {
            try {
                ModelInputs.index(inputs.get(i));
            } catch (IllegalArgumentException e) {
                throw new OnnxModelException(source + ": field 'inputs[" + i + "]': " + e.getMessage());
            }
        }
        List<String> classes = names(source, root, "classes");
        double[] scale = new double[inputs.size()];
        JsonNode s = root.get("input_scale");
        if (s == null || s.isNull()) {
            java.util.Arrays.fill(scale, 1.0);
        } else if (s.isNumber()) {
            java.util.Arrays.fill(scale, checkScale(source, "input_scale", s));
        } else if (s.isArray()) {
            if (s.size() != inputs.size()) {
                throw new OnnxModelException(source + ": field 'input_scale': " + s.size() + " values for " + inputs.size() + " inputs");
            }
            for (int i = 0; i < scale.length; i++) {
                scale[i] = checkScale(source, "input_scale[" + i + "]", s.get(i));
            }
        } else {
            throw new OnnxModelException(source + ": field 'input_scale': must be a number or an array of numbers");
        }
        ScoreKind kind = ScoreKind.AUTO;
        JsonNode o = root.get("output");
        if (o != null && !o.isNull()) {
            try {
                kind = ScoreKind.valueOf(o.asText().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new OnnxModelException(source + ": field 'output': must be logits, probabilities or auto, not '" + o.asText() + "'");
            }
        }
        return new OnnxSidecar(inputs, classes, scale, kind);
    }

    private static double checkScale(String source, String field, JsonNode n) {
        if (n == null || !n.isNumber() || !Double.isFinite(n.asDouble()) || n.asDouble() == 0) {
            throw new OnnxModelException(source + ": field '" + field + "': must be a finite non-zero number, not " + n);
        }
        return n.asDouble();
    }

    private static List<String> names(String source, JsonNode root, String field) {
        JsonNode a = root.get(field);
        if (a == null || !a.isArray() || a.isEmpty()) {
            throw new OnnxModelException(source + ": field '" + field + "': must be a non-empty array of names");
        }
        List<String> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < a.size(); i++) {
            JsonNode n = a.get(i);
            if (!n.isTextual() || n.asText().isBlank()) {
                throw new OnnxModelException(source + ": field '" + field + "[" + i + "]': must be a non-empty string, not " + n);
            }
            if (!seen.add(n.asText().toLowerCase(Locale.ROOT))) {
                throw new OnnxModelException(source + ": field '" + field + "[" + i + "]': '" + n.asText() + "' appears twice");
            }
            out.add(n.asText());
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OnnxSidecar s && inputs.equals(s.inputs) && classes.equals(s.classes)
                && java.util.Arrays.equals(inputScale, s.inputScale) && output == s.output;
    }

    @Override
    public int hashCode() {
        return inputs.hashCode() * 31 + classes.hashCode();
    }
}
