package io.xdpml.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The named XDP pipelines: which BPF object in the jar and which entry program. One entry
 * program per pipeline; later pipelines (flow, dt, rf, mlp, firewall, vxlan) add themselves here.
 */
public final class Pipelines {
    /**
     * A pipeline: BPF object resource and its entry program; for the benchmark variants of
     * "classify", the fixed-shape model deployed into it ({@link BenchModel}, else null).
     */
    public record Pipeline(String name, String resource, String program, String description, BenchModel model) {
        Pipeline(String name, String resource, String program, String description) {
            this(name, resource, program, description, null);
        }
    }

    /** A benchmark model: dt (complete depth-10 tree), rf (4 such trees), mlp (12-16-16-2), per packet or cached per flow. */
    public record BenchModel(String kind, boolean cached) {}

    private static final Map<String, Pipeline> ALL = new LinkedHashMap<>();

    static {
        add(new Pipeline("drop", "/bpf/xdp_drop.bpf.o", "xdpml_drop", "bare XDP_DROP: the floor"));
        add(new Pipeline("parse", "/bpf/xdp_parse.bpf.o", "xdpml_parse",
                "parse every header, per-CPU protocol and error counters"));
        add(new Pipeline("flow", "/bpf/xdp_flow.bpf.o", "xdpml_flow",
                "parse, then per-flow state and features in an LRU hash (docs/flows.md)"));
        add(new Pipeline("firewall", "/bpf/xdp_firewall.bpf.o", "xdpml_firewall",
                "parse, then deny/allow lists, rules, conntrack, rate limits (docs/firewall.md)"));
        add(new Pipeline("flow-new", "/bpf/xdp_flow.bpf.o", "xdpml_flow",
                "benchmark only: the flow pipeline with a random key per packet, so every packet is a new flow"));
        add(new Pipeline("classify", "/bpf/xdp_classify.bpf.o", "xdpml_classify",
                "parse, flow, then the deployed model (tree, forest or MLP) and its per-class actions (docs/classifier.md)"));
        String cls = "/bpf/xdp_classify.bpf.o";
        add(new Pipeline("dt", cls, "xdpml_classify", "benchmark: classify every packet with a complete depth-10 tree",
                new BenchModel("dt", false)));
        add(new Pipeline("rf", cls, "xdpml_classify", "benchmark: classify every packet with 4 complete depth-10 trees",
                new BenchModel("rf", false)));
        add(new Pipeline("mlp", cls, "xdpml_classify", "benchmark: classify every packet with a 12-16-16-2 MLP (tail calls)",
                new BenchModel("mlp", false)));
        add(new Pipeline("dt-cached", cls, "xdpml_classify", "benchmark: depth-10 tree at a flow's 1st packet, then its cached class",
                new BenchModel("dt", true)));
        add(new Pipeline("rf-cached", cls, "xdpml_classify", "benchmark: 4 depth-10 trees at a flow's 1st packet, then cached",
                new BenchModel("rf", true)));
        add(new Pipeline("mlp-cached", cls, "xdpml_classify", "benchmark: 12-16-16-2 MLP at a flow's 1st packet, then cached",
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

    public static Set<String> names() {
        return ALL.keySet();
    }
}
