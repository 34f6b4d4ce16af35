package io.xdpml.model.classify;

import io.xdpml.flow.FlowEngine;

/**
 * The classify pipeline over packets one at a time (kernel through BPF_PROG_TEST_RUN, or the Java
 * reference): flows as {@link FlowEngine}, plus the model stage's class and action per packet.
 */
public interface ClassifyEngine extends FlowEngine {
    /** Makes {@code d} the model for the next packets (a new generation, as a hot swap does). */
    void deploy(Deployment d);

    /** The class of the last packet; -1 when it got none. */
    int lastClass();

    /** The confidence (thousandths) of the last packet's class; -1 when it got none. */
    int lastConfidence();

    /** The XDP action the last packet got. */
    int lastAction();

    ModelStats stats();
}
