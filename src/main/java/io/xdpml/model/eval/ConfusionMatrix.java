package io.xdpml.model.eval;

import java.util.List;

/**
 * Counts of (true class, predicted class), plus per true class the items that got no class at
 * all ("unclassified": flows shorter than the flow-at-N packet). Mutable while counting.
 */
public final class ConfusionMatrix {
    private final List<String> classes;
    private final long[][] counts;
    private final long[] unclassified;

    public ConfusionMatrix(List<String> classes) {
        this.classes = List.copyOf(classes);
        this.counts = new long[classes.size()][classes.size()];
        this.unclassified = new long[classes.size()];
    }

    /** Counts one item of class {@code actual} predicted as {@code predicted} (-1: unclassified). */
    public void add(int actual, int predicted) {
        if (predicted < 0) {
            unclassified[actual]++;
        } else {
            counts[actual][predicted]++;
        }
    }

    public void add(int actual, int predicted, long n) {
        if (predicted < 0) {
            unclassified[actual] += n;
        } else {
            counts[actual][predicted] += n;
        }
    }

    public List<String> classes() {
        return classes;
    }

    public int classCount() {
        return classes.size();
    }

    public long count(int actual, int predicted) {
        return counts[actual][predicted];
    }

    public long unclassified(int actual) {
        return unclassified[actual];
    }

    /** Items of class c (its row, unclassified included). */
    public long support(int c) {
        long s = unclassified[c];
        for (long v : counts[c]) {
            s += v;
        }
        return s;
    }

    /** Items predicted as c (its column). */
    public long predicted(int c) {
        long s = 0;
        for (long[] row : counts) {
            s += row[c];
        }
        return s;
    }

    public long total() {
        long s = 0;
        for (int c = 0; c < classes.size(); c++) {
            s += support(c);
        }
        return s;
    }

    public long correct() {
        long s = 0;
        for (int c = 0; c < classes.size(); c++) {
            s += counts[c][c];
        }
        return s;
    }

    public long totalUnclassified() {
        long s = 0;
        for (long u : unclassified) {
            s += u;
        }
        return s;
    }
}
