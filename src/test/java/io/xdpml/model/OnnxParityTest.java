package io.xdpml.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.model.data.CicFlowCsv;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.onnx.OnnxExport;
import io.xdpml.model.onnx.OnnxModel;
import io.xdpml.model.onnx.Predictor;
import io.xdpml.model.train.FloatMlp;
import io.xdpml.model.train.FloatTreeEnsemble;
import io.xdpml.model.train.TreeTrainer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.classification.Label;

/**
 * One truth, two implementations, for the user-space ONNX path: models trained in Java (Tribuo)
 * are exported to ONNX ({@link OnnxExport}) and run by ONNX Runtime ({@link OnnxModel}), and on
 * every flow of the CIC-IDS2017 sample ONNX Runtime's class equals the Java model's.
 */
class OnnxParityTest {
    private static final List<String> INPUTS = CicFlowCsv.MAPPED_INPUTS;

    @Test
    void decisionTreeInOnnxRuntimeGivesTribuosClassOnEverySample() {
        Dataset all = CicData.all();
        Model<Label> tribuo = TreeTrainer.tribuoTree(CicData.split().train(), INPUTS, 10, CicData.SEED);
        FloatTreeEnsemble tree = TreeTrainer.convert(CicData.split().train(), tribuo);
        OnnxExport.Exported e = OnnxExport.trees(tree, INPUTS, all.classes(), false);
        // thresholds above 2^24 where float cannot tell T from T + 1: values in that rounding step could go the
        // other way in float; the data must show whether any does (none of the CIC sample does)
        System.out.printf("DT: %d of its thresholds are inexact in float%n", e.inexactThresholds());
        MutableDataset<Label> asTribuo = TreeTrainer.toTribuo(all, INPUTS);
        try (OnnxModel m = OnnxModel.load("cic-dt.onnx", e.model(), null); Predictor p = m.newPredictor(64)) {
            int[] onnx = predictAll(p, all);
            for (int i = 0; i < all.size(); i++) {
                int expected = all.classes().indexOf(tribuo.predict(asTribuo.getExample(i)).getOutput().getLabel());
                assertThat(onnx[i]).as("sample %d", i).isEqualTo(expected).isEqualTo(tree.classify(all.inputs(i)));
            }
            // a tree's probability output is 1 for the leaf's class
            p.clear();
            p.add(all.inputs(0));
            p.run();
            assertThat(p.scoreOf(0)).isEqualTo(1f);
        }
    }

    @Test
    void forestInOnnxRuntimeVotesAsTheJavaForestWithAndWithoutZipMap() {
        forestParity(CicData.all(), CicData.split().train());
    }

    @Test
    void binaryForestInOnnxRuntimeVotesAsTheJavaForest() {
        // two classes take another path in ONNX Runtime's tree classifier; 8 trees can tie 4:4 (ties: lowest class)
        forestParity(CicData.all().binary("BENIGN"), CicData.split().train().binary("BENIGN"));
    }

    private static void forestParity(Dataset all, Dataset train) {
        FloatTreeEnsemble forest = TreeTrainer.forest(train, INPUTS, 8, 10, CicData.SEED);
        for (boolean zipmap : new boolean[] {false, true}) {
            OnnxExport.Exported e = OnnxExport.trees(forest, INPUTS, all.classes(), zipmap);
            try (OnnxModel m = OnnxModel.load("cic-rf.onnx", e.model(), e.sidecar()); Predictor p = m.newPredictor(64)) {
                int[] votes = new int[all.classes().size()];
                for (int start = 0; start < all.size(); start += p.capacity()) {
                    p.clear();
                    for (int i = start; i < Math.min(all.size(), start + p.capacity()); i++) {
                        p.add(all.inputs(i));
                    }
                    p.run();
                    for (int r = 0; r < p.size(); r++) {
                        long[] x = all.inputs(start + r);
                        java.util.Arrays.fill(votes, 0);
                        for (int t = 0; t < forest.treeCount(); t++) {
                            votes[forest.treeClass(t, x)]++;
                        }
                        int cls = forest.classify(x);
                        assertThat(p.classOf(r)).as("zipmap %s sample %d votes %s", zipmap, start + r, java.util.Arrays.toString(votes))
                                .isEqualTo(cls);
                        assertThat(p.scoreOf(r)).as("share of trees voting for the class").isCloseTo(votes[cls] / 8f, org.assertj.core.data.Offset.offset(1e-4f));
                    }
                }
            }
        }
    }

    @Test
    void mlpLogitsInOnnxRuntimeMatchTheFloatMlp() throws Exception {
        Dataset all = CicData.all();
        ModelFile f = ModelFile.read(Path.of("models/cic-mlp.json"));
        FloatMlp mlp = (FloatMlp) f.floatModel();
        OnnxExport.Exported e = OnnxExport.mlp(mlp, f.classes());
        try (OnnxModel m = OnnxModel.load("cic-mlp.onnx", e.model(), null); Predictor p = m.newPredictor(64)) {
            int[] onnx = predictAll(p, all);
            int agree = 0;
            for (int i = 0; i < all.size(); i++) {
                agree += onnx[i] == mlp.classify(all.inputs(i)) ? 1 : 0;
            }
            System.out.printf("MLP: ONNX Runtime (float32) and FloatMlp (double) agree on %d of %d samples%n", agree, all.size());
            assertThat(agree).isGreaterThanOrEqualTo(all.size() * 999 / 1000);
        }
    }

    private static int[] predictAll(Predictor p, Dataset d) {
        int[] out = new int[d.size()];
        for (int start = 0; start < d.size(); start += p.capacity()) {
            p.clear();
            for (int i = start; i < Math.min(d.size(), start + p.capacity()); i++) {
                p.add(d.inputs(i));
            }
            p.run();
            for (int r = 0; r < p.size(); r++) {
                out[start + r] = p.classOf(r);
            }
        }
        return out;
    }
}
