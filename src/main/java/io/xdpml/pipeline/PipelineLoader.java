package io.xdpml.pipeline;

import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.BpfProgram;
import io.xdpml.model.BenchModels;
import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.kernel.ClassifierProgram;
import io.xdpml.model.quantized.IntegerModel;

/** Opens and loads a named pipeline with its production configuration (no test-only extras). */
public final class PipelineLoader {
    /** A loaded pipeline: close it to unload. {@code classifier} is set for the classify pipelines. */
    public record Loaded(Pipelines.Pipeline pipeline, BpfObject object, BpfProgram program, ClassifierProgram classifier)
            implements AutoCloseable {
        @Override
        public void close() {
            if (classifier != null) {
                classifier.close();
            }
            object.close();
        }
    }

    private PipelineLoader() {}

    private static IntegerModel benchModel(String kind) {
        return switch (kind) {
            case "dt" -> BenchModels.tree(10);
            case "rf" -> BenchModels.forest(4, 10);
            case "mlp" -> BenchModels.mlp(12, new int[] {16, 16}, 2);
            default -> throw new IllegalArgumentException("unknown benchmark model " + kind);
        };
    }

    /**
     * @param action XDP action the pipeline returns where it has a choice (cfg_action), so that
     *               benchmarks compare programs that end the same way
     */
    public static Loaded load(String name, int action) {
        Pipelines.Pipeline p = Pipelines.get(name);
        BpfObject obj = p.open();
        try {
            if (!name.equals("drop") && !name.equals("firewall")) { // the firewall's verdict is its action
                obj.setConstant("cfg_action", action);
            }
            if (name.equals("flow-new")) {
                obj.setConstant("cfg_bench_new_flows", 1);
            }
            obj.load();
            ClassifierProgram classifier = null;
            if (p.program().equals(ClassifierProgram.ENTRY)) {
                classifier = new ClassifierProgram(obj);
                if (p.model() != null) {
                    classifier.deploy(Deployment.countOnly(benchModel(p.model().kind()),
                            p.model().cached() ? ClassifyMode.atFlowPacket(1) : ClassifyMode.EVERY_PACKET));
                }
            }
            return new Loaded(p, obj, obj.program(p.program()), classifier);
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
    }
}
