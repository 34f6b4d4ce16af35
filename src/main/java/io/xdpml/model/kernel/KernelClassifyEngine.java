package io.xdpml.model.kernel;

import io.xdpml.flow.FlowConfig;
import io.xdpml.flow.FlowRecordListener;
import io.xdpml.flow.ForwardingFlowEngine;
import io.xdpml.flow.KernelFlowEngine;
import io.xdpml.model.ModelInputs;
import io.xdpml.model.classify.ClassifyEngine;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.classify.ModelStats;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The kernel's classify pipeline, each frame run once through BPF_PROG_TEST_RUN with the capture's
 * clock (see {@link KernelFlowEngine}); the class of each packet is read from {@code last_class}.
 */
public final class KernelClassifyEngine extends ForwardingFlowEngine implements ClassifyEngine {
    private final KernelFlowEngine flows;
    private final ClassifierProgram classifier;
    private final MemorySegment lastClass;
    private final MemorySegment lastConfidence;
    private final MemorySegment lastInputs;

    /** @param defaultAction XDP action for packets without a class ({@code cfg_action}) */
    public KernelClassifyEngine(FlowConfig config, int defaultAction) {
        this(config, defaultAction, FlowRecordListener.NONE);
    }

    public KernelClassifyEngine(FlowConfig config, int defaultAction, FlowRecordListener listener) {
        this(new KernelFlowEngine(ClassifierProgram.PIPELINE, config, listener, false, obj -> {
            obj.setConstant("cfg_action", defaultAction);
            obj.setConstant("cfg_record_class", 1);
        }));
    }

    private KernelClassifyEngine(KernelFlowEngine flows) {
        super(flows);
        this.flows = flows;
        try {
            this.classifier = new ClassifierProgram(flows.object());
        } catch (RuntimeException e) {
            flows.close();
            throw e;
        }
        this.lastClass = flows.object().variable("last_class");
        this.lastConfidence = flows.object().variable("last_conf");
        this.lastInputs = flows.object().variable("last_inputs");
    }

    @Override
    public void deploy(Deployment d) {
        classifier.deploy(d);
    }

    public ClassifierProgram classifier() {
        return classifier;
    }

    @Override
    public int lastClass() {
        return lastClass.get(ValueLayout.JAVA_INT, 0);
    }

    @Override
    public int lastConfidence() {
        return lastConfidence.get(ValueLayout.JAVA_INT, 0);
    }

    /** The kernel's input vector of the last packet (when it had a flow). */
    public long[] lastInputs() {
        long[] x = new long[ModelInputs.COUNT];
        for (int i = 0; i < x.length; i++) {
            x[i] = lastInputs.get(ValueLayout.JAVA_LONG, 8L * i);
        }
        return x;
    }

    @Override
    public int lastAction() {
        return flows.lastReturn();
    }

    @Override
    public ModelStats stats() {
        return classifier.stats();
    }

    @Override
    public void close() {
        classifier.close();
        flows.close();
    }
}
