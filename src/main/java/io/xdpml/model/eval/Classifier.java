package io.xdpml.model.eval;

/**
 * Anything that gives a class for a model input vector ({@link io.xdpml.model.ModelInputs#COUNT}
 * u64 values): the float model, the Java integer model, or a kernel engine (BPF_PROG_TEST_RUN)
 * plugged into {@code xdpml eval}.
 */
@FunctionalInterface
public interface Classifier {
    int classify(long[] inputs);
}
