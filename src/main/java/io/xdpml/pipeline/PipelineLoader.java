package io.xdpml.pipeline;

import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.BpfProgram;

/** Opens and loads a named pipeline with its production configuration (no test-only extras). */
public final class PipelineLoader {
    /** A loaded pipeline: close it to unload. */
    public record Loaded(Pipelines.Pipeline pipeline, BpfObject object, BpfProgram program) implements AutoCloseable {
        @Override
        public void close() {
            object.close();
        }
    }

    private PipelineLoader() {}

    /**
     * @param action XDP action the pipeline returns where it has a choice (cfg_action), so that
     *               benchmarks compare programs that end the same way
     */
    public static Loaded load(String name, int action) {
        Pipelines.Pipeline p = Pipelines.get(name);
        BpfObject obj = BpfObject.openResource(p.resource());
        try {
            if (!name.equals("drop") && !name.equals("firewall")) { // the firewall's verdict is its action
                obj.setConstant("cfg_action", action);
            }
            if (name.equals("flow-new")) {
                obj.setConstant("cfg_bench_new_flows", 1);
            }
            obj.load();
            return new Loaded(p, obj, obj.program(p.program()));
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
    }
}
