package io.xdpml.model.train;

/** A model as trained, in floating point: the reference its integer form is judged against. */
public sealed interface FloatModel permits FloatTreeEnsemble, FloatMlp {
    int classCount();

    /** The class of one input vector ({@link io.xdpml.model.ModelInputs#COUNT} u64 values). */
    int classify(long[] inputs);
}
