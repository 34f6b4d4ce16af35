package io.xdpml.model.file;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.model.ModelInputs;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.model.quantized.QuantizedMlp;
import io.xdpml.model.quantized.TreeEnsemble;
import io.xdpml.model.train.FloatMlp;
import io.xdpml.model.train.FloatModel;
import io.xdpml.model.train.FloatTreeEnsemble;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * A trained model as a versioned JSON file (docs/models.md): its kind, classes, the inputs it
 * reads (by name), the integer model the kernel loads, the float model it came from, and how it
 * was trained. Inside the model sections an input is referred to by its position in
 * {@code inputs}; in memory (and in the kernel) by its index in {@link ModelInputs}. Reading is
 * strict: any missing, mistyped or inconsistent field is a {@link ModelFileException} naming the
 * field; a key the format does not have (outside {@code provenance}) is refused by name; an MLP's
 * float model must have the integer model's inputs, input scaling and layer shapes; the integer
 * models' own invariants come through with their messages.
 */
public record ModelFile(ModelKind kind, List<String> classes, List<String> inputs, IntegerModel integerModel,
                        FloatModel floatModel, ObjectNode provenance) {
    public static final String FORMAT = "xdpml-model";
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelFile {
        Objects.requireNonNull(kind);
        classes = List.copyOf(classes);
        inputs = List.copyOf(inputs);
        Objects.requireNonNull(integerModel);
        Objects.requireNonNull(floatModel);
        provenance = provenance == null ? JSON.createObjectNode() : provenance.deepCopy();
        check(kind, classes, inputs, integerModel, floatModel, "model");
    }

    private static void check(ModelKind kind, List<String> classes, List<String> inputs, IntegerModel im, FloatModel fm, String where) {
        if (classes.size() < 2 || classes.size() > IntegerModel.MAX_CLASSES) {
            throw new ModelFileException(where + ": field 'classes': needs 2.." + IntegerModel.MAX_CLASSES + " classes, not " + classes.size());
        }
        if (new HashSet<>(classes).size() != classes.size() || classes.stream().anyMatch(String::isBlank)) {
            throw new ModelFileException(where + ": field 'classes': names must be distinct and not blank: " + classes);
        }
        if (new HashSet<>(inputs).size() != inputs.size() || inputs.isEmpty()) {
            throw new ModelFileException(where + ": field 'inputs': needs distinct input names: " + inputs);
        }
        if (im.classCount() != classes.size() || fm.classCount() != classes.size()) {
            throw new ModelFileException(where + ": field 'classes': " + classes.size() + " classes, the models have "
                    + im.classCount() + " (integer) and " + fm.classCount() + " (float)");
        }
        boolean kindOk = switch (kind) {
            case DT -> im instanceof TreeEnsemble t && t.treeCount() == 1 && fm instanceof FloatTreeEnsemble;
            case RF -> im instanceof TreeEnsemble && fm instanceof FloatTreeEnsemble;
            case MLP -> im instanceof QuantizedMlp && fm instanceof FloatMlp;
        };
        if (!kindOk) {
            throw new ModelFileException(where + ": field 'kind': '" + kind.id() + "' does not match the models ("
                    + im.getClass().getSimpleName() + ", " + fm.getClass().getSimpleName() + ")");
        }
        if (im instanceof QuantizedMlp q && fm instanceof FloatMlp f) {
            checkSameMlp(q, f, where);
        }
        List<Integer> allowed = inputs.stream().map(ModelInputs::index).toList();
        for (int i : im.inputsUsed()) {
            if (!allowed.contains(i)) {
                throw new ModelFileException(where + ": the integer model reads input '" + ModelInputs.name(i) + "', not in 'inputs'");
            }
        }
    }

    /**
     * The integer MLP must be the float one quantized: the same inputs in the same order, the same
     * input scaling, the same layer shapes (else eval compares two different models).
     */
    private static void checkSameMlp(QuantizedMlp q, FloatMlp f, String where) {
        if (!java.util.Arrays.equals(q.inputIndex(), f.inputIndex())) {
            throw new ModelFileException(where + ": field 'float.input': inputs " + names(f.inputIndex())
                    + " are not the integer model's " + names(q.inputIndex()) + " (field 'integer.input')");
        }
        if (!java.util.Arrays.equals(q.inputMin(), f.inputMin())) {
            throw new ModelFileException(where + ": field 'float.input_min': " + unsigned(f.inputMin())
                    + " is not the integer model's " + unsigned(q.inputMin()));
        }
        if (!java.util.Arrays.equals(q.inputMax(), f.inputMax())) {
            throw new ModelFileException(where + ": field 'float.input_max': " + unsigned(f.inputMax())
                    + " is not the integer model's " + unsigned(q.inputMax()));
        }
        List<String> qs = new ArrayList<>();
        for (int l = 0; l < q.layerCount(); l++) {
            qs.add(q.layer(l).in() + "x" + q.layer(l).out());
        }
        List<String> fs = f.layers().stream().map(l -> l.in() + "x" + l.out()).toList();
        if (!qs.equals(fs)) {
            throw new ModelFileException(where + ": field 'float.layers': shapes (in x out) " + fs + " are not the integer model's " + qs);
        }
    }

    private static List<String> names(int[] index) {
        return java.util.Arrays.stream(index).mapToObj(ModelInputs::name).toList();
    }

    private static List<String> unsigned(long[] v) {
        return java.util.Arrays.stream(v).mapToObj(Long::toUnsignedString).toList();
    }

    /** Input index (in {@link ModelInputs}) of each entry of {@code inputs}. */
    public int[] inputIndexes() {
        return inputs.stream().mapToInt(ModelInputs::index).toArray();
    }

    // ---------------------------------------------------------------- writing

    public void write(Path file) throws IOException {
        Files.writeString(file, toJsonString() + "\n");
    }

    public String toJsonString() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", FORMAT);
        o.put("version", VERSION);
        o.put("kind", kind.id());
        classes.forEach(o.putArray("classes")::add);
        inputs.forEach(o.putArray("inputs")::add);
        int[] position = new int[ModelInputs.COUNT];
        java.util.Arrays.fill(position, -1);
        for (int j = 0; j < inputs.size(); j++) {
            position[ModelInputs.index(inputs.get(j))] = j;
        }
        if (integerModel instanceof TreeEnsemble t) {
            writeTrees(o.putObject("integer"), (FloatTreeEnsemble) floatModel, t, position);
            ArrayNode ft = o.putObject("float").putArray("threshold");
            for (double v : ((FloatTreeEnsemble) floatModel).threshold()) {
                ft.add(v);
            }
        } else {
            writeMlp(o, (QuantizedMlp) integerModel, (FloatMlp) floatModel, position);
        }
        o.set("provenance", provenance.deepCopy());
        return o;
    }

    private static void writeTrees(ObjectNode o, FloatTreeEnsemble f, TreeEnsemble t, int[] position) {
        for (int r : t.roots()) {
            o.withArray("roots").add(r);
        }
        ArrayNode feature = o.putArray("feature");
        ArrayNode threshold = o.putArray("threshold");
        ArrayNode right = o.putArray("right");
        ArrayNode leaf = o.putArray("leaf_class");
        ArrayNode confidence = o.putArray("leaf_confidence");
        for (int i = 0; i < t.nodeCount(); i++) {
            boolean isLeaf = t.feature(i) == TreeEnsemble.LEAF;
            feature.add(isLeaf ? TreeEnsemble.LEAF : position[t.feature(i)]);
            threshold.add(new BigInteger(Long.toUnsignedString(t.threshold(i))));
            right.add(t.right(i));
            leaf.add(t.leafClass(i));
            confidence.add(t.leafConfidence(i));
        }
    }

    private static void writeMlp(ObjectNode o, QuantizedMlp q, FloatMlp f, int[] position) {
        ObjectNode io = o.putObject("integer");
        for (int idx : q.inputIndex()) {
            io.withArray("input").add(position[idx]);
        }
        for (long v : q.inputMin()) {
            io.withArray("input_min").add(v);
        }
        for (long v : q.inputMax()) {
            io.withArray("input_max").add(v);
        }
        ObjectNode conf = io.putObject("confidence");
        for (long v : q.confidenceMargin()) {
            conf.withArray("margin").add(v);
        }
        for (int v : q.confidenceLevel()) {
            conf.withArray("level").add(v);
        }
        ArrayNode layers = io.putArray("layers");
        for (int l = 0; l < q.layerCount(); l++) {
            QuantizedMlp.Layer layer = q.layer(l);
            ObjectNode lo = layers.addObject();
            lo.put("in", layer.in());
            lo.put("out", layer.out());
            ArrayNode w = lo.putArray("weights");
            for (byte b : layer.weights()) {
                w.add(b);
            }
            ArrayNode b = lo.putArray("bias");
            for (int v : layer.bias()) {
                b.add(v);
            }
            ArrayNode m = lo.putArray("multiplier");
            for (int v : layer.multiplier()) {
                m.add(v);
            }
        }
        ObjectNode fo = o.putObject("float");
        for (int idx : f.inputIndex()) {
            fo.withArray("input").add(position[idx]);
        }
        for (long v : f.inputMin()) {
            fo.withArray("input_min").add(v);
        }
        for (long v : f.inputMax()) {
            fo.withArray("input_max").add(v);
        }
        ArrayNode fl = fo.putArray("layers");
        for (FloatMlp.Layer layer : f.layers()) {
            ObjectNode lo = fl.addObject();
            lo.put("in", layer.in());
            lo.put("out", layer.out());
            ArrayNode w = lo.putArray("weights");
            for (double v : layer.weights()) {
                w.add(v);
            }
            ArrayNode b = lo.putArray("bias");
            for (double v : layer.bias()) {
                b.add(v);
            }
        }
    }

    // ---------------------------------------------------------------- reading

    public static ModelFile read(Path file) throws IOException {
        String text = Files.readString(file);
        return parse(text, file.toString());
    }

    /** Parses and validates a model file's text; {@code source} names it in errors. */
    public static ModelFile parse(String text, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ModelFileException(source + ": not JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""), e);
        }
        JsonFields f = new JsonFields(source, "", root);
        if (!FORMAT.equals(f.string("format"))) {
            throw f.error("format", "must be '" + FORMAT + "', not '" + f.string("format") + "'");
        }
        int version = f.integer("version");
        if (version != VERSION) {
            throw f.error("version", "unsupported version " + version + " (this xdpml reads " + VERSION + ")");
        }
        f.onlyKeys("format", "version", "kind", "classes", "inputs", "integer", "float", "provenance");
        ModelKind kind;
        try {
            kind = ModelKind.of(f.string("kind"));
        } catch (IllegalArgumentException e) {
            throw f.error("kind", e.getMessage());
        }
        List<String> classes = f.strings("classes");
        List<String> inputs = f.strings("inputs");
        int[] index = new int[inputs.size()];
        for (int j = 0; j < index.length; j++) {
            try {
                index[j] = ModelInputs.index(inputs.get(j));
            } catch (IllegalArgumentException e) {
                throw f.error("inputs[" + j + "]", e.getMessage());
            }
        }
        JsonFields integer = f.object("integer");
        IntegerModel im;
        FloatModel fm;
        if (kind == ModelKind.MLP) {
            JsonFields fl = f.object("float");
            im = readQuantizedMlp(integer, index);
            fm = readFloatMlp(fl, index);
        } else {
            JsonFields fl = f.object("float");
            TreeEnsemble t = readTrees(integer, index, classes.size());
            double[] thresholds = fl.doubles("threshold");
            fl.onlyKeys("threshold");
            if (thresholds.length != t.nodeCount()) {
                throw fl.error("float.threshold", thresholds.length + " thresholds for " + t.nodeCount() + " nodes");
            }
            int[] feature = new int[t.nodeCount()];
            int[] right = new int[t.nodeCount()];
            int[] leaf = new int[t.nodeCount()];
            for (int i = 0; i < feature.length; i++) {
                feature[i] = t.feature(i);
                right[i] = t.right(i);
                leaf[i] = t.leafClass(i);
                if (feature[i] != TreeEnsemble.LEAF && FloatTreeEnsemble.integerThreshold(clampThreshold(thresholds[i], fl, i)) != t.threshold(i)) {
                    throw fl.error("float.threshold[" + i + "]", "floor(" + thresholds[i] + ") is not the integer threshold " + Long.toUnsignedString(t.threshold(i)));
                }
            }
            fm = new FloatTreeEnsemble(classes.size(), t.roots(), feature, thresholds, right, leaf);
            im = t;
        }
        JsonNode prov = f.has("provenance") ? f.raw("provenance") : JSON.createObjectNode();
        if (!prov.isObject()) {
            throw f.error("provenance", "must be an object");
        }
        try {
            return new ModelFile(kind, classes, inputs, im, fm, (ObjectNode) prov);
        } catch (ModelFileException e) {
            throw new ModelFileException(e.getMessage().replaceFirst("^model:", source + ":"));
        }
    }

    private static double clampThreshold(double t, JsonFields f, int i) {
        if (t < 0 || t >= 0x1p64) {
            throw f.error("float.threshold[" + i + "]", "outside 0..2^64: " + t);
        }
        return t;
    }

    private static int[] inputRefs(JsonFields f, String field, int[] index) {
        int[] refs = f.ints(field);
        int[] out = new int[refs.length];
        for (int i = 0; i < refs.length; i++) {
            if (refs[i] < 0 || refs[i] >= index.length) {
                throw f.error(f.path() + "." + field + "[" + i + "]", "input " + refs[i] + " is not a position in 'inputs' (0.." + (index.length - 1) + ")");
            }
            out[i] = index[refs[i]];
        }
        return out;
    }

    private static TreeEnsemble readTrees(JsonFields f, int[] index, int classCount) {
        int[] roots = f.ints("roots");
        int[] feature = f.ints("feature");
        long[] threshold = f.u64s("threshold");
        int[] right = f.ints("right");
        int[] leaf = f.ints("leaf_class");
        // a file from before confidences: every leaf at full confidence (an uncalibrated model)
        int[] confidence = f.has("leaf_confidence") ? f.ints("leaf_confidence") : null;
        f.onlyKeys("roots", "feature", "threshold", "right", "leaf_class", "leaf_confidence");
        for (int i = 0; i < feature.length; i++) {
            if (feature[i] == TreeEnsemble.LEAF) {
                continue;
            }
            if (feature[i] < 0 || feature[i] >= index.length) {
                throw f.error("integer.feature[" + i + "]", "input " + feature[i] + " is not a position in 'inputs' (0.." + (index.length - 1) + ") or " + TreeEnsemble.LEAF + " (leaf)");
            }
            feature[i] = index[feature[i]];
        }
        try {
            return confidence == null ? new TreeEnsemble(classCount, roots, feature, threshold, right, leaf)
                    : new TreeEnsemble(classCount, roots, feature, threshold, right, leaf, confidence);
        } catch (IllegalArgumentException e) {
            throw f.error("integer", e.getMessage());
        }
    }

    private static QuantizedMlp readQuantizedMlp(JsonFields f, int[] index) {
        int[] inputIndex = inputRefs(f, "input", index);
        long[] min = f.u64s("input_min");
        long[] max = f.u64s("input_max");
        List<QuantizedMlp.Layer> layers = new ArrayList<>();
        for (JsonFields l : f.objects("layers")) {
            layers.add(new QuantizedMlp.Layer(l.integer("in"), l.integer("out"), l.int8s("weights"), l.ints("bias"), l.ints("multiplier")));
            l.onlyKeys("in", "out", "weights", "bias", "multiplier");
        }
        long[] margin = null; // a file from before confidences: always 1000
        int[] level = null;
        if (f.has("confidence")) {
            JsonFields conf = f.object("confidence");
            margin = conf.u64s("margin");
            level = conf.ints("level");
            conf.onlyKeys("margin", "level");
        }
        f.onlyKeys("input", "input_min", "input_max", "confidence", "layers");
        QuantizedMlp.Layer[] ls = layers.toArray(QuantizedMlp.Layer[]::new);
        try {
            return margin == null ? new QuantizedMlp(inputIndex, min, max, ls) : new QuantizedMlp(inputIndex, min, max, margin, level, ls);
        } catch (IllegalArgumentException e) {
            throw f.error("integer", e.getMessage());
        }
    }

    private static FloatMlp readFloatMlp(JsonFields f, int[] index) {
        int[] inputIndex = inputRefs(f, "input", index);
        long[] min = f.u64s("input_min");
        long[] max = f.u64s("input_max");
        List<FloatMlp.Layer> layers = new ArrayList<>();
        for (JsonFields l : f.objects("layers")) {
            try {
                layers.add(new FloatMlp.Layer(l.integer("in"), l.integer("out"), l.doubles("weights"), l.doubles("bias")));
                l.onlyKeys("in", "out", "weights", "bias");
            } catch (IllegalArgumentException e) {
                if (e instanceof ModelFileException) {
                    throw e;
                }
                throw l.error(e.getMessage());
            }
        }
        f.onlyKeys("input", "input_min", "input_max", "layers");
        try {
            return new FloatMlp(inputIndex, min, max, layers);
        } catch (IllegalArgumentException e) {
            throw f.error("float", e.getMessage());
        }
    }
}
