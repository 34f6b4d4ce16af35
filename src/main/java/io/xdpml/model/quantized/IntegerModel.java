package io.xdpml.model.quantized;

/**
 * A classifier in integer arithmetic only, as the kernel runs it: the Java twin of
 * bpf/include/xdpml/model.h. Both implementations must give the same class for the same input
 * vector ({@link io.xdpml.model.ModelInputs}), bit for bit; ModelKernelParityTest holds them
 * together. Implementations are immutable and allocation-free per call.
 */
public sealed interface IntegerModel permits TreeEnsemble, QuantizedMlp {
    /** Most classes a model may have (the kernel's {@code XDPML_MODEL_MAX_CLASSES}). */
    int MAX_CLASSES = 16;

    int classCount();

    /** The class of one input vector of {@link io.xdpml.model.ModelInputs#COUNT} values (u64 each). */
    int classify(long[] inputs);

    /** Indexes of the inputs the model reads (for reports and checks). */
    int[] inputsUsed();
}
