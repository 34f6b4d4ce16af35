package io.xdpml.model.classify;

import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowCounter;
import io.xdpml.flow.FlowPacket;
import io.xdpml.flow.FlowRecordListener;
import io.xdpml.flow.JavaFlowEngine;
import io.xdpml.packet.ParseCounters;
import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;

/** The Java reference of the classify pipeline: {@link JavaFlowEngine}, then {@link ModelStage}. */
public final class JavaClassifyEngine implements ClassifyEngine {
    private final JavaFlowEngine flows;
    private final ModelStage stage;
    private int lastAction;

    public JavaClassifyEngine(FlowConfig config, int maxFrameLength, int defaultAction) {
        this(config, maxFrameLength, defaultAction, FlowRecordListener.NONE);
    }

    public JavaClassifyEngine(FlowConfig config, int maxFrameLength, int defaultAction, FlowRecordListener listener) {
        this.flows = new JavaFlowEngine(config, maxFrameLength, listener);
        this.stage = new ModelStage(defaultAction);
    }

    @Override
    public void deploy(Deployment d) {
        stage.deploy(d);
    }

    @Override
    public void packet(MemorySegment frame, int length, long timestampNanos) {
        flows.packet(frame, length, timestampNanos);
        MemorySegment state = flows.lastUpdated();
        if (state == null) {
            lastAction = stage.untracked();
        } else {
            FlowPacket p = flows.lastPacket();
            lastAction = stage.packet(state, p.key(), p.length(), p.fromA());
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
    public int lastAction() {
        return lastAction;
    }

    @Override
    public ModelStats stats() {
        return stage.stats();
    }

    @Override
    public void forEachFlow(BiConsumer<MemorySegment, MemorySegment> action) {
        flows.forEachFlow(action);
    }

    @Override
    public long counter(FlowCounter c) {
        return flows.counter(c);
    }

    @Override
    public long evictions() {
        return flows.evictions();
    }

    @Override
    public int sweep(long nowNanos, long lingerNanos) {
        return flows.sweep(nowNanos, lingerNanos);
    }

    @Override
    public ParseCounters parseCounters() {
        return flows.parseCounters();
    }

    @Override
    public int maxFrameLength() {
        return flows.maxFrameLength();
    }

    @Override
    public String name() {
        return "java";
    }

    @Override
    public void close() {
        flows.close();
    }
}
