package io.xdpml.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.xdpml.model.ModelInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading and running ONNX models: the PyTorch shape (logits, argmax, softmax score), input
 * scaling, sidecar file and metadata, batch-of-one and rank-1 inputs run row by row, and every
 * kind of bad file rejected with its reason.
 */
class OnnxModelTest {
    /** class "udp" when protocol - 10 > 0: logits [0, protocol - 10 + 0 * packet_length]. */
    static OnnxExport.Exported protocolModel() {
        return OnnxExport.linear(List.of("protocol", "packet_length"), new double[] {1, 1}, List.of("tcp", "udp"),
                new float[][] {{0, 0}, {1, 0}}, new float[] {0, -10});
    }

    static long[] inputs(long protocol, long length) {
        long[] x = new long[ModelInputs.COUNT];
        x[ModelInputs.index("protocol")] = protocol;
        x[ModelInputs.index("packet_length")] = length;
        return x;
    }

    @Test
    void logitsGiveTheArgmaxClassAndItsSoftmaxProbability() {
        OnnxExport.Exported e = protocolModel();
        try (OnnxModel m = OnnxModel.load("proto.onnx", e.model(), null); Predictor p = m.newPredictor(4)) {
            assertThat(m.classes()).containsExactly("tcp", "udp");
            assertThat(m.batchOfOne()).isFalse();
            p.add(inputs(17, 100));
            p.add(inputs(6, 1500));
            p.add(inputs(10, 60)); // logits tie 0 : 0: the lowest class
            p.run();
            assertThat(p.size()).isEqualTo(3);
            assertThat(p.classOf(0)).isEqualTo(1);
            assertThat(p.scoreOf(0)).isCloseTo((float) (1 / (1 + Math.exp(-7))), offset(1e-6f));
            assertThat(p.classOf(1)).isZero();
            assertThat(p.scoreOf(1)).isCloseTo((float) (1 / (1 + Math.exp(-4))), offset(1e-6f));
            assertThat(p.classOf(2)).isZero();
            assertThat(p.scoreOf(2)).isCloseTo(0.5f, offset(1e-6f));
            // the buffers are reused: a second, smaller batch gives its own answers
            p.clear();
            p.add(inputs(1, 0));
            p.run();
            assertThat(p.classOf(0)).isZero();
            assertThatThrownBy(() -> p.classOf(1)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void inputScaleMultipliesEachInputBeforeTheModel() {
        // class 1 when packet_length * 0.01 - 5 > 0, i.e. above 500 bytes
        OnnxExport.Exported e = OnnxExport.linear(List.of("packet_length"), new double[] {0.01}, List.of("small", "large"),
                new float[][] {{0}, {1}}, new float[] {0, -5});
        try (OnnxModel m = OnnxModel.load("scale.onnx", e.model(), null); Predictor p = m.newPredictor(2)) {
            p.add(inputs(6, 400));
            p.add(inputs(6, 600));
            p.run();
            assertThat(p.classOf(0)).isZero();
            assertThat(p.classOf(1)).isEqualTo(1);
        }
    }

    @Test
    void theSidecarBesideTheModelComesFirstTheMetadataSecond(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.onnx");
        Files.write(f, protocolModel().model());
        try (OnnxModel m = OnnxModel.load(f)) {
            assertThat(m.classes()).as("from the metadata").containsExactly("tcp", "udp");
        }
        Files.writeString(dir.resolve("m.onnx.json"), "{\"inputs\": [\"protocol\", \"packet_length\"], \"classes\": [\"benign\", \"suspect\"]}");
        try (OnnxModel m = OnnxModel.load(f)) {
            assertThat(m.classes()).as("from the sidecar").containsExactly("benign", "suspect");
        }
    }

    @Test
    void modelsWithABatchOfOneOrNoBatchAxisRunRowByRow() throws Exception {
        ModelProto base = ModelProto.parseFrom(protocolModel().model());
        ModelProto fixed = base.toBuilder().setGraph(base.getGraph().toBuilder()
                .setInput(0, withDims(base.getGraph().getInput(0), 1, 2)).setOutput(0, withDims(base.getGraph().getOutput(0), 1, 2))).build();
        try (OnnxModel m = OnnxModel.load("fixed.onnx", fixed.toByteArray(), null); Predictor p = m.newPredictor(8)) {
            assertThat(m.batchOfOne()).isTrue();
            for (int i = 0; i < 8; i++) {
                p.add(inputs(i % 2 == 0 ? 17 : 6, 60));
            }
            p.run();
            for (int i = 0; i < 8; i++) {
                assertThat(p.classOf(i)).as("row %d", i).isEqualTo(i % 2 == 0 ? 1 : 0);
            }
        }
        // rank 1: x [2] -> MatMul with W^T [2, 2] -> Add b -> [2]
        var g = base.getGraph().toBuilder().clearNode().clearInitializer()
                .setInput(0, withDims(base.getGraph().getInput(0), 2)).setOutput(0, withDims(base.getGraph().getOutput(0), 2))
                .addInitializer(TensorProto.newBuilder().setName("wt").setDataType(TensorProto.DataType.FLOAT.getNumber()).addDims(2).addDims(2)
                        .addFloatData(0).addFloatData(1).addFloatData(0).addFloatData(0))
                .addInitializer(TensorProto.newBuilder().setName("b").setDataType(TensorProto.DataType.FLOAT.getNumber()).addDims(2)
                        .addFloatData(0).addFloatData(-10))
                .addNode(ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("MatMul").addInput("input").addInput("wt").addOutput("xw"))
                .addNode(ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("Add").addInput("xw").addInput("b").addOutput("logits"));
        try (OnnxModel m = OnnxModel.load("rank1.onnx", base.toBuilder().setGraph(g).build().toByteArray(), null);
                Predictor p = m.newPredictor(3)) {
            assertThat(m.batchOfOne()).isTrue();
            p.add(inputs(17, 0));
            p.add(inputs(6, 0));
            p.add(inputs(11, 0));
            p.run();
            assertThat(new int[] {p.classOf(0), p.classOf(1), p.classOf(2)}).containsExactly(1, 0, 1);
        }
    }

    @Test
    void badModelsAndSidecarsAreRejectedWithTheReason(@TempDir Path dir) throws Exception {
        byte[] good = protocolModel().model();
        ModelProto base = ModelProto.parseFrom(good);
        assertThatThrownBy(() -> OnnxModel.load(dir.resolve("none.onnx"))).isInstanceOf(OnnxModelException.class)
                .hasMessageEndingWith("none.onnx: no such file");
        assertThatThrownBy(() -> OnnxModel.load("junk.onnx", "not a model".getBytes(), null)).isInstanceOf(OnnxModelException.class)
                .hasMessageStartingWith("junk.onnx: ONNX Runtime cannot load it");
        assertThatThrownBy(() -> OnnxModel.load("bare.onnx", base.toBuilder().clearMetadataProps().build().toByteArray(), null))
                .hasMessageContaining("bare.onnx: no sidecar bare.onnx.json and no 'xdpml' metadata entry");
        assertThatThrownBy(() -> OnnxModel.load("m.onnx", good, OnnxSidecar.of(List.of("protocol", "packet_length", "duration_us"),
                List.of("tcp", "udp")))).hasMessage("m.onnx: input 'input' has 2 columns but the sidecar names 3 inputs [protocol, packet_length, duration_us]");
        assertThatThrownBy(() -> OnnxModel.load("m.onnx", good, OnnxSidecar.of(List.of("protocol", "packet_length"), List.of("a", "b", "c"))))
                .hasMessageContaining("m.onnx: output 'logits' gives 2 scores per row but the sidecar names 3 classes");
        var twoInputs = base.toBuilder().setGraph(base.getGraph().toBuilder().addInput(base.getGraph().getInput(0).toBuilder().setName("extra")));
        assertThatThrownBy(() -> OnnxModel.load("two.onnx", twoInputs.build().toByteArray(), null))
                .hasMessageContaining("two.onnx: the model has 2 inputs");
        var intInput = base.toBuilder().setGraph(base.getGraph().toBuilder().setInput(0, base.getGraph().getInput(0).toBuilder()
                .setType(TypeProto.newBuilder().setTensorType(base.getGraph().getInput(0).getType().getTensorType().toBuilder()
                        .setElemType(TensorProto.DataType.INT64.getNumber())))));
        assertThatThrownBy(() -> OnnxModel.load("int.onnx", intInput.build().toByteArray(), null)).isInstanceOf(OnnxModelException.class);
        var batch4 = base.toBuilder().setGraph(base.getGraph().toBuilder().setInput(0, withDims(base.getGraph().getInput(0), 4, 2)));
        assertThatThrownBy(() -> OnnxModel.load("b4.onnx", batch4.build().toByteArray(), null))
                .hasMessageContaining("b4.onnx: input 'input' has a fixed batch of 4 rows");

        Path f = dir.resolve("m.onnx");
        Files.write(f, good);
        Path side = dir.resolve("m.onnx.json");
        Files.writeString(side, "{\"inputs\": [\"protocol\", \"bogus\"], \"classes\": [\"a\", \"b\"]}");
        assertThatThrownBy(() -> OnnxModel.load(f)).hasMessageStartingWith(side + ": field 'inputs[1]': unknown model input 'bogus'");
        Files.writeString(side, "{\"inputs\": [\"protocol\", \"packet_length\"],\n \"classes\": [\"a\", \"b\"],\n \"output\": logits}");
        assertThatThrownBy(() -> OnnxModel.load(f)).hasMessageStartingWith(side + ":3:").hasMessageContaining("not JSON");
        Files.writeString(side, "{\"inputs\": [\"protocol\", \"packet_length\"], \"class\": [\"a\", \"b\"]}");
        assertThatThrownBy(() -> OnnxModel.load(f)).hasMessageStartingWith(side + ": unknown field 'class'");
        Files.writeString(side, "{\"inputs\": [\"protocol\", \"packet_length\"], \"classes\": [\"a\", \"a\"]}");
        assertThatThrownBy(() -> OnnxModel.load(f)).hasMessage(side + ": field 'classes[1]': 'a' appears twice");
        Files.writeString(side, "{\"inputs\": [\"protocol\", \"packet_length\"], \"classes\": [\"a\", \"b\"], \"input_scale\": [1]}");
        assertThatThrownBy(() -> OnnxModel.load(f)).hasMessage(side + ": field 'input_scale': 1 values for 2 inputs");
    }

    @Test
    void scikitLearnShapesIntAndStringLabelsWithProbabilityTensorsOrZipMaps() throws Exception {
        int pl = ModelInputs.index("packet_length");
        // packet_length <= 100: small, <= 1000: medium, else large
        io.xdpml.model.train.FloatTreeEnsemble tree = new io.xdpml.model.train.FloatTreeEnsemble(3, new int[] {0},
                new int[] {pl, -1, pl, -1, -1}, new double[] {100.5, 0, 1000.5, 0, 0}, new int[] {2, 0, 4, 0, 0}, new int[] {0, 0, 0, 1, 2});
        List<String> classes = List.of("small", "medium", "large");
        for (boolean zipmap : new boolean[] {false, true}) {
            for (boolean strings : new boolean[] {false, true}) {
                byte[] bytes = OnnxExport.trees(tree, List.of("packet_length"), classes, zipmap).model();
                if (strings) {
                    bytes = withStringLabels(bytes, classes);
                }
                String what = (zipmap ? "zipmap" : "tensor") + (strings ? ", string labels" : ", int64 labels");
                try (OnnxModel m = OnnxModel.load("t.onnx", bytes, OnnxSidecar.of(List.of("packet_length"), classes));
                        Predictor p = m.newPredictor(3)) {
                    assertThat(m.describe()).as(what).contains("label 'output_label'");
                    p.add(inputs(6, 1500));
                    p.add(inputs(6, 60));
                    p.add(inputs(6, 500));
                    p.run();
                    assertThat(new int[] {p.classOf(0), p.classOf(1), p.classOf(2)}).as(what).containsExactly(2, 0, 1);
                    assertThat(p.scoreOf(0)).as(what).isEqualTo(1f);
                }
            }
        }
    }

    /** The classifier (and ZipMap) with classlabels_strings: labels become a string tensor, map keys strings. */
    private static byte[] withStringLabels(byte[] model, List<String> classes) throws Exception {
        ModelProto m = ModelProto.parseFrom(model);
        var g = m.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            var n = g.getNode(i).toBuilder();
            for (int a = 0; a < n.getAttributeCount(); a++) {
                if (n.getAttribute(a).getName().equals("classlabels_int64s")) {
                    var strings = ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("classlabels_strings")
                            .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.STRINGS);
                    classes.forEach(c -> strings.addStrings(com.google.protobuf.ByteString.copyFromUtf8(c)));
                    n.setAttribute(a, strings);
                }
            }
            g.setNode(i, n);
        }
        for (int o = 0; o < g.getOutputCount(); o++) {
            var out = g.getOutput(o);
            if (out.getName().equals("output_label")) {
                g.setOutput(o, out.toBuilder().setType(TypeProto.newBuilder().setTensorType(out.getType().getTensorType().toBuilder()
                        .setElemType(TensorProto.DataType.STRING.getNumber()))));
            } else if (out.getType().hasSequenceType()) {
                var seq = out.getType().getSequenceType().toBuilder();
                var map = seq.getElemType().getMapType().toBuilder().setKeyType(TensorProto.DataType.STRING.getNumber());
                seq.setElemType(TypeProto.newBuilder().setMapType(map));
                g.setOutput(o, out.toBuilder().setType(TypeProto.newBuilder().setSequenceType(seq)));
            }
        }
        return m.toBuilder().setGraph(g).build().toByteArray();
    }

    @Test
    void theSidecarRoundTripsThroughJson() {
        OnnxSidecar s = new OnnxSidecar(List.of("protocol", "hs_len_mean"), List.of("a", "b"), new double[] {1, 1.0 / 65536},
                OnnxSidecar.ScoreKind.PROBABILITIES);
        assertThat(OnnxSidecar.parse("s", s.toJson())).isEqualTo(s);
    }

    private static ValueInfoProto withDims(ValueInfoProto v, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return v.toBuilder().setType(TypeProto.newBuilder().setTensorType(v.getType().getTensorType().toBuilder().setShape(s))).build();
    }
}
