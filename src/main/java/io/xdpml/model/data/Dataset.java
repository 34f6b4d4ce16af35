package io.xdpml.model.data;

import io.xdpml.model.ModelInputs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Labeled samples for training and evaluation. A sample is one model input vector
 * ({@link ModelInputs#COUNT} u64 values) with its class and the flow it belongs to; samples are in
 * packet order, so the last sample of a flow is its last classified packet. Every flow also has a
 * label of its own; a flow may have no sample at all (in "flow at N" mode, a flow shorter than N
 * packets): evaluation counts it as unclassified.
 */
public final class Dataset {
    private final List<String> classes;
    private final long[][] inputs;
    private final int[] labels;
    private final int[] sampleFlow;
    private final int[] flowLabels;
    private final String description;

    /**
     * @param sampleFlow flow index (0..flowLabels.length) of each sample
     * @param flowLabels the class of each flow
     */
    public Dataset(List<String> classes, long[][] inputs, int[] labels, int[] sampleFlow, int[] flowLabels, String description) {
        this.classes = List.copyOf(classes);
        this.inputs = inputs;
        this.labels = labels;
        this.sampleFlow = sampleFlow;
        this.flowLabels = flowLabels;
        this.description = Objects.requireNonNull(description);
        if (inputs.length != labels.length || labels.length != sampleFlow.length) {
            throw new IllegalArgumentException("sample arrays differ in length");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes.size() || sampleFlow[i] < 0 || sampleFlow[i] >= flowLabels.length) {
                throw new IllegalArgumentException("sample " + i + ": class or flow out of range");
            }
        }
    }

    public List<String> classes() {
        return classes;
    }

    public int size() {
        return labels.length;
    }

    public int flowCount() {
        return flowLabels.length;
    }

    /** The input vector of sample i (shared, do not modify). */
    public long[] inputs(int i) {
        return inputs[i];
    }

    public int label(int i) {
        return labels[i];
    }

    public int flowOf(int i) {
        return sampleFlow[i];
    }

    public int flowLabel(int flow) {
        return flowLabels[flow];
    }

    public String description() {
        return description;
    }

    /** Samples per class. */
    public int[] classCounts() {
        int[] c = new int[classes.size()];
        for (int l : labels) {
            c[l]++;
        }
        return c;
    }

    /** The samples of the given flows (each flow keeps its samples, in order), flows renumbered. */
    public Dataset flows(int[] flowIndexes, String description) {
        int[] newIndex = new int[flowLabels.length];
        Arrays.fill(newIndex, -1);
        int[] fl = new int[flowIndexes.length];
        for (int k = 0; k < flowIndexes.length; k++) {
            newIndex[flowIndexes[k]] = k;
            fl[k] = flowLabels[flowIndexes[k]];
        }
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            if (newIndex[sampleFlow[i]] >= 0) {
                keep.add(i);
            }
        }
        long[][] x = new long[keep.size()][];
        int[] y = new int[keep.size()];
        int[] f = new int[keep.size()];
        for (int k = 0; k < keep.size(); k++) {
            int i = keep.get(k);
            x[k] = inputs[i];
            y[k] = labels[i];
            f[k] = newIndex[sampleFlow[i]];
        }
        return new Dataset(classes, x, y, f, fl, description);
    }

    /** The same samples with classes renamed through {@code map} (old class index -> index in newClasses). */
    public Dataset relabel(List<String> newClasses, int[] map) {
        int[] y = new int[labels.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = map[labels[i]];
        }
        int[] fl = new int[flowLabels.length];
        for (int i = 0; i < fl.length; i++) {
            fl[i] = map[flowLabels[i]];
        }
        return new Dataset(newClasses, inputs, y, sampleFlow, fl, description);
    }

    /**
     * Two classes: {@code negative} (index 0) and "attack" for every other class; for binary
     * detection. IllegalArgumentException when {@code negative} is not a class.
     */
    public Dataset binary(String negative) {
        int neg = classes.indexOf(negative);
        if (neg < 0) {
            throw new IllegalArgumentException("no class '" + negative + "' to keep as the negative class (classes: " + classes + ")");
        }
        int[] map = new int[classes.size()];
        for (int c = 0; c < map.length; c++) {
            map[c] = c == neg ? 0 : 1;
        }
        return relabel(List.of(negative, "attack"), map);
    }

    /** Concatenates datasets with the same classes (flows stay distinct). */
    public static Dataset concat(List<Dataset> parts, String description) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("no data");
        }
        List<String> classes = parts.getFirst().classes;
        int n = 0;
        int flows = 0;
        for (Dataset d : parts) {
            if (!d.classes.equals(classes)) {
                throw new IllegalArgumentException("datasets have different classes: " + classes + " and " + d.classes);
            }
            n += d.size();
            flows += d.flowCount();
        }
        long[][] x = new long[n][];
        int[] y = new int[n];
        int[] f = new int[n];
        int[] fl = new int[flows];
        int at = 0;
        int flowBase = 0;
        for (Dataset d : parts) {
            for (int i = 0; i < d.size(); i++, at++) {
                x[at] = d.inputs[i];
                y[at] = d.labels[i];
                f[at] = d.sampleFlow[i] + flowBase;
            }
            System.arraycopy(d.flowLabels, 0, fl, flowBase, d.flowCount());
            flowBase += d.flowCount();
        }
        return new Dataset(classes, x, y, f, fl, description);
    }

    /** A train/test pair. */
    public record Split(Dataset train, Dataset test) {}

    /**
     * Stratified held-out split by flow (no flow has samples on both sides): of each class's
     * flows, a shuffled (seeded) {@code round(testFraction * n)} go to the test side.
     */
    public Split split(double testFraction, long seed) {
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException("test fraction must be in (0, 1): " + testFraction);
        }
        Random random = new Random(seed);
        List<Integer> train = new ArrayList<>();
        List<Integer> test = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            List<Integer> ofClass = new ArrayList<>();
            for (int f = 0; f < flowLabels.length; f++) {
                if (flowLabels[f] == c) {
                    ofClass.add(f);
                }
            }
            java.util.Collections.shuffle(ofClass, random);
            int nTest = (int) Math.round(testFraction * ofClass.size());
            test.addAll(ofClass.subList(0, nTest));
            train.addAll(ofClass.subList(nTest, ofClass.size()));
        }
        train.sort(null);
        test.sort(null);
        return new Split(
                flows(train.stream().mapToInt(Integer::intValue).toArray(), description + " (train " + (1 - testFraction) + ", seed " + seed + ")"),
                flows(test.stream().mapToInt(Integer::intValue).toArray(), description + " (test " + testFraction + ", seed " + seed + ")"));
    }
}
