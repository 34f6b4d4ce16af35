package io.xdpml.model.onnx;

import ai.onnxruntime.OnnxMap;
import ai.onnxruntime.OnnxSequence;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.xdpml.model.train.FloatTreeEnsemble;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs an {@link OnnxModel} on batches of rows: {@link #clear}, {@link #add} up to
 * {@link #capacity} input vectors, {@link #run}, then {@link #classOf}/{@link #scoreOf} per row.
 * Not thread-safe: one per thread.
 *
 * <p>Buffers are allocated once: the input rows are written into one direct buffer, and the
 * tensors over it (one per batch size, created on first use) are kept, so ONNX Runtime reads the
 * rows in place. Tensor outputs (label, scores) are pinned to buffers of ours the same way, so
 * ONNX Runtime writes them in place. What still allocates per run is ONNX Runtime's own: the
 * {@code Result} object a run returns (and, for models with a ZipMap output and no probability
 * tensor, the maps it returns; export those with {@code zipmap=False}).
 */
public final class Predictor implements AutoCloseable {
    private final OnnxModel model;
    private final OrtSession session;
    private final int capacity;
    private final int k;
    private final int classes;
    private final int[] inputIndex;
    private final double[] scale;
    private final FloatBuffer input;
    private final FloatBuffer scores;
    private final LongBuffer labels;
    /** Input tensors: by batch size n (over rows 0..n), or, for batch-of-one models, by row. */
    private final OnnxTensor[] inputTensors;
    private final OnnxTensor[] scoreTensors;
    private final OnnxTensor[] labelTensors;
    private final boolean pinScores;
    private final boolean pinLabels;
    private final Set<String> toRead;
    /** The maps a run takes, per slot as the tensors (a map rebuilt per run would allocate its entries). */
    private final List<Map<String, OnnxTensor>> inputMaps;
    private final List<Map<String, OnnxValue>> pinnedMaps;
    private final int[] classOf;
    private final float[] scoreOf;
    private int size;

    Predictor(OnnxModel model, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, not " + capacity);
        }
        this.model = model;
        this.session = model.session();
        this.capacity = capacity;
        this.inputIndex = model.inputIndex();
        this.scale = model.scale();
        this.k = inputIndex.length;
        this.classes = model.classCount();
        this.input = direct(capacity * k * 4).asFloatBuffer();
        this.scores = direct(capacity * classes * 4).asFloatBuffer();
        this.labels = direct(capacity * 8).asLongBuffer();
        this.inputTensors = new OnnxTensor[capacity + 1];
        this.scoreTensors = new OnnxTensor[capacity + 1];
        this.labelTensors = new OnnxTensor[capacity + 1];
        // outputs of a rank-1-input model have no batch axis we could shape a buffer for
        this.pinScores = model.scoreOutput() != null && model.rankTwoInput();
        this.pinLabels = model.labelOutput() != null && !model.labelIsString() && model.rankTwoInput();
        this.toRead = model.outputsToRead(pinLabels, pinScores);
        this.inputMaps = new ArrayList<>(java.util.Collections.nCopies(capacity + 1, null));
        this.pinnedMaps = new ArrayList<>(java.util.Collections.nCopies(capacity + 1, null));
        this.classOf = new int[capacity];
        this.scoreOf = new float[capacity];
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(Math.max(bytes, 8)).order(ByteOrder.nativeOrder());
    }

    public int capacity() {
        return capacity;
    }

    /** Rows added since the last {@link #clear}. */
    public int size() {
        return size;
    }

    public void clear() {
        size = 0;
    }

    /**
     * Adds the row of one model input vector ({@link io.xdpml.model.ModelInputs#COUNT} u64 values):
     * the sidecar's inputs, each as an unsigned integer times its scale, as float. Returns the row.
     */
    public int add(long[] modelInputs) {
        if (size == capacity) {
            throw new IllegalStateException("batch full (" + capacity + " rows)");
        }
        int base = size * k;
        for (int j = 0; j < k; j++) {
            input.put(base + j, (float) (FloatTreeEnsemble.unsigned(modelInputs[inputIndex[j]]) * scale[j]));
        }
        return size++;
    }

    /** Adds a row of k model features as they are (no scaling). Returns the row. */
    public int addFeatures(float[] features) {
        if (features.length != k) {
            throw new IllegalArgumentException(features.length + " features for a model of " + k + " inputs");
        }
        if (size == capacity) {
            throw new IllegalStateException("batch full (" + capacity + " rows)");
        }
        input.put(size * k, features);
        return size++;
    }

    /** Runs the model on the rows added; afterwards {@link #classOf} and {@link #scoreOf} hold its answers. */
    public void run() {
        if (size == 0) {
            return;
        }
        try {
            if (model.batchOfOne()) {
                for (int r = 0; r < size; r++) {
                    runRows(r, 1, r + 1);
                }
            } else {
                runRows(0, size, size);
            }
        } catch (OrtException e) {
            throw new IllegalStateException(model.source() + ": ONNX Runtime: " + e.getMessage(), e);
        }
    }

    /** Runs rows [first, first + n) with the tensors cached under {@code slot}. */
    private void runRows(int first, int n, int slot) throws OrtException {
        Map<String, OnnxTensor> in = inputMaps.get(slot);
        Map<String, OnnxValue> pinned = pinnedMaps.get(slot);
        if (in == null) {
            in = Map.of(model.inputName(), inputTensor(first, n, slot));
            Map<String, OnnxValue> p = new HashMap<>();
            if (pinScores) {
                p.put(model.scoreOutput(), outputTensor(scoreTensors, scores, first, n, slot));
            }
            if (pinLabels) {
                p.put(model.labelOutput(), labelTensor(first, n, slot));
            }
            pinned = Map.copyOf(p);
            inputMaps.set(slot, in);
            pinnedMaps.set(slot, pinned);
        }
        try (OrtSession.Result result = session.run(in, toRead, pinned)) {
            read(result, first, n);
        }
    }

    private OnnxTensor inputTensor(int first, int n, int slot) throws OrtException {
        OnnxTensor t = inputTensors[slot];
        if (t == null) {
            long[] shape = model.rankTwoInput() ? new long[] {n, k} : new long[] {k};
            t = OnnxTensor.createTensor(model.env(), input.slice(first * k, n * k), shape);
            inputTensors[slot] = t;
        }
        return t;
    }

    private OnnxTensor outputTensor(OnnxTensor[] cache, FloatBuffer buffer, int first, int n, int slot) throws OrtException {
        OnnxTensor t = cache[slot];
        if (t == null) {
            t = OnnxTensor.createTensor(model.env(), buffer.slice(first * classes, n * classes), new long[] {n, classes});
            cache[slot] = t;
        }
        return t;
    }

    private OnnxTensor labelTensor(int first, int n, int slot) throws OrtException {
        OnnxTensor t = labelTensors[slot];
        if (t == null) {
            t = OnnxTensor.createTensor(model.env(), labels.slice(first, n), model.labelHasColumn() ? new long[] {n, 1} : new long[] {n});
            labelTensors[slot] = t;
        }
        return t;
    }

    private void read(OrtSession.Result result, int first, int n) throws OrtException {
        FloatBuffer sc = null;
        if (model.scoreOutput() != null) {
            sc = pinScores ? scores : copyScores(result, first, n);
        }
        List<? extends OnnxValue> maps = null;
        if (model.mapOutput() != null) {
            maps = ((OnnxSequence) result.get(model.mapOutput()).orElseThrow()).getValue();
        }
        String[] stringLabels = null;
        long[] longLabels = null;
        if (model.labelOutput() != null && !pinLabels) {
            Object v = result.get(model.labelOutput()).orElseThrow().getValue();
            if (v instanceof String[] s) {
                stringLabels = s;
            } else if (v instanceof long[] l) {
                longLabels = l;
            } else if (v instanceof String[][] s2) {
                stringLabels = new String[s2.length];
                for (int i = 0; i < s2.length; i++) {
                    stringLabels[i] = s2[i][0];
                }
            } else if (v instanceof long[][] l2) {
                longLabels = new long[l2.length];
                for (int i = 0; i < l2.length; i++) {
                    longLabels[i] = l2[i][0];
                }
            }
        }
        for (int i = 0; i < n; i++) {
            int row = first + i;
            int cls;
            if (model.labelOutput() != null) {
                if (pinLabels) {
                    cls = checkClass(labels.get(row));
                } else if (stringLabels != null) {
                    cls = model.classIndex(stringLabels[i]);
                } else {
                    cls = checkClass(longLabels[i]);
                }
            } else if (sc != null) {
                cls = argmax(sc, row * classes);
            } else {
                cls = argmaxMap(maps.get(i));
            }
            classOf[row] = cls;
            if (sc != null) {
                scoreOf[row] = score(sc, row * classes, cls);
            } else if (maps != null) {
                scoreOf[row] = mapValue(maps.get(i), cls);
            } else {
                scoreOf[row] = 1f;
            }
        }
    }

    /** Scores of rows [first, first + n) from an unpinned output, laid out as the pinned buffer is. */
    private FloatBuffer copyScores(OrtSession.Result result, int first, int n) {
        FloatBuffer out = ((OnnxTensor) result.get(model.scoreOutput()).orElseThrow()).getFloatBuffer();
        if (out.remaining() != n * classes) {
            throw new IllegalStateException(model.source() + ": output '" + model.scoreOutput() + "' gave " + out.remaining()
                    + " values for " + n + " rows of " + classes + " classes");
        }
        for (int i = 0; i < n * classes; i++) {
            scores.put(first * classes + i, out.get(i));
        }
        return scores;
    }

    private int checkClass(long label) {
        if (label < 0 || label >= classes) {
            throw new IllegalStateException(model.source() + ": the model gave label " + label + ", outside the " + classes
                    + " classes of the sidecar " + model.classes());
        }
        return (int) label;
    }

    private int argmax(FloatBuffer s, int base) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (s.get(base + c) > s.get(base + best)) {
                best = c;
            }
        }
        return best;
    }

    private float score(FloatBuffer s, int base, int cls) {
        boolean probabilities = model.scoresAreProbabilities();
        if (!probabilities && model.sidecar().output() == OnnxSidecar.ScoreKind.AUTO) {
            probabilities = isDistribution(s, base);
        }
        if (probabilities) {
            return s.get(base + cls);
        }
        // softmax(row)[cls] = 1 / sum_j exp(s_j - s_cls)
        double top = s.get(base + cls);
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            sum += Math.exp(s.get(base + c) - top);
        }
        return (float) (1.0 / sum);
    }

    private boolean isDistribution(FloatBuffer s, int base) {
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            float v = s.get(base + c);
            if (!(v >= 0f && v <= 1f)) {
                return false;
            }
            sum += v;
        }
        return Math.abs(sum - 1.0) <= 1e-3;
    }

    private int argmaxMap(OnnxValue map) throws OrtException {
        Map<?, ?> m = ((OnnxMap) map).getValue();
        int best = 0;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            Object v = m.get(key(c));
            float f = v == null ? Float.NEGATIVE_INFINITY : ((Number) v).floatValue();
            if (f > bestValue) {
                bestValue = f;
                best = c;
            }
        }
        return best;
    }

    private float mapValue(OnnxValue map, int cls) throws OrtException {
        Object v = ((OnnxMap) map).getValue().get(key(cls));
        return v == null ? 0f : ((Number) v).floatValue();
    }

    private Object key(int cls) {
        return model.mapKeysAreStrings() ? model.classes().get(cls) : (Object) (long) cls;
    }

    /** Class index the last run gave row {@code row}. */
    public int classOf(int row) {
        checkRow(row);
        return classOf[row];
    }

    /**
     * Score of that class in 0..1: its probability (a probability output, or softmax of logits),
     * or 1 when the model gives a label only.
     */
    public float scoreOf(int row) {
        checkRow(row);
        return scoreOf[row];
    }

    private void checkRow(int row) {
        if (row < 0 || row >= size) {
            throw new IndexOutOfBoundsException("row " + row + " of a batch of " + size);
        }
    }

    @Override
    public void close() {
        for (OnnxTensor[] a : List.of(inputTensors, scoreTensors, labelTensors)) {
            for (int i = 0; i < a.length; i++) {
                if (a[i] != null) {
                    a[i].close();
                    a[i] = null;
                }
            }
        }
    }
}
