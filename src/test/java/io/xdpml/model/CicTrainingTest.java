package io.xdpml.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.model.data.CicFlowCsv;
import io.xdpml.model.data.Dataset;
import io.xdpml.model.eval.Evaluation;
import io.xdpml.model.file.ModelKind;
import io.xdpml.model.quantized.TreeEnsemble;
import io.xdpml.model.train.Balance;
import io.xdpml.model.train.CrossValidation;
import io.xdpml.model.train.FloatMlp;
import io.xdpml.model.train.FloatTreeEnsemble;
import io.xdpml.model.train.ModelTraining;
import io.xdpml.model.train.TrainOptions;
import io.xdpml.model.train.TreeTrainer;
import io.xdpml.model.file.ModelFile;
import io.xdpml.model.quantized.QuantizedMlp;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tribuo.Example;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.classification.Label;
import org.tribuo.ensemble.EnsembleModel;

/**
 * Training on the CIC-IDS2017 sample, held-out 30 % stratified with seed 1 (docs/models.md has the
 * numbers): trees convert to integer trees that give exactly the float trees' class (and those
 * Tribuo's own), the MLP loses under 1 point of macro-F1 to quantization, and every model reaches
 * the documented held-out quality: the forest macro-F1 >= 0.95. Each is trained with the options
 * cross-validation chose and must be exactly the shipped models/cic-*.json.
 */
class CicTrainingTest {
    private static final List<String> INPUTS = CicFlowCsv.MAPPED_INPUTS;

    /** The options 5-fold cross-validation on the training part chose for models/cic-*.json (docs/models.md). */
    static final TrainOptions SHIPPED_DT = TrainOptions.defaults(ModelKind.DT, INPUTS, CicData.SEED).withDepth(12).withMinLeaf(1)
            .withBalance(Balance.SQRT);
    static final TrainOptions SHIPPED_RF = TrainOptions.defaults(ModelKind.RF, INPUTS, CicData.SEED).withTrees(16).withDepth(15)
            .withSplitInputs(14).withMinLeaf(5).withBalance(Balance.BALANCED);
    static final TrainOptions SHIPPED_MLP = TrainOptions.defaults(ModelKind.MLP, INPUTS, CicData.SEED).withHidden(new int[] {32, 32})
            .withEpochs(120).withBalance(Balance.SQRT);

    /** The shipped file is what these options train (its provenance is true) and says so. */
    private static void assertShipped(String file, ModelFile trained, TrainOptions o) throws Exception {
        ModelFile shipped = ModelFile.read(java.nio.file.Path.of("models", file));
        assertThat(shipped.toJson().get("integer")).as(file).isEqualTo(trained.toJson().get("integer"));
        assertThat(shipped.provenance().get("selection").get("chosen").asText()).isEqualTo(o.describe());
    }

    @Test
    void decisionTreeIntegerThresholdsGiveExactlyTheFloatTreeAndTribuoClass() throws Exception {
        Dataset train = CicData.split().train();
        TrainOptions o = SHIPPED_DT;
        Model<Label> tribuo = TreeTrainer.tribuoTree(train, INPUTS, o.depth(), o.minLeaf(), o.balance(), CicData.SEED);
        FloatTreeEnsemble tree = TreeTrainer.convert(train, tribuo);
        TreeEnsemble integer = tree.toInteger();
        assertThat(integer.maxPath()).isLessThanOrEqualTo(13);
        assertShipped("cic-dt.json", ModelTraining.train(train, o), o);
        Dataset all = CicData.all();
        MutableDataset<Label> asTribuo = TreeTrainer.toTribuo(all, INPUTS);
        int i = 0;
        for (Example<Label> ex : asTribuo) {
            int expected = all.classes().indexOf(tribuo.predict(ex).getOutput().getLabel());
            assertThat(tree.classify(all.inputs(i))).as("float tree vs Tribuo, row %d", i).isEqualTo(expected);
            assertThat(integer.classify(all.inputs(i))).as("integer vs float tree, row %d", i).isEqualTo(expected);
            i++;
        }
        assertThat(i).isEqualTo(all.size());
        Evaluation held = Evaluation.of(CicData.split().test(), integer::classify);
        assertThat(held.perSample().macroF1()).isGreaterThan(0.93);
        assertThat(held.perSample().accuracy()).isGreaterThan(0.97);
    }

    @Test
    void forestTreesMatchTribuoMembersAndTheIntegerForestVotesAsTheFloatForest() throws Exception {
        Dataset train = CicData.split().train();
        TrainOptions o = SHIPPED_RF;
        Model<Label> tribuo = TreeTrainer.tribuoForest(train, INPUTS, o.trees(), o.depth(), o.splitInputs(), o.minLeaf(), o.balance(), CicData.SEED);
        FloatTreeEnsemble forest = TreeTrainer.convert(train, tribuo);
        TreeEnsemble integer = forest.toInteger();
        assertThat(integer.treeCount()).isEqualTo(16);
        assertThat(integer.maxPath()).isLessThanOrEqualTo(TreeEnsemble.MAX_PATH);
        assertShipped("cic-rf.json", ModelTraining.train(train, o), o);
        List<? extends Model<Label>> members = ((EnsembleModel<Label>) tribuo).getModels();
        Dataset all = CicData.all();
        MutableDataset<Label> asTribuo = TreeTrainer.toTribuo(all, INPUTS);
        int i = 0;
        for (Example<Label> ex : asTribuo) {
            for (int t = 0; t < members.size(); t++) {
                int expected = all.classes().indexOf(members.get(t).predict(ex).getOutput().getLabel());
                assertThat(forest.treeClass(t, all.inputs(i))).as("tree %d, row %d", t, i).isEqualTo(expected);
                assertThat(integer.treeClass(t, all.inputs(i))).as("integer tree %d, row %d", t, i).isEqualTo(expected);
            }
            assertThat(integer.classify(all.inputs(i))).isEqualTo(forest.classify(all.inputs(i)));
            i++;
        }
        // the goal: macro-F1 >= 0.95 on the held-out 30 % (0.9568 today, float and integer alike)
        Evaluation held = Evaluation.of(CicData.split().test(), integer::classify);
        assertThat(held.perSample().macroF1()).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void quantizedMlpIsWithinOnePointOfMacroF1OfTheFloatMlp() throws Exception {
        Dataset.Split s = CicData.split();
        ModelFile m = ModelTraining.train(s.train(), SHIPPED_MLP);
        assertShipped("cic-mlp.json", m, SHIPPED_MLP);
        FloatMlp f = (FloatMlp) m.floatModel();
        QuantizedMlp q = (QuantizedMlp) m.integerModel();
        assertThat(q.layerCount()).isEqualTo(3);
        assertThat(q.layer(0).out()).isEqualTo(32);
        Evaluation ef = Evaluation.of(s.test(), f::classify);
        Evaluation eq = Evaluation.of(s.test(), q::classify);
        assertThat(ef.perSample().macroF1()).isGreaterThan(0.92);
        assertThat(Math.abs(ef.perSample().macroF1() - eq.perSample().macroF1())).isLessThan(0.01);
        int agree = 0;
        for (int i = 0; i < s.test().size(); i++) {
            agree += f.classify(s.test().inputs(i)) == q.classify(s.test().inputs(i)) ? 1 : 0;
        }
        assertThat(agree).isGreaterThan((int) (0.97 * s.test().size()));
    }

    @Test
    void crossValidationFoldsPartitionTheTrainingFlowsStratifiedByClass() {
        Dataset train = CicData.split().train();
        List<Dataset.Split> folds = CrossValidation.folds(train, 5, CicData.SEED);
        assertThat(folds).hasSize(5);
        int[] total = train.classCounts();
        int validated = 0;
        for (Dataset.Split f : folds) {
            assertThat(f.train().size() + f.test().size()).isEqualTo(train.size());
            int[] v = f.test().classCounts();
            for (int c = 0; c < total.length; c++) {
                // each class dealt in turn: a fold holds a fifth of it, give or take one flow
                assertThat(Math.abs(v[c] * 5 - total[c])).as("class %s", train.classes().get(c)).isLessThanOrEqualTo(5);
            }
            validated += f.test().size();
        }
        assertThat(validated).isEqualTo(train.size());
        // no training row is validated twice: the folds' validation rows are disjoint
        java.util.Set<long[]> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Dataset.Split f : folds) {
            for (int i = 0; i < f.test().size(); i++) {
                assertThat(seen.add(f.test().inputs(i))).isTrue();
            }
        }
    }

    @Test
    void balancedClassWeightsGiveEveryClassTheSameTotalAndReachTheTrees() {
        int[] counts = CicData.split().train().classCounts();
        double[] w = Balance.BALANCED.weights(counts);
        double sum = 0;
        for (int c = 0; c < counts.length; c++) {
            assertThat(w[c] * counts[c]).isCloseTo(w[0] * counts[0], org.assertj.core.data.Offset.offset(1e-9));
            sum += w[c] * counts[c];
        }
        assertThat(sum).isCloseTo(CicData.split().train().size(), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(Balance.NONE.weights(counts)).containsOnly(1.0);
        // weighted, the tree's training recall of the rarest class (Infiltration) goes up
        Dataset train = CicData.split().train();
        int inf = train.classes().indexOf("Infiltration");
        FloatTreeEnsemble plain = TreeTrainer.tree(train, INPUTS, 4, 5, Balance.NONE, CicData.SEED);
        FloatTreeEnsemble weighted = TreeTrainer.tree(train, INPUTS, 4, 5, Balance.BALANCED, CicData.SEED);
        assertThat(Evaluation.of(train, weighted::classify).perSample().perClass().get(inf).recall())
                .isGreaterThan(Evaluation.of(train, plain::classify).perSample().perClass().get(inf).recall());
    }

    @Test
    void trainingIsRepeatableWithTheSameSeed() {
        Dataset train = CicData.split().train();
        assertThat(TreeTrainer.tree(train, INPUTS, 6, 7)).isEqualTo(TreeTrainer.tree(train, INPUTS, 6, 7));
        TrainOptions o = TrainOptions.defaults(ModelKind.MLP, INPUTS.subList(0, 12), 3).withEpochs(2);
        assertThat(ModelTraining.train(train, o).toJson().get("integer"))
                .isEqualTo(ModelTraining.train(train, o).toJson().get("integer"));
    }
}
