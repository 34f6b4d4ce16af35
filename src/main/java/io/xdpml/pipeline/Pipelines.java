package io.xdpml.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The named XDP pipelines: which BPF object in the jar and which entry program. One entry
 * program per pipeline; later pipelines (flow, dt, rf, mlp, firewall, vxlan) add themselves here.
 */
public final class Pipelines {
    /** A pipeline: BPF object resource and its entry program. */
    public record Pipeline(String name, String resource, String program, String description) {}

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
