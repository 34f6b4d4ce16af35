package io.xdpml.model.onnx;

import static io.xdpml.flow.FlowLayout.*;

import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowPacket;
import io.xdpml.flow.ForwardingFlowEngine;
import io.xdpml.flow.JavaFlowEngine;
import io.xdpml.model.ModelInputs;
import io.xdpml.model.classify.ClassifyEngine;
import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.classify.ModelStats;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The classify pipeline with an ONNX model in place of the integer model: the Java flow tracker
 * ({@link JavaFlowEngine}), then per packet (or once per flow at its N-th packet, the class
 * cached in the flow state as the kernel caches it) the model inputs through ONNX Runtime. Same
 * counters and per-class statistics as {@link io.xdpml.model.classify.ModelStage}, so
 * {@code xdpml classify --onnx} reports as the other engines do. Not thread-safe; one model run
 * per classified packet (the reused buffers of a {@link Predictor}; ONNX Runtime's result
 * object is its only allocation).
 */
public final class OnnxClassifyEngine extends ForwardingFlowEngine implements ClassifyEngine {
    private final JavaFlowEngine flows;
    private final OnnxModel model;
    private final ClassifyMode mode;
    private final Predictor predictor;
    private final long[] inputs = new long[ModelInputs.COUNT];
    private final long[] counters = new long[ModelCounter.SLOTS];
    private final long[] classPackets;
    private final long[] classBytes;
    private int lastClass = -1;
    private float lastScore;

    public OnnxClassifyEngine(FlowConfig config, int maxFrameLength, OnnxModel model, ClassifyMode mode) {
        this(new JavaFlowEngine(config, maxFrameLength), model, mode);
    }

    private OnnxClassifyEngine(JavaFlowEngine flows, OnnxModel model, ClassifyMode mode) {
        super(flows);
        if (model.classCount() > 254) {
            throw new IllegalArgumentException(model.source() + ": " + model.classCount() + " classes; a flow caches at most 254");
        }
        this.flows = flows;
        this.model = model;
        this.mode = mode;
        this.predictor = model.newPredictor(1);
        this.classPackets = new long[model.classCount()];
        this.classBytes = new long[model.classCount()];
    }

    /** Not for this engine: it runs the ONNX model it was made with. */
    @Override
    public void deploy(Deployment d) {
        throw new UnsupportedOperationException("the ONNX engine runs its ONNX model, not integer models");
    }

    @Override
    public void packet(MemorySegment frame, int length, long timestampNanos) {
        flows.packet(frame, length, timestampNanos);
        MemorySegment state = flows.lastUpdated();
        if (state == null) {
            unclassified(ModelCounter.NO_MODEL);
            return;
        }
        FlowPacket p = flows.lastPacket();
        boolean cache = false;
        if (mode.perFlow()) {
            int verdict = state.get(ValueLayout.JAVA_BYTE, VERDICT) & 0xff;
            if (verdict != 0) {
                counters[ModelCounter.CACHED.ordinal()]++;
                count(verdict - 1, p.length());
                return;
            }
            long n = u64(state, dirOffset(FWD) + D_PACKETS) + u64(state, dirOffset(BWD) + D_PACKETS);
            if (Long.compareUnsigned(n, mode.flowPacket()) < 0) {
                unclassified(ModelCounter.UNCLASSIFIED);
                return;
            }
            cache = true;
        }
        ModelInputs.compute(state, p.key(), p.normLength(), p.fromA(), inputs);
        predictor.clear();
        predictor.add(inputs);
        predictor.run();
        int cls = predictor.classOf(0);
        lastScore = predictor.scoreOf(0);
        counters[ModelCounter.CLASSIFIED.ordinal()]++;
        if (cache) {
            state.set(ValueLayout.JAVA_BYTE, VERDICT, (byte) (cls + 1));
        }
        count(cls, p.length());
    }

    private void unclassified(ModelCounter c) {
        counters[c.ordinal()]++;
        lastClass = -1;
        lastScore = 0;
    }

    private void count(int cls, long length) {
        lastClass = cls;
        classPackets[cls]++;
        classBytes[cls] += length;
    }

    @Override
    public int lastClass() {
        return lastClass;
    }

    /** ONNX Runtime gives scores, not the integer model's confidence: -1 ({@link #lastScore} has its score). */
    @Override
    public int lastConfidence() {
        return -1;
    }

    /** Score the model gave the last packet it ran on (a packet given its flow's cached class leaves it as it was; 0 after one without a class). */
    public float lastScore() {
        return lastScore;
    }

    /** The inputs of the last classified packet. */
    public long[] lastInputs() {
        return inputs;
    }

    /** Always XDP_PASS: the ONNX path is offline (or in user space after the kernel). */
    @Override
    public int lastAction() {
        return io.xdpml.model.classify.ModelStage.XDP_PASS;
    }

    @Override
    public ModelStats stats() {
        return new ModelStats(counters, classPackets, classBytes);
    }

    @Override
    public String name() {
        return "onnx";
    }

    @Override
    public void close() {
        predictor.close();
        super.close();
    }
}
