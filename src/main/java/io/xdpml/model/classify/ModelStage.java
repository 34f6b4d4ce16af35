package io.xdpml.model.classify;

import static io.xdpml.flow.FlowLayout.*;

import io.xdpml.model.ModelInputs;
import io.xdpml.model.quantized.IntegerModel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Java twin of the classify pipeline's model stage (xdp_classify.bpf.c after the flow stage):
 * the same decisions, counters and cached classes in the flow state's bytes. Not thread-safe;
 * allocation-free per packet.
 */
public final class ModelStage implements io.xdpml.flow.CachedClass {
    public static final int XDP_DROP = 1;
    public static final int XDP_PASS = 2;

    private final int defaultAction;
    private final long[] inputs = new long[ModelInputs.COUNT];
    private final long[] counters = new long[ModelCounter.SLOTS];
    private final long[] classPackets = new long[ModelStats.CLASSES];
    private final long[] classBytes = new long[ModelStats.CLASSES];
    private Deployment deployment;
    private int generation;
    private int lastClass = -1;
    private int lastConfidence = -1;
    private ClassAction lastAction;
    /** The generation bits a cached class keeps ({@code XDPML_VERDICT_GEN_MASK}); its confidence is above them. */
    public static final int VERDICT_GEN_MASK = (1 << 22) - 1;

    /** @param defaultAction XDP action for packets without a class and for {@link ClassAction#COUNT} */
    public ModelStage(int defaultAction) {
        this.defaultAction = defaultAction;
    }

    /** Makes {@code d} the model for the next packets; a new generation (cached classes go stale). */
    public void deploy(Deployment d) {
        deployment = d;
        generation++;
    }

    /** A packet that was not tracked (no IP header): no class. */
    public int untracked() {
        return unclassified(ModelCounter.NO_MODEL);
    }

    /**
     * A packet that has just updated flow {@code state} (key {@code key}), of frame length
     * {@code length} (counted per class) and normalised length {@code normLength} (the model's
     * {@code packet_length}, {@link io.xdpml.flow.FlowPacket#normLength()}); returns the XDP action.
     */
    public int packet(MemorySegment state, MemorySegment key, long length, long normLength, boolean fromA) {
        Deployment d = deployment;
        if (d == null) {
            return unclassified(ModelCounter.NO_MODEL);
        }
        boolean cache = false;
        if (d.mode().perFlow()) {
            if (current(state)) {
                int tag = state.get(U32, VERDICT_GEN);
                counters[ModelCounter.CACHED.ordinal()]++;
                return act(d, IntegerModel.scored((state.get(ValueLayout.JAVA_BYTE, VERDICT) & 0xff) - 1, tag >>> 22), length);
            }
            long n = u64(state, dirOffset(FWD) + D_PACKETS) + u64(state, dirOffset(BWD) + D_PACKETS);
            if (Long.compareUnsigned(n, d.mode().flowPacket()) < 0) {
                return unclassified(ModelCounter.UNCLASSIFIED);
            }
            cache = true;
        }
        ModelInputs.compute(state, key, normLength, fromA, inputs);
        int scored = d.model().scored(inputs);
        counters[ModelCounter.CLASSIFIED.ordinal()]++;
        if (cache) {
            state.set(ValueLayout.JAVA_BYTE, VERDICT, (byte) (IntegerModel.classOf(scored) + 1));
            state.set(U32, VERDICT_GEN, (generation & VERDICT_GEN_MASK) | IntegerModel.confidenceOf(scored) << 22);
        }
        return act(d, scored, length);
    }

    /** Whether flow {@code state}'s class is cached by the deployed per-flow model ({@code xdpml_model_cached}). */
    @Override
    public boolean current(MemorySegment state) {
        Deployment d = deployment;
        if (d == null || !d.mode().perFlow()) {
            return false;
        }
        int verdict = state.get(ValueLayout.JAVA_BYTE, VERDICT) & 0xff;
        return verdict != 0 && (state.get(U32, VERDICT_GEN) & VERDICT_GEN_MASK) == (generation & VERDICT_GEN_MASK);
    }

    private int unclassified(ModelCounter c) {
        counters[c.ordinal()]++;
        lastClass = -1;
        lastConfidence = -1;
        lastAction = null;
        return defaultAction;
    }

    /** A scored class's action: its class's, or to Java when below the class's confidence threshold. */
    private int act(Deployment d, int scored, long length) {
        int cls = IntegerModel.classOf(scored);
        lastClass = cls;
        lastConfidence = IntegerModel.confidenceOf(scored);
        lastAction = d.action(cls);
        if (lastConfidence < d.minConfidence(cls)) {
            counters[ModelCounter.LOW_CONFIDENCE.ordinal()]++;
            lastAction = ClassAction.XSK;
        }
        classPackets[cls]++;
        classBytes[cls] += length;
        return switch (lastAction) {
            case PASS -> XDP_PASS;
            case DROP -> XDP_DROP;
            case XSK -> {
                counters[ModelCounter.XSK.ordinal()]++;
                yield XDP_PASS; // no socket in the reference: bpf_redirect_map's fallback
            }
            case COUNT -> defaultAction;
        };
    }

    /** The action of the last packet's class, null when it has none. */
    public ClassAction lastAction() {
        return lastAction;
    }

    /** The confidence (thousandths) of the last packet's class, -1 for none. */
    public int lastConfidence() {
        return lastConfidence;
    }

    /** Class of the last packet, -1 for none. */
    public int lastClass() {
        return lastClass;
    }

    /** The inputs of the last classified packet. */
    public long[] lastInputs() {
        return inputs;
    }

    public ModelStats stats() {
        return new ModelStats(counters, classPackets, classBytes);
    }
}
