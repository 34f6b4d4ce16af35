package io.xdpml.model.onnx;

import ai.onnxruntime.MapInfo;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.SequenceInfo;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import io.xdpml.model.eval.Classifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An ONNX model run by ONNX Runtime in user space on xdpml's model inputs: a model trained in
 * scikit-learn or PyTorch (or exported from Java, {@link OnnxExport}) classifies packets or flows
 * from the same features the in-kernel models read.
 *
 * <p>What is accepted (checked when loading; anything else is an {@link OnnxModelException}):
 * <ul>
 *   <li>one input, a float tensor {@code [N, k]} (N dynamic, or 1) or {@code [k]}, whose k columns
 *       are the sidecar's inputs ({@link OnnxSidecar}: {@code MODEL.onnx.json} or the model's
 *       {@code "xdpml"} metadata);</li>
 *   <li>outputs as scikit-learn's converters give them (a label tensor {@code [N]}, int64 class
 *       index or string class name, plus probabilities as a float tensor {@code [N, C]} or as a
 *       sequence of maps from ZipMap), or as PyTorch gives them (one float tensor {@code [N, C]}
 *       of logits or probabilities; the class is its argmax, ties to the lowest index).</li>
 * </ul>
 * Predictions go through a {@link Predictor} (batches, reused buffers). Thread-safe: share one
 * model, give each thread its own predictor.
 */
public final class OnnxModel implements AutoCloseable {
    private final String source;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final OnnxSidecar sidecar;
    private final int[] inputIndex;
    private final double[] scale;
    private final String inputName;
    private final boolean rankTwoInput;
    private final boolean batchOfOne;
    private final int classCount;
    private final String labelOutput;
    private final boolean labelIsString;
    private final boolean labelHasColumn;
    private final String scoreOutput;
    private final boolean scoresAreProbabilities;
    private final String mapOutput;
    private final boolean mapKeysAreStrings;

    private OnnxModel(String source, OrtEnvironment env, OrtSession session, OnnxSidecar sidecar) throws OrtException {
        this.source = source;
        this.env = env;
        this.session = session;
        this.sidecar = sidecar;
        this.inputIndex = sidecar.inputIndexes();
        this.scale = sidecar.inputScale();
        this.classCount = sidecar.classes().size();
        int k = sidecar.inputs().size();

        Map<String, NodeInfo> ins = session.getInputInfo();
        if (ins.size() != 1) {
            throw new OnnxModelException(source + ": the model has " + ins.size() + " inputs " + ins.keySet()
                    + "; xdpml feeds exactly one float tensor [N, k]");
        }
        NodeInfo in = ins.values().iterator().next();
        this.inputName = in.getName();
        if (!(in.getInfo() instanceof TensorInfo ti) || ti.type != OnnxJavaType.FLOAT) {
            throw new OnnxModelException(source + ": input '" + inputName + "' is " + in.getInfo() + "; xdpml feeds a float tensor [N, k]");
        }
        long[] shape = ti.getShape();
        if (shape.length != 1 && shape.length != 2) {
            throw new OnnxModelException(source + ": input '" + inputName + "' has rank " + shape.length + "; expected [N, k] or [k]");
        }
        long cols = shape[shape.length - 1];
        if (cols > 0 && cols != k) {
            throw new OnnxModelException(source + ": input '" + inputName + "' has " + cols + " columns but the sidecar names " + k
                    + " inputs " + sidecar.inputs());
        }
        this.rankTwoInput = shape.length == 2;
        if (rankTwoInput && shape[0] > 1) {
            throw new OnnxModelException(source + ": input '" + inputName + "' has a fixed batch of " + shape[0]
                    + " rows; export it with a dynamic batch axis (or a batch of 1)");
        }
        this.batchOfOne = !rankTwoInput || shape[0] == 1;

        String label = null, scores = null, map = null;
        boolean labelStrings = false, mapStrings = false, labelColumn = false;
        List<String> seen = new ArrayList<>();
        for (NodeInfo o : session.getOutputInfo().values()) {
            ValueInfo v = o.getInfo();
            seen.add(o.getName() + " " + v);
            if (v instanceof TensorInfo t) {
                long[] s = t.getShape();
                boolean perRow = s.length == 1 || (s.length == 2 && s[1] == 1);
                if (label == null && perRow && (t.type == OnnxJavaType.INT64 || t.type == OnnxJavaType.STRING)) {
                    label = o.getName();
                    labelStrings = t.type == OnnxJavaType.STRING;
                    labelColumn = s.length == 2;
                } else if (scores == null && t.type == OnnxJavaType.FLOAT && (s.length == 2 || (s.length == 1 && !rankTwoInput))) {
                    long c = s[s.length - 1];
                    if (c > 0 && c != classCount) {
                        throw new OnnxModelException(source + ": output '" + o.getName() + "' gives " + c + " scores per row but the sidecar names "
                                + classCount + " classes " + sidecar.classes());
                    }
                    scores = o.getName();
                }
            } else if (v instanceof SequenceInfo sq && sq.isSequenceOfMaps() && map == null) {
                MapInfo mi = sq.mapInfo;
                if (mi.valueType == OnnxJavaType.FLOAT && (mi.keyType == OnnxJavaType.INT64 || mi.keyType == OnnxJavaType.STRING)) {
                    map = o.getName();
                    mapStrings = mi.keyType == OnnxJavaType.STRING;
                }
            }
        }
        if (label == null && scores == null && map == null) {
            throw new OnnxModelException(source + ": no output xdpml can read " + seen
                    + "; expected a label tensor [N] (int64 or string), a float tensor [N, C] or a sequence of maps (ZipMap)");
        }
        this.labelOutput = label;
        this.labelIsString = labelStrings;
        this.labelHasColumn = labelColumn;
        this.scoreOutput = scores;
        this.mapOutput = scores == null ? map : null; // the tensor is cheaper to read than ZipMap's maps
        this.mapKeysAreStrings = mapStrings;
        // next to a label output (scikit-learn), a float tensor holds probabilities
        this.scoresAreProbabilities = label != null || sidecar.output() == OnnxSidecar.ScoreKind.PROBABILITIES;
    }

    /**
     * Loads {@code file} with its sidecar {@code FILE.json} when there is one, else with the
     * model's {@code "xdpml"} metadata entry.
     */
    public static OnnxModel load(Path file) {
        Path side = file.resolveSibling(file.getFileName() + ".json");
        OnnxSidecar sc = null;
        if (Files.isRegularFile(side)) {
            try {
                sc = OnnxSidecar.parse(side.toString(), Files.readString(side));
            } catch (IOException e) {
                throw new OnnxModelException(side + ": cannot read: " + e.getMessage(), e);
            }
        }
        return load(file, sc);
    }

    /** Loads {@code file} with {@code sidecar} (null: the model's {@code "xdpml"} metadata). */
    public static OnnxModel load(Path file, OnnxSidecar sidecar) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new OnnxModelException(file + ": no such file", e);
        } catch (IOException e) {
            throw new OnnxModelException(file + ": cannot read: " + e.getMessage(), e);
        }
        return load(file.toString(), bytes, sidecar);
    }

    /** Loads a model held in memory; {@code source} names it in messages. */
    public static OnnxModel load(String source, byte[] model, OnnxSidecar sidecar) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            // one packet at a time on a receive thread: threads of its own would only contend
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            session = env.createSession(model, options);
        } catch (OrtException e) {
            throw new OnnxModelException(source + ": ONNX Runtime cannot load it: " + e.getMessage(), e);
        }
        try {
            OnnxSidecar sc = sidecar;
            if (sc == null) {
                Optional<String> meta = session.getMetadata().getCustomMetadataValue(OnnxSidecar.METADATA_KEY);
                if (meta.isEmpty()) {
                    throw new OnnxModelException(source + ": no sidecar " + source + ".json and no '" + OnnxSidecar.METADATA_KEY
                            + "' metadata entry: xdpml needs the names of the model's inputs and classes (see docs/onnx.md)");
                }
                sc = OnnxSidecar.parse(source + " metadata '" + OnnxSidecar.METADATA_KEY + "'", meta.get());
            }
            return new OnnxModel(source, env, session, sc);
        } catch (OrtException | RuntimeException e) {
            try {
                session.close();
            } catch (OrtException ignored) {
                // the load error is the one to report
            }
            if (e instanceof OrtException oe) {
                throw new OnnxModelException(source + ": ONNX Runtime: " + oe.getMessage(), oe);
            }
            throw (RuntimeException) e;
        }
    }

    public String source() {
        return source;
    }

    public OnnxSidecar sidecar() {
        return sidecar;
    }

    public List<String> classes() {
        return sidecar.classes();
    }

    public List<String> inputs() {
        return sidecar.inputs();
    }

    public int classCount() {
        return classCount;
    }

    /** Whether the model takes one row per run (input {@code [1, k]} or {@code [k]}); batches then run row by row. */
    public boolean batchOfOne() {
        return batchOfOne;
    }

    /** A one-line description: inputs, classes, which outputs are read. */
    public String describe() {
        return source + ": input '" + inputName + "' [" + (batchOfOne ? "1" : "N") + ", " + inputIndex.length + "], "
                + classCount + " classes, " + (labelOutput != null ? "label '" + labelOutput + "'" : "argmax")
                + (scoreOutput != null ? ", " + (scoresAreProbabilities ? "probabilities" : "scores") + " '" + scoreOutput + "'" : "")
                + (mapOutput != null ? ", probability map '" + mapOutput + "'" : "");
    }

    /** A predictor for batches of up to {@code capacity} rows (its buffers are allocated now). */
    public Predictor newPredictor(int capacity) {
        return new Predictor(this, capacity);
    }

    /** One row at a time through a predictor of its own: for evaluation, single-threaded. */
    public Classifier classifier() {
        Predictor p = newPredictor(1);
        return x -> {
            p.clear();
            p.add(x);
            p.run();
            return p.classOf(0);
        };
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(source + ": " + e.getMessage(), e);
        }
    }

    // package-private view for Predictor
    OrtEnvironment env() {
        return env;
    }

    OrtSession session() {
        return session;
    }

    int[] inputIndex() {
        return inputIndex;
    }

    double[] scale() {
        return scale;
    }

    String inputName() {
        return inputName;
    }

    boolean rankTwoInput() {
        return rankTwoInput;
    }

    String labelOutput() {
        return labelOutput;
    }

    boolean labelIsString() {
        return labelIsString;
    }

    /** Whether the label output is {@code [N, 1]} rather than {@code [N]}. */
    boolean labelHasColumn() {
        return labelHasColumn;
    }

    String scoreOutput() {
        return scoreOutput;
    }

    boolean scoresAreProbabilities() {
        return scoresAreProbabilities;
    }

    String mapOutput() {
        return mapOutput;
    }

    boolean mapKeysAreStrings() {
        return mapKeysAreStrings;
    }

    /** Output names a run must ask ONNX Runtime for (besides those pinned to our buffers). */
    Set<String> outputsToRead(boolean labelPinned, boolean scoresPinned) {
        Set<String> s = new LinkedHashSet<>();
        if (labelOutput != null && !labelPinned) {
            s.add(labelOutput);
        }
        if (scoreOutput != null && !scoresPinned) {
            s.add(scoreOutput);
        }
        if (mapOutput != null) {
            s.add(mapOutput);
        }
        return Set.copyOf(s);
    }

    /** Class index of a string label. */
    int classIndex(String label) {
        int i = sidecar.classes().indexOf(label);
        if (i < 0) {
            throw new IllegalStateException(source + ": the model gave label '" + label + "', not one of the sidecar's classes "
                    + sidecar.classes());
        }
        return i;
    }
}
