package io.xdpml.model.classify;

import static io.xdpml.flow.FlowLayout.*;

import io.xdpml.model.ModelInputs;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Java twin of the classify pipeline's model stage (xdp_classify.bpf.c after the flow stage):
 * the same decisions, counters and cached classes in the flow state's bytes. Not thread-safe;
 * allocation-free per packet.
 */
public final class ModelStage {
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
    private ClassAction lastAction;

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
     * A packet that has just updated flow {@code state} (key {@code key}); returns the XDP action.
     */
    public int packet(MemorySegment state, MemorySegment key, long length, boolean fromA) {
        Deployment d = deployment;
        if (d == null) {
            return unclassified(ModelCounter.NO_MODEL);
        }
        boolean cache = false;
        if (d.mode().perFlow()) {
            int verdict = state.get(ValueLayout.JAVA_BYTE, VERDICT) & 0xff;
            if (verdict != 0 && state.get(U32, VERDICT_GEN) == generation) {
                counters[ModelCounter.CACHED.ordinal()]++;
                return act(d, verdict - 1, length);
            }
            long n = u64(state, dirOffset(FWD) + D_PACKETS) + u64(state, dirOffset(BWD) + D_PACKETS);
            if (Long.compareUnsigned(n, d.mode().flowPacket()) < 0) {
                return unclassified(ModelCounter.UNCLASSIFIED);
            }
            cache = true;
        }
        ModelInputs.compute(state, key, length, fromA, inputs);
        int cls = d.model().classify(inputs);
        counters[ModelCounter.CLASSIFIED.ordinal()]++;
        if (cache) {
            state.set(ValueLayout.JAVA_BYTE, VERDICT, (byte) (cls + 1));
            state.set(U32, VERDICT_GEN, generation);
        }
        return act(d, cls, length);
    }

    private int unclassified(ModelCounter c) {
        counters[c.ordinal()]++;
        lastClass = -1;
        lastAction = null;
        return defaultAction;
    }

    private int act(Deployment d, int cls, long length) {
        lastClass = cls;
        lastAction = d.action(cls);
        classPackets[cls]++;
        classBytes[cls] += length;
        return switch (d.action(cls)) {
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
