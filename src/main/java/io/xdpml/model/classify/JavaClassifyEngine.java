package io.xdpml.model.classify;

import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowPacket;
import io.xdpml.flow.FlowRecordListener;
import io.xdpml.flow.ForwardingFlowEngine;
import io.xdpml.flow.JavaFlowEngine;
import java.lang.foreign.MemorySegment;

/** The Java reference of the classify pipeline: {@link JavaFlowEngine}, then {@link ModelStage}. */
public final class JavaClassifyEngine extends ForwardingFlowEngine implements ClassifyEngine {
    private final JavaFlowEngine flows;
    private final ModelStage stage;
    private int lastAction;

    public JavaClassifyEngine(FlowConfig config, int maxFrameLength, int defaultAction) {
        this(config, maxFrameLength, defaultAction, FlowRecordListener.NONE);
    }

    public JavaClassifyEngine(FlowConfig config, int maxFrameLength, int defaultAction, FlowRecordListener listener) {
        this(new JavaFlowEngine(config, maxFrameLength, listener), new ModelStage(defaultAction));
    }

    private JavaClassifyEngine(JavaFlowEngine flows, ModelStage stage) {
        super(flows);
        this.flows = flows;
        this.stage = stage;
        flows.cachedClass(stage); // a flow with a cached class skips its timing statistics, as in the kernel
    }

    @Override
    public void deploy(Deployment d) {
        stage.deploy(d);
    }

    @Override
    public void packet(MemorySegment frame, int length, long timestampNanos) {
        packet(frame, 0, length, timestampNanos);
    }

    /** A frame at {@code offset} in {@code memory} (an AF_XDP UMEM, an AF_PACKET ring), read in place. */
    public void packet(MemorySegment memory, long offset, int length, long timestampNanos) {
        flows.packet(memory, offset, length, timestampNanos);
        MemorySegment state = flows.lastUpdated();
        if (state == null) {
            lastAction = stage.untracked();
        } else {
            FlowPacket p = flows.lastPacket();
            lastAction = stage.packet(state, p.key(), p.length(), p.normLength(), p.fromA());
        }
    }

    /** The inputs of the last classified packet (reference for the kernel's last_inputs). */
    public long[] lastInputs() {
        return stage.lastInputs();
    }

    @Override
    public int lastClass() {
        return stage.lastClass();
    }

    @Override
    public int lastConfidence() {
        return stage.lastConfidence();
    }

    @Override
    public int lastAction() {
        return lastAction;
    }

    @Override
    public ModelStats stats() {
        return stage.stats();
    }
}
