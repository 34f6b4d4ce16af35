package io.xdpml.model.kernel;

import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.TestRun;
import io.xdpml.model.ModelInputs;
import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.eval.Classifier;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.pipeline.ParserProgram;
import io.xdpml.pipeline.Pipelines;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The kernel's inference on input vectors: the classify object's {@code xdpml_model_eval}
 * program, run once per vector through BPF_PROG_TEST_RUN with the vector in {@code eval_inputs}.
 * The same model code as on packets, so `xdpml eval` can put the kernel beside the float and
 * quantized models on any data, flow CSVs included. Not thread-safe.
 */
public final class KernelModelEvaluator implements Classifier, AutoCloseable {
    private static final byte[] FRAME = new byte[64];

    private final BpfObject object;
    private final ClassifierProgram classifier;
    private final TestRun run;
    private final MemorySegment inputs;
    private final MemorySegment lastClass;
    private final MemorySegment lastConfidence;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment frame;

    public KernelModelEvaluator(IntegerModel model) {
        this(model, ClassifierProgram.PIPELINE);
    }

    /**
     * The same on another pipeline of the composed program: a benchmark pipeline's form of
     * inference (model_bench.h: dt-compiled, rf-packed, mlp-inline, ...), to hold it to the Java twin.
     */
    public KernelModelEvaluator(IntegerModel model, String pipeline) {
        BpfObject obj = Pipelines.get(pipeline).open();
        try {
            io.xdpml.pipeline.PipelineLoader.benchForms(pipeline, obj);
            obj.setConstant("cfg_record_class", 1);
            obj.setConstant("cfg_action", ParserProgram.XDP_DROP);
            obj.load();
            this.classifier = new ClassifierProgram(obj);
            classifier.deploy(Deployment.countOnly(model, ClassifyMode.EVERY_PACKET));
            io.xdpml.pipeline.PipelineLoader.benchFormsDeployed(pipeline, obj, model);
            this.run = obj.program("xdpml_model_eval").testRun();
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
        this.object = obj;
        this.inputs = obj.variable("eval_inputs");
        this.lastClass = obj.variable("last_class");
        this.lastConfidence = obj.variable("last_conf");
        this.frame = arena.allocate(FRAME.length);
    }

    @Override
    public int classify(long[] x) {
        return IntegerModel.classOf(scored(x));
    }

    /** The kernel's class with its confidence, packed as {@link IntegerModel#scored(long[])} packs them. */
    public int scored(long[] x) {
        for (int i = 0; i < ModelInputs.COUNT; i++) {
            inputs.set(ValueLayout.JAVA_LONG, 8L * i, x[i]);
        }
        lastClass.set(ValueLayout.JAVA_INT, 0, -2);
        run.run(frame, FRAME.length);
        int cls = lastClass.get(ValueLayout.JAVA_INT, 0);
        if (cls < 0) {
            throw new IllegalStateException("the kernel gave no class (last_class " + cls + ")");
        }
        return IntegerModel.scored(cls, lastConfidence.get(ValueLayout.JAVA_INT, 0));
    }

    @Override
    public void close() {
        run.close();
        classifier.close();
        object.close();
        arena.close();
    }
}
