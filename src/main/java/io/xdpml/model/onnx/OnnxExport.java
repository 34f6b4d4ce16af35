package io.xdpml.model.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import io.xdpml.model.ModelInputs;
import io.xdpml.model.quantized.QuantizedMlp;
import io.xdpml.model.quantized.TreeEnsemble;
import io.xdpml.model.train.FloatMlp;
import io.xdpml.model.train.FloatTreeEnsemble;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes xdpml's own models as ONNX, built with the ONNX protobuf classes Tribuo ships: a way to
 * make real ONNX models without Python, in the two shapes users bring.
 * <ul>
 *   <li>{@link #trees}: a tree or forest as scikit-learn's converter (skl2onnx) writes one, an
 *       {@code ai.onnx.ml.TreeEnsembleClassifier} with outputs {@code output_label} (int64 [N])
 *       and {@code output_probability} (float [N, C], or with ZipMap a sequence of maps): each
 *       tree votes with weight 1/trees, the label is the class with the most votes.</li>
 *   <li>{@link #mlp}: an MLP as PyTorch writes one: Gemm and Relu, output {@code logits} [N, C];
 *       the input scaling of {@link FloatMlp} (min-max into 128 steps) is part of the graph.</li>
 * </ul>
 * Both read a float input {@code input} [N, k] of the named model inputs as they are (scale 1),
 * and carry their sidecar in the metadata entry {@code "xdpml"}.
 */
public final class OnnxExport {
    private static final long IR_VERSION = 8;
    private static final String ML = "ai.onnx.ml";
    private static final String INPUT = "input";

    private OnnxExport() {}

    /** A serialised model and the sidecar that goes with it. */
    public record Exported(byte[] model, OnnxSidecar sidecar, int inexactThresholds) {
        /** Writes {@code file} and its sidecar {@code file.json}. */
        public void write(Path file) throws IOException {
            Files.write(file, model);
            Files.writeString(file.resolveSibling(file.getFileName() + ".json"), sidecar.toJson());
        }
    }

    /**
     * A tree ensemble as a scikit-learn-shaped ONNX classifier over the input columns
     * {@code inputs} (names of {@link ModelInputs}; every input a tree reads must be there).
     *
     * <p>ONNX Runtime compares {@code (float) x <= threshold} in float. For integer inputs,
     * {@code x <= T} (T the integer threshold) is the same test as {@code (float) x <= (float) T}
     * whenever {@code (float) T < (float) (T + 1)}, i.e. below 2^24 and wherever float still
     * tells T from T + 1; {@link Exported#inexactThresholds} counts thresholds where it cannot
     * (there, values within float's rounding of T may go the other way).
     */
    public static Exported trees(FloatTreeEnsemble model, List<String> inputs, List<String> classes, boolean zipmap) {
        if (classes.size() != model.classCount()) {
            throw new IllegalArgumentException(classes.size() + " class names for a model of " + model.classCount() + " classes");
        }
        int[] column = columns(inputs);
        int[] roots = model.roots();
        int[] feature = model.feature();
        double[] threshold = model.threshold();
        int[] right = model.right();
        int[] leafClass = model.leafClass();
        int trees = roots.length;
        List<Long> treeIds = new ArrayList<>(), nodeIds = new ArrayList<>(), featureIds = new ArrayList<>();
        List<Long> trueIds = new ArrayList<>(), falseIds = new ArrayList<>();
        List<ByteString> modes = new ArrayList<>();
        List<Float> values = new ArrayList<>();
        List<Long> cTree = new ArrayList<>(), cNode = new ArrayList<>(), cId = new ArrayList<>();
        List<Float> cWeight = new ArrayList<>();
        int inexact = 0;
        // ONNX Runtime takes another path for two classes: with weights on class 1 only it sums them and
        // answers class 1 when the sum is > 0.5. A vote a hair under 1/trees makes that "more than half the
        // trees" in float (a tie stays class 0, as the Java forest); with more classes the label is the
        // argmax of the sums, ties to the lowest class, and votes of exactly equal weight tie exactly.
        boolean binary = classes.size() == 2;
        float vote = binary ? (float) (1.0 / trees * (1 - 1e-5)) : 1.0f / trees;
        boolean anyPositive = false;
        for (int t = 0; t < trees; t++) {
            int first = roots[t];
            int end = t + 1 < trees ? roots[t + 1] : feature.length;
            for (int i = first; i < end; i++) {
                treeIds.add((long) t);
                nodeIds.add((long) (i - first));
                if (feature[i] == TreeEnsemble.LEAF) {
                    modes.add(ByteString.copyFromUtf8("LEAF"));
                    featureIds.add(0L);
                    values.add(0f);
                    trueIds.add(0L);
                    falseIds.add(0L);
                    if (!binary || leafClass[i] == 1) {
                        cTree.add((long) t);
                        cNode.add((long) (i - first));
                        cId.add((long) leafClass[i]);
                        cWeight.add(vote);
                        anyPositive |= binary;
                    }
                } else {
                    int col = column[feature[i]];
                    if (col < 0) {
                        throw new IllegalArgumentException("the model reads input '" + ModelInputs.name(feature[i]) + "', not among " + inputs);
                    }
                    long it = FloatTreeEnsemble.integerThreshold(threshold[i]);
                    float tf = (float) FloatTreeEnsemble.unsigned(it);
                    if (it != -1L && tf == (float) FloatTreeEnsemble.unsigned(it + 1)) {
                        inexact++;
                    }
                    modes.add(ByteString.copyFromUtf8("BRANCH_LEQ"));
                    featureIds.add((long) col);
                    values.add(tf);
                    trueIds.add((long) (i + 1 - first));
                    falseIds.add((long) (right[i] - first));
                }
            }
        }
        if (binary && !anyPositive) { // no leaf votes class 1: keep the two-class path with a zero weight
            cTree.add(0L);
            cNode.add((long) (feature.length > 0 ? firstLeaf(feature, roots[0]) - roots[0] : 0));
            cId.add(1L);
            cWeight.add(0f);
        }
        List<Long> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            labels.add((long) c);
        }
        NodeProto.Builder tree = NodeProto.newBuilder().setOpType("TreeEnsembleClassifier").setDomain(ML).setName("trees")
                .addInput(INPUT).addOutput("output_label").addOutput(binary ? "votes" : zipmap ? "scores" : "output_probability")
                .addAttribute(ints("nodes_treeids", treeIds)).addAttribute(ints("nodes_nodeids", nodeIds))
                .addAttribute(ints("nodes_featureids", featureIds)).addAttribute(strings("nodes_modes", modes))
                .addAttribute(floats("nodes_values", values)).addAttribute(ints("nodes_truenodeids", trueIds))
                .addAttribute(ints("nodes_falsenodeids", falseIds)).addAttribute(ints("class_treeids", cTree))
                .addAttribute(ints("class_nodeids", cNode)).addAttribute(ints("class_ids", cId))
                .addAttribute(floats("class_weights", cWeight)).addAttribute(ints("classlabels_int64s", labels))
                .addAttribute(AttributeProto.newBuilder().setName("post_transform").setType(AttributeProto.AttributeType.STRING)
                        .setS(ByteString.copyFromUtf8("NONE")));
        GraphProto.Builder g = GraphProto.newBuilder().setName("xdpml_trees").addNode(tree)
                .addInput(tensorInfo(INPUT, TensorProto.DataType.FLOAT, inputs.size()))
                .addOutput(tensorInfo("output_label", TensorProto.DataType.INT64, -1));
        if (binary) {
            // for two classes ONNX Runtime gives [0, p1]; scikit-learn's shape is [1 - p1, p1]
            String probs = zipmap ? "scores" : "output_probability";
            g.addInitializer(longTensor("col1_start", 1)).addInitializer(longTensor("col1_end", 2))
                    .addInitializer(longTensor("axis1", 1)).addInitializer(floatTensor("one", new long[0], new float[] {1f}));
            g.addNode(node("Slice", "p1", "votes", "col1_start", "col1_end", "axis1"));
            g.addNode(node("Sub", "p0", "one", "p1"));
            g.addNode(node("Concat", probs, "p0", "p1").toBuilder()
                    .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(1)));
        }
        if (zipmap) {
            g.addNode(NodeProto.newBuilder().setOpType("ZipMap").setDomain(ML).setName("zipmap").addInput("scores")
                    .addOutput("output_probability").addAttribute(ints("classlabels_int64s", labels)));
            TypeProto map = TypeProto.newBuilder().setMapType(TypeProto.Map.newBuilder().setKeyType(TensorProto.DataType.INT64.getNumber())
                    .setValueType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                            .setElemType(TensorProto.DataType.FLOAT.getNumber())))).build();
            g.addOutput(ValueInfoProto.newBuilder().setName("output_probability")
                    .setType(TypeProto.newBuilder().setSequenceType(TypeProto.Sequence.newBuilder().setElemType(map))));
        } else {
            g.addOutput(tensorInfo("output_probability", TensorProto.DataType.FLOAT, classes.size()));
        }
        OnnxSidecar sidecar = OnnxSidecar.of(inputs, classes);
        return new Exported(model(g, sidecar, true), sidecar, inexact);
    }

    /** A float MLP as a PyTorch-shaped ONNX model: {@code logits} [N, C], over its own inputs in its order. */
    public static Exported mlp(FloatMlp model, List<String> classes) {
        if (classes.size() != model.classCount()) {
            throw new IllegalArgumentException(classes.size() + " class names for a model of " + model.classCount() + " classes");
        }
        int[] idx = model.inputIndex();
        List<String> inputs = new ArrayList<>();
        for (int i : idx) {
            inputs.add(ModelInputs.name(i));
        }
        int k = idx.length;
        long[] min = model.inputMin();
        long[] max = model.inputMax();
        float[] minF = new float[k];
        float[] stepF = new float[k];
        for (int j = 0; j < k; j++) {
            minF[j] = (float) FloatTreeEnsemble.unsigned(min[j]);
            double range = FloatTreeEnsemble.unsigned(max[j]) - FloatTreeEnsemble.unsigned(min[j]);
            stepF[j] = range > 0 ? (float) (QuantizedMlp.LEVELS / range) : 0f;
        }
        GraphProto.Builder g = GraphProto.newBuilder().setName("xdpml_mlp")
                .addInput(tensorInfo(INPUT, TensorProto.DataType.FLOAT, k))
                .addInitializer(floatTensor("in_min", new long[] {k}, minF))
                .addInitializer(floatTensor("in_step", new long[] {k}, stepF))
                .addInitializer(floatTensor("zero", new long[0], new float[] {0f}))
                .addInitializer(floatTensor("levels", new long[0], new float[] {QuantizedMlp.LEVELS}))
                .addInitializer(floatTensor("inv_levels", new long[0], new float[] {1f / QuantizedMlp.LEVELS}));
        // a0 = clip(floor((x - min) * 127 / (max - min)), 0, 127) / 127, as FloatMlp.scaled
        g.addNode(node("Sub", "centred", INPUT, "in_min"));
        g.addNode(node("Mul", "stepped", "centred", "in_step"));
        g.addNode(node("Floor", "floored", "stepped"));
        g.addNode(node("Clip", "clipped", "floored", "zero", "levels"));
        g.addNode(node("Mul", "a0", "clipped", "inv_levels"));
        String a = "a0";
        List<FloatMlp.Layer> layers = model.layers();
        for (int l = 0; l < layers.size(); l++) {
            FloatMlp.Layer layer = layers.get(l);
            float[] w = new float[layer.weights().length];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) layer.weights()[i];
            }
            float[] b = new float[layer.bias().length];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) layer.bias()[i];
            }
            g.addInitializer(floatTensor("w" + l, new long[] {layer.out(), layer.in()}, w));
            g.addInitializer(floatTensor("b" + l, new long[] {layer.out()}, b));
            boolean last = l == layers.size() - 1;
            String out = last ? "logits" : "h" + l;
            g.addNode(node("Gemm", last ? out : "z" + l, a, "w" + l, "b" + l).toBuilder()
                    .addAttribute(AttributeProto.newBuilder().setName("transB").setType(AttributeProto.AttributeType.INT).setI(1)));
            if (!last) {
                g.addNode(node("Relu", out, "z" + l));
            }
            a = out;
        }
        g.addOutput(tensorInfo("logits", TensorProto.DataType.FLOAT, classes.size()));
        double[] ones = new double[k];
        java.util.Arrays.fill(ones, 1.0);
        OnnxSidecar sidecar = new OnnxSidecar(inputs, classes, ones, OnnxSidecar.ScoreKind.LOGITS);
        return new Exported(model(g, sidecar, false), sidecar, 0);
    }

    /**
     * A linear model as PyTorch writes {@code nn.Linear}: {@code logits = x W^T + b} ([N, C]) over the
     * named inputs, each read as {@code value * scale} (e.g. a logistic regression, or a test model).
     *
     * @param weights {@code weights[c][j]}: class c, input j
     */
    public static Exported linear(List<String> inputs, double[] scale, List<String> classes, float[][] weights, float[] bias) {
        int k = inputs.size();
        int c = classes.size();
        if (weights.length != c || bias.length != c) {
            throw new IllegalArgumentException("need " + c + " rows of weights and biases");
        }
        float[] w = new float[c * k];
        for (int i = 0; i < c; i++) {
            if (weights[i].length != k) {
                throw new IllegalArgumentException("weights row " + i + " has " + weights[i].length + " values for " + k + " inputs");
            }
            System.arraycopy(weights[i], 0, w, i * k, k);
        }
        GraphProto.Builder g = GraphProto.newBuilder().setName("xdpml_linear")
                .addInput(tensorInfo(INPUT, TensorProto.DataType.FLOAT, k))
                .addInitializer(floatTensor("w", new long[] {c, k}, w))
                .addInitializer(floatTensor("b", new long[] {c}, bias))
                .addNode(node("Gemm", "logits", INPUT, "w", "b").toBuilder()
                        .addAttribute(AttributeProto.newBuilder().setName("transB").setType(AttributeProto.AttributeType.INT).setI(1)))
                .addOutput(tensorInfo("logits", TensorProto.DataType.FLOAT, c));
        OnnxSidecar sidecar = new OnnxSidecar(inputs, classes, scale, OnnxSidecar.ScoreKind.LOGITS);
        return new Exported(model(g, sidecar, false), sidecar, 0);
    }

    private static byte[] model(GraphProto.Builder g, OnnxSidecar sidecar, boolean ml) {
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("xdpml").setProducerVersion("1")
                .setDomain("io.xdpml").setModelVersion(1).setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .addMetadataProps(StringStringEntryProto.newBuilder().setKey(OnnxSidecar.METADATA_KEY).setValue(sidecar.toJson()));
        if (ml) {
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(ML).setVersion(1));
        }
        return m.build().toByteArray();
    }

    private static int firstLeaf(int[] feature, int from) {
        int i = from;
        while (feature[i] != TreeEnsemble.LEAF) {
            i++;
        }
        return i;
    }

    private static int[] columns(List<String> inputs) {
        int[] column = new int[ModelInputs.COUNT];
        java.util.Arrays.fill(column, -1);
        for (int c = 0; c < inputs.size(); c++) {
            column[ModelInputs.index(inputs.get(c))] = c;
        }
        return column;
    }

    private static NodeProto node(String op, String out, String... in) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(out).addOutput(out);
        for (String i : in) {
            n.addInput(i);
        }
        return n.build();
    }

    /** A float tensor value [N, cols] (cols -1: rank 1, [N]) with a symbolic batch axis. */
    private static ValueInfoProto tensorInfo(String name, TensorProto.DataType type, int cols) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
        if (cols >= 0) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(cols));
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(s)))
                .build();
    }

    private static TensorProto floatTensor(String name, long[] dims, float[] values) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT.getNumber());
        for (long d : dims) {
            t.addDims(d);
        }
        for (float v : values) {
            t.addFloatData(v);
        }
        return t.build();
    }

    private static TensorProto longTensor(String name, long value) {
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64.getNumber()).addDims(1).addInt64Data(value).build();
    }

    private static AttributeProto ints(String name, List<Long> v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS).addAllInts(v).build();
    }

    private static AttributeProto floats(String name, List<Float> v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOATS).addAllFloats(v).build();
    }

    private static AttributeProto strings(String name, List<ByteString> v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRINGS).addAllStrings(v).build();
    }
}
