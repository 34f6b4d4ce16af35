package io.xdpml.model.train;

import io.xdpml.model.data.Dataset;
import io.xdpml.model.eval.Evaluation;
import io.xdpml.model.file.ModelFile;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Chooses training options by stratified k-fold cross-validation on the training data only (the
 * held-out part is never seen): each class's flows are shuffled with the seed and dealt to the k
 * folds in turn (no flow in two folds); each configuration is trained on k-1 folds and scored by
 * the macro-F1 (per sample) of its quantized model, the one the kernel runs, on the remaining
 * fold. The configuration with the highest mean wins; ties go to the one listed first.
 */
public final class CrossValidation {
    private CrossValidation() {}

    /** One configuration's scores: macro-F1 on each fold and the seconds it took. */
    public record Result(TrainOptions options, double[] foldMacroF1, double seconds) {
        public double mean() {
            double s = 0;
            for (double v : foldMacroF1) {
                s += v;
            }
            return s / foldMacroF1.length;
        }

        /** Sample standard deviation over the folds. */
        public double sd() {
            double m = mean();
            double s = 0;
            for (double v : foldMacroF1) {
                s += (v - m) * (v - m);
            }
            return foldMacroF1.length < 2 ? 0 : Math.sqrt(s / (foldMacroF1.length - 1));
        }
    }

    /** The k (train, validation) pairs, stratified by the flows' class. */
    public static List<Dataset.Split> folds(Dataset data, int k, long seed) {
        if (k < 2 || k > data.flowCount()) {
            throw new IllegalArgumentException("cross-validation needs 2.." + data.flowCount() + " folds, not " + k);
        }
        Random random = new Random(seed);
        List<List<Integer>> fold = new ArrayList<>();
        for (int f = 0; f < k; f++) {
            fold.add(new ArrayList<>());
        }
        int next = 0;
        for (int c = 0; c < data.classes().size(); c++) {
            List<Integer> ofClass = new ArrayList<>();
            for (int f = 0; f < data.flowCount(); f++) {
                if (data.flowLabel(f) == c) {
                    ofClass.add(f);
                }
            }
            Collections.shuffle(ofClass, random);
            for (int flow : ofClass) {
                fold.get(next).add(flow); // continue the deal where the last class ended: folds stay within one flow in size
                next = (next + 1) % k;
            }
        }
        List<Dataset.Split> out = new ArrayList<>();
        for (int v = 0; v < k; v++) {
            List<Integer> train = new ArrayList<>();
            for (int f = 0; f < k; f++) {
                if (f != v) {
                    train.addAll(fold.get(f));
                }
            }
            train.sort(null);
            List<Integer> val = new ArrayList<>(fold.get(v));
            val.sort(null);
            out.add(new Dataset.Split(
                    data.flows(train.stream().mapToInt(Integer::intValue).toArray(), data.description() + " (cv " + (v + 1) + "/" + k + " train)"),
                    data.flows(val.stream().mapToInt(Integer::intValue).toArray(), data.description() + " (cv " + (v + 1) + "/" + k + " validation)")));
        }
        return out;
    }

    /** Scores every configuration on the same folds; {@code progress} gets each result as it is done. */
    public static List<Result> run(Dataset data, List<TrainOptions> configs, int k, long seed, Consumer<Result> progress) {
        if (configs.isEmpty()) {
            throw new IllegalArgumentException("no configuration to cross-validate");
        }
        List<Dataset.Split> folds = folds(data, k, seed);
        List<Result> out = new ArrayList<>();
        for (TrainOptions o : configs) {
            long t0 = System.nanoTime();
            double[] f1 = new double[k];
            for (int v = 0; v < k; v++) {
                ModelFile m = ModelTraining.train(folds.get(v).train(), o);
                f1[v] = Evaluation.of(folds.get(v).test(), m.integerModel()::classify).perSample().macroF1();
            }
            Result r = new Result(o, f1, (System.nanoTime() - t0) / 1e9);
            out.add(r);
            progress.accept(r);
        }
        return out;
    }

    /** The result with the highest mean macro-F1 (the first of equals). */
    public static Result best(List<Result> results) {
        Result best = results.getFirst();
        for (Result r : results) {
            if (r.mean() > best.mean()) {
                best = r;
            }
        }
        return best;
    }
}
