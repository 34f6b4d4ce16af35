package io.xdpml.pipeline;

import io.xdpml.dataplane.PipelineObject;
import io.xdpml.dataplane.Stages;
import io.xdpml.kernel.BpfObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The named XDP pipelines. Two stand alone (drop, the floor; parse, the parser alone); every other
 * is a configuration of the one composed program (xdp_pipeline.bpf.c) with some stages on.
 */
public final class Pipelines {
    /**
     * A pipeline: BPF object resource and its entry program; for the composed program, the stages
     * it turns on (else null); for the benchmark variants of "classify", the fixed-shape model
     * deployed into it ({@link BenchModel}, else null).
     */
    public record Pipeline(String name, String resource, String program, String description, Stages stages, BenchModel model) {
        Pipeline(String name, String resource, String program, String description) {
            this(name, resource, program, description, null, null);
        }

        Pipeline(String name, Stages stages, String description, BenchModel model) {
            this(name, PipelineObject.RESOURCE, PipelineObject.ENTRY, description, stages, model);
        }

        /** Opens the object with this pipeline's stages switched (not loaded yet). */
        public BpfObject open() {
            return stages == null ? BpfObject.openResource(resource) : PipelineObject.open(stages);
        }
    }

    /** A benchmark model: dt (complete depth-10 tree), rf (4 such trees), mlp (12-16-16-2), per packet or cached per flow. */
    public record BenchModel(String kind, boolean cached) {}

    private static final Map<String, Pipeline> ALL = new LinkedHashMap<>();

    static {
        Stages none = Stages.none();
        Stages flow = none.withFlow(true);
        Stages classify = flow.withModel(true);
        add(new Pipeline("drop", "/bpf/xdp_drop.bpf.o", "xdpml_drop", "bare XDP_DROP: the floor"));
        add(new Pipeline("parse", "/bpf/xdp_parse.bpf.o", "xdpml_parse",
                "parse every header, per-CPU protocol and error counters"));
        add(new Pipeline("pipeline", none, "the composed program with every stage off (parse only)", null));
        add(new Pipeline("flow", flow, "parse, then per-flow state and features in an LRU hash (docs/flows.md)", null));
        add(new Pipeline("firewall", none.withFirewall(true),
                "parse, then deny/allow lists, rules, conntrack, rate limits (docs/firewall.md)", null));
        add(new Pipeline("flow-new", flow,
                "benchmark only: the flow pipeline with a random key per packet, so every packet is a new flow", null));
        add(new Pipeline("classify", classify,
                "parse, flow, then the deployed model (tree, forest or MLP) and its per-class actions (docs/classifier.md)", null));
        add(new Pipeline("dt", classify, "benchmark: classify every packet with a complete depth-10 tree", new BenchModel("dt", false)));
        add(new Pipeline("rf", classify, "benchmark: classify every packet with 4 complete depth-10 trees", new BenchModel("rf", false)));
        add(new Pipeline("mlp", classify, "benchmark: classify every packet with a 12-16-16-2 MLP (tail calls)",
                new BenchModel("mlp", false)));
        add(new Pipeline("dt-cached", classify, "benchmark: depth-10 tree at a flow's 1st packet, then its cached class",
                new BenchModel("dt", true)));
        add(new Pipeline("rf-cached", classify, "benchmark: 4 depth-10 trees at a flow's 1st packet, then cached",
                new BenchModel("rf", true)));
        add(new Pipeline("mlp-cached", classify, "benchmark: 12-16-16-2 MLP at a flow's 1st packet, then cached",
                new BenchModel("mlp", true)));
    }

    private Pipelines() {}

    private static void add(Pipeline p) {
        ALL.put(p.name(), p);
    }

    public static Pipeline get(String name) {
        Pipeline p = ALL.get(name);
        if (p == null) {
            throw new IllegalArgumentException("unknown pipeline '" + name + "'; known: " + String.join(", ", ALL.keySet()));
        }
        return p;
    }

    /** A configuration of the composed program that has no name of its own (tests, the agent). */
    public static Pipeline composed(String name, Stages stages) {
        return new Pipeline(name, stages, "the composed program: " + stages, null);
    }

    public static Set<String> names() {
        return ALL.keySet();
    }
}
