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

    /** The largest confidence: confidences are in thousandths. */
    int CONFIDENCE_MAX = 1000;

    /** The class of one input vector of {@link io.xdpml.model.ModelInputs#COUNT} values (u64 each). */
    default int classify(long[] inputs) {
        return classOf(scored(inputs));
    }

    /**
     * The class of one input vector with its confidence, packed as the kernel packs it
     * ({@code xdpml_scored}): class in bits 0-7, confidence in thousandths in bits 16-25.
     */
    int scored(long[] inputs);

    static int scored(int cls, int confidence) {
        return cls | confidence << 16;
    }

    static int classOf(int scored) {
        return scored & 0xff;
    }

    static int confidenceOf(int scored) {
        return (scored >>> 16) & 0x3ff;
    }

    /** Indexes of the inputs the model reads (for reports and checks). */
    int[] inputsUsed();
}
