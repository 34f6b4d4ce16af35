package io.xdpml.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.model.file.ModelFile;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.model.quantized.QuantizedMlp;
import io.xdpml.model.quantized.TreeEnsemble;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The confidence that comes with each class (docs/classifier.md#confidence), worked by hand: a
 * tree leaf's Laplace-smoothed class share, a forest's mean over trees, an MLP's margin table and
 * its calibration; model files keep them, and files from before them read as full confidence.
 */
class ConfidenceTest {
    static final int X = ExtraInput.PACKET_LENGTH.index();

    static long[] x(long length) {
        long[] v = new long[ModelInputs.COUNT];
        v[X] = length;
        return v;
    }

    /** length <= 100: class 0 (node 1), else class 1 (node 2). */
    static TreeEnsemble stump(int leftConfidence, int rightConfidence) {
        return new TreeEnsemble(2, new int[] {0}, new int[] {X, TreeEnsemble.LEAF, TreeEnsemble.LEAF}, new long[] {100, 0, 0},
                new int[] {2, 0, 0}, new int[] {0, 0, 1}, new int[] {0, leftConfidence, rightConfidence});
    }

    @Test
    void aTreeLeafCarriesItsLaplaceSmoothedClassShare() {
        List<long[]> inputs = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        // left leaf (class 0): 8 of class 0, 2 of class 1 -> (8 + 1) / (10 + 2) = 0.75
        for (int i = 0; i < 10; i++) {
            inputs.add(x(50));
            labels.add(i < 8 ? 0 : 1);
        }
        // right leaf (class 1): 1 of class 1 -> (1 + 1) / (1 + 2) = 0.666
        inputs.add(x(500));
        labels.add(1);
        TreeEnsemble t = stump(1000, 1000).calibrated(inputs, labels.stream().mapToInt(Integer::intValue).toArray());
        assertThat(t.leafConfidence(1)).isEqualTo(750);
        assertThat(t.leafConfidence(2)).isEqualTo(666);
        assertThat(IntegerModel.confidenceOf(t.scored(x(60)))).isEqualTo(750);
        assertThat(IntegerModel.classOf(t.scored(x(600)))).isEqualTo(1);
        assertThat(IntegerModel.confidenceOf(t.scored(x(600)))).isEqualTo(666);
        // a leaf nothing reaches: 1 / classes
        TreeEnsemble none = stump(1000, 1000).calibrated(List.of(x(50)), new int[] {0});
        assertThat(none.leafConfidence(2)).isEqualTo(500);
    }

    @Test
    void aForestsConfidenceIsTheWinnersLeavesOverAllTrees() {
        // three stumps, thresholds 100, 200, 300; length 150: classes 1, 0, 0 -> class 0 wins with
        // the second and third trees' leaves (900 + 600) over 3 trees = 500
        TreeEnsemble a = stump(0, 0);
        int[] feature = new int[9];
        long[] threshold = new long[9];
        int[] right = new int[9];
        int[] leaf = new int[9];
        int[] conf = new int[9];
        int[][] leafConf = {{0, 700}, {900, 0}, {600, 0}};
        for (int t = 0; t < 3; t++) {
            int r = 3 * t;
            feature[r] = X;
            threshold[r] = 100 * (t + 1);
            right[r] = r + 2;
            feature[r + 1] = feature[r + 2] = TreeEnsemble.LEAF;
            leaf[r + 2] = 1;
            conf[r + 1] = leafConf[t][0];
            conf[r + 2] = leafConf[t][1];
        }
        TreeEnsemble forest = new TreeEnsemble(2, new int[] {0, 3, 6}, feature, threshold, right, leaf, conf);
        int s = forest.scored(x(150));
        assertThat(IntegerModel.classOf(s)).isZero();
        assertThat(IntegerModel.confidenceOf(s)).isEqualTo(500);
        assertThat(a.classCount()).isEqualTo(2);
    }

    /** Two outputs: out0 = bias0, out1 = bias1 + w * a(length). */
    static QuantizedMlp mlp(long[] margins, int[] levels) {
        QuantizedMlp.Layer out = new QuantizedMlp.Layer(1, 2, new byte[] {0, 10}, new int[] {500, 0}, new int[0]);
        return new QuantizedMlp(new int[] {X}, new long[] {0}, new long[] {127}, margins, levels, out);
    }

    @Test
    void anMlpsConfidenceIsItsMarginsLevelInTheTable() {
        QuantizedMlp m = mlp(new long[] {0, 200, 700}, new int[] {500, 800, 990});
        // length 50: out1 = 500 = out0: a tie, class 0, margin 0
        assertThat(m.scored(x(50))).isEqualTo(IntegerModel.scored(0, 500));
        // length 80: out1 = 800, margin 300 >= 200
        assertThat(m.scored(x(80))).isEqualTo(IntegerModel.scored(1, 800));
        // length 127: out1 = 1270, margin 770 >= 700
        assertThat(m.scored(x(127))).isEqualTo(IntegerModel.scored(1, 990));
        // length 0: out0 wins by 500
        assertThat(m.scored(x(0))).isEqualTo(IntegerModel.scored(0, 800));
        assertThatThrownBy(() -> mlp(new long[] {0, 300, 200}, new int[] {1, 2, 3})).hasMessageContaining("margins must ascend");
        assertThatThrownBy(() -> mlp(new long[] {0, 300}, new int[] {600, 500})).hasMessageContaining("levels must not decrease");
        assertThatThrownBy(() -> mlp(new long[] {5}, new int[] {600})).hasMessageContaining("the first margin must be 0");
    }

    @Test
    void anMlpsCalibrationIsTheShareRightByMarginAndNeverFalls() {
        QuantizedMlp m = mlp(new long[] {0}, new int[] {1000});
        List<long[]> inputs = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < 4000; i++) {
            long length = r.nextInt(128);
            inputs.add(x(length));
            int predicted = m.classify(x(length));
            // near the boundary (length 50) the label is a coin toss, far from it the model is right
            boolean right = Math.abs(length - 50) > 20 || r.nextBoolean();
            labels.add(right ? predicted : 1 - predicted);
        }
        QuantizedMlp c = m.calibrated(inputs, labels.stream().mapToInt(Integer::intValue).toArray());
        int[] levels = c.confidenceLevel();
        assertThat(c.confidenceMargin()[0]).isZero();
        for (int i = 1; i < levels.length; i++) {
            assertThat(levels[i]).isGreaterThanOrEqualTo(levels[i - 1]);
        }
        assertThat(IntegerModel.confidenceOf(c.scored(x(52)))).as("near the boundary").isBetween(400, 650);
        assertThat(IntegerModel.confidenceOf(c.scored(x(120)))).as("far from it").isGreaterThan(950);
        assertThat(c.classify(x(120))).isEqualTo(m.classify(x(120)));
    }

    @Test
    void aFlowsCachedClassKeepsItsConfidenceAboveTheGeneration() {
        // the model stage (kernel and Java alike) caches class + 1 and generation | confidence << 22
        io.xdpml.model.classify.ModelStage stage = new io.xdpml.model.classify.ModelStage(io.xdpml.model.classify.ModelStage.XDP_PASS);
        stage.deploy(new io.xdpml.model.classify.Deployment(stump(0, 875), io.xdpml.model.classify.ClassifyMode.atFlowPacket(1),
                new io.xdpml.model.classify.ClassAction[] {io.xdpml.model.classify.ClassAction.COUNT,
                    io.xdpml.model.classify.ClassAction.COUNT}));
        java.lang.foreign.MemorySegment state = java.lang.foreign.MemorySegment.ofArray(new byte[io.xdpml.flow.FlowLayout.FLOW_SIZE]);
        state.set(io.xdpml.flow.FlowLayout.U64, io.xdpml.flow.FlowLayout.dirOffset(io.xdpml.flow.FlowLayout.FWD)
                + io.xdpml.flow.FlowLayout.D_PACKETS, 1);
        java.lang.foreign.MemorySegment key = java.lang.foreign.MemorySegment.ofArray(new byte[io.xdpml.flow.FlowLayout.KEY_SIZE]);
        stage.packet(state, key, 600, 600, true);
        assertThat(stage.lastClass()).isEqualTo(1);
        assertThat(state.get(java.lang.foreign.ValueLayout.JAVA_BYTE, io.xdpml.flow.FlowLayout.VERDICT)).isEqualTo((byte) 2);
        assertThat(io.xdpml.flow.FlowLayout.cachedConfidence(state)).isEqualTo(0.875);
        // the next packet gets the cached class with its confidence
        stage.packet(state, key, 60, 60, true);
        assertThat(stage.lastClass()).isEqualTo(1);
        assertThat(stage.lastConfidence()).isEqualTo(875);
    }

    @Test
    void modelFilesKeepConfidencesAndOldFilesReadAsFullConfidence() throws Exception {
        ModelFile dt = ModelFile.read(Path.of("models/cic-dt.json"));
        TreeEnsemble t = (TreeEnsemble) dt.integerModel();
        int[] conf = new int[t.nodeCount()];
        for (int i = 0; i < conf.length; i++) {
            conf[i] = t.feature(i) == TreeEnsemble.LEAF ? 1 + i % 1000 : 0;
        }
        TreeEnsemble withConf = t.withLeafConfidence(conf);
        ModelFile back = ModelFile.parse(new ModelFile(dt.kind(), dt.classes(), dt.inputs(), withConf, dt.floatModel(), dt.provenance())
                .toJsonString(), "round trip");
        TreeEnsemble read = (TreeEnsemble) back.integerModel();
        for (int i = 0; i < conf.length; i++) {
            assertThat(read.leafConfidence(i)).isEqualTo(conf[i]);
        }
        // a file without leaf_confidence (written before confidences): every leaf 1000
        String old = dt.toJsonString().replaceAll(",\\s*\"leaf_confidence\" : \\[[^\\]]*\\]", "");
        assertThat(old).doesNotContain("leaf_confidence");
        TreeEnsemble oldTree = (TreeEnsemble) ModelFile.parse(old, "old").integerModel();
        for (int i = 0; i < oldTree.nodeCount(); i++) {
            assertThat(oldTree.leafConfidence(i)).isEqualTo(oldTree.feature(i) == TreeEnsemble.LEAF ? 1000 : 0);
        }
        // out of range is rejected with where
        String bad = back.toJsonString().replaceFirst("\"leaf_confidence\" : \\[ 0", "\"leaf_confidence\" : [ 1001");
        assertThatThrownBy(() -> ModelFile.parse(bad, "bad.json")).hasMessageContaining("bad.json").hasMessageContaining("leaf confidence 1001");
    }
}
