package io.xdpml.pipeline;

import io.xdpml.dataplane.PipelineObject;
import io.xdpml.dataplane.Stages;
import io.xdpml.kernel.BpfObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The named XDP pipelines. Two stand alone (drop, the floor; parse, the parser alone); every other
 * is a configuration of the one composed program (xdp_pipeline.bpf.c) with some stages on, and
 * for benchmarks, what {@link PipelineLoader} puts into its maps after load ({@link BenchSetup}).
 */
public final class Pipelines {
    /**
     * A pipeline: BPF object resource and its entry program; for the composed program, the stages
     * it turns on (else null); for the benchmark variants of "classify", the fixed-shape model
     * deployed into it ({@link BenchModel}, else null).
     */
    public record Pipeline(String name, String resource, String program, String description, Stages stages, BenchModel model,
                           BenchSetup setup) {
        Pipeline(String name, String resource, String program, String description) {
            this(name, resource, program, description, null, null, BenchSetup.NONE);
        }

        Pipeline(String name, Stages stages, String description, BenchModel model) {
            this(name, stages, description, model, BenchSetup.NONE);
        }

        Pipeline(String name, Stages stages, String description, BenchModel model, BenchSetup setup) {
            this(name, stages, description, model, setup, PipelineObject.RESOURCE);
        }

        Pipeline(String name, Stages stages, String description, BenchModel model, BenchSetup setup, String resource) {
            this(name, resource, PipelineObject.ENTRY, description, stages, model, setup);
        }

        /** Opens the object with this pipeline's stages switched (not loaded yet). */
        public BpfObject open() {
            return stages == null ? BpfObject.openResource(resource) : PipelineObject.open(stages, resource);
        }
    }

    /** A benchmark model: dt (complete depth-10 tree), rf (4 such trees), mlp (12-16-16-2), per packet or cached per flow. */
    public record BenchModel(String kind, boolean cached) {}

    /**
     * What a benchmark pipeline holds besides its model, installed by {@link PipelineLoader} after
     * load, so that every stage that is on does real work on the benchmark frames (which all pass
     * it: none of these entries drops them).
     *
     * @param firewall  the firewall config (file syntax, docs/firewall.md), or null: the maps as
     *                  loaded (no lists, no rules, default pass)
     * @param fewBlocks the blocks stage holds {@link #BENCH_BLOCKED_SOURCES} and
     *                  {@link #BENCH_BLOCKED_FLOWS}, none of them a benchmark frame's (else it is empty)
     * @param sampleN   1-in-N by packet to Java (the deliver settings), 0: as loaded
     */
    public record BenchSetup(String firewall, boolean fewBlocks, int sampleN, boolean ownAddresses) {
        public static final BenchSetup NONE = new BenchSetup(null, false, 0);

        public BenchSetup(String firewall, boolean fewBlocks, int sampleN) {
            this(firewall, fewBlocks, sampleN, false);
        }
    }

    /** This host's addresses in {@code firewall-own}'s firewall (as the agent fills them): none is a benchmark frame's. */
    public static final List<String> BENCH_OWN_ADDRESSES = List.of("127.0.0.1", "::1", "192.0.2.10", "2001:db8::10", "fe80::1");

    /**
     * The firewall of the benchmarks: a small, realistic rule set that passes every benchmark frame
     * (bench testrun's --frame kinds): the deny list is looked up (source and destination, no hit),
     * the first packet of a flow goes through the rules and creates its connection, every later
     * one is decided by conntrack (the clock and one LRU hash lookup); a VXLAN frame's outer packet
     * goes through the rules every time (the tunnel check is stateless).
     */
    public static final String BENCH_FIREWALL = String.join("\n",
            "default drop",
            "conntrack on",
            "deny 203.0.113.0/24 192.0.2.128/25 2001:db8:bad::/48",
            "rule pass udp to 198.51.100.0/24 port 5000-5010",
            "rule pass tcp to 198.51.100.0/24 port 443",
            "rule pass tcp to 2001:db8::/64 port 443",
            "rule pass tcp from 10.0.0.0/8 to 10.0.0.0/8 port 80",
            "rule pass udp from 192.0.2.0/25 port 4789", // the underlay peers that may tunnel (the vxlan frame's outer packet)
            "");

    /** Sources in the blocks stage of {@code blocks-few} and {@code all*}: none is a benchmark frame's. */
    public static final List<String> BENCH_BLOCKED_SOURCES = List.of("203.0.113.0/24", "192.0.2.128/25", "100.64.0.1/32",
            "2001:db8:bad::/48");

    /**
     * Flows in the blocks stage of {@code blocks-few} and {@code all*} (protocol/src:port-dst:port):
     * none is a benchmark frame's; their presence makes every packet build its flow key and look it
     * up (mitigation.h).
     */
    public static final List<String> BENCH_BLOCKED_FLOWS = List.of("udp/198.51.100.9:1234-198.51.100.2:5000",
            "tcp/198.51.100.9:40000-198.51.100.2:443");

    /** Sampling of the {@code sample} pipeline, and of {@code all*}: 1-in-N by packet to the mirror ring. */
    public static final int BENCH_SAMPLE_N = 1000;
    public static final int BENCH_ALL_SAMPLE_N = 100;
    /** all-new-flows-first's flows' first packets per second (sampling.first-packets' default). */
    static final long BENCH_FIRST_PPS = 1000;
    /** Probation slots of the benchmarks with admission at the second packet (the agent's default). */
    public static final int BENCH_PROBATION_SLOTS = 16_384;
    /**
     * flow-new-promote-budget's budget: 10^9 promotions a second, 10^6 at once, which no packet rate
     * here spends, so every promotion runs the budget's compare-and-swap and is allowed.
     */
    public static final io.xdpml.flow.PromotionBudget BENCH_PROMOTE_BUDGET = new io.xdpml.flow.PromotionBudget(1_000_000_000L, 1_000_000);

    /** The reference programs' object (issue 14): the limit our pipelines are measured against. */
    static final String REF = "/bpf/xdp_ref.bpf.o";

    /** The parser plus the payload entropy, for measuring and parity (bpf/xdp_entropy.bpf.c). */
    public static final String ENTROPY = "/bpf/xdp_entropy.bpf.o";

    private static final Map<String, Pipeline> ALL = new LinkedHashMap<>();

    static {
        Stages none = Stages.none();
        Stages flow = none.withFlow(true);
        Stages classify = flow.withModel(true);
        add(new Pipeline("drop", "/bpf/xdp_drop.bpf.o", "xdpml_drop", "bare XDP_DROP: the floor"));
        add(new Pipeline("parse", "/bpf/xdp_parse.bpf.o", "xdpml_parse",
                "parse every header, per-CPU protocol and error counters"));
        // the payload entropy's cost (bpf/include/xdpml/entropy.h): the parser, then the entropy (bpf/xdp_entropy.bpf.c)
        add(new Pipeline("parse-entropy", ENTROPY, "xdpml_parse_entropy",
                "parse, then the payload's Shannon entropy over its first 64 bytes (entropy.h; not in the composed program)"));
        add(new Pipeline("parse-entropy32", ENTROPY, "xdpml_parse_entropy",
                "parse, then the payload's Shannon entropy over its first 32 bytes"));
        // the limit beside every run: minimal programs doing what the pipelines do (bpf/xdp_ref.bpf.c)
        add(new Pipeline("ref-parse", REF, "xdpml_ref_parse", "reference: Ethernet/IPv4/UDP parsed, nothing else"));
        add(new Pipeline("ref-flow", REF, "xdpml_ref_flow",
                "reference: ref-parse + an LRU lookup of a 16-byte key, two counters written through the pointer"));
        add(new Pipeline("ref-flow44", REF, "xdpml_ref_flow44", "reference: ref-flow with the key padded to the flow stage's 44 bytes"));
        add(new Pipeline("ref-flow296", REF, "xdpml_ref_flow296", "reference: ref-flow with the entry padded to the flow state's 296 bytes"));
        add(new Pipeline("ref-flow44-296", REF, "xdpml_ref_flow44_296", "reference: ref-flow with the flow stage's key and entry sizes"));
        add(new Pipeline("ref-clock", REF, "xdpml_ref_clock", "reference: ref-flow + bpf_ktime_get_ns() into the entry"));
        add(new Pipeline("ref-tree", REF, "xdpml_ref_tree", "reference: ref-clock + a complete depth-10 tree over .rodata"));
        add(new Pipeline("frame", "/bpf/xdp_pipeline_frame.bpf.o", "xdpml_pipeline_frame",
                "measurement only: the composed program's frame (its counters, the configuration word) around the parse,"
                        + " no stage in the source"));
        add(new Pipeline("pipeline", none, "the composed program with every stage off (parse only)", null));
        add(new Pipeline("blocks", none.withBlocks(true),
                "parse, then the blocks stage (sources and flows blocked by Java) with nothing blocked", null));
        add(new Pipeline("blocks-few", none.withBlocks(true),
                "benchmark: the blocks stage holding 4 source prefixes and 2 flows, none the packet's", null,
                new BenchSetup(null, true, 0)));
        add(new Pipeline("flow", flow, "parse, then per-flow state and features in an LRU hash (docs/flows.md)", null));
        add(new Pipeline("firewall", none.withFirewall(true),
                "parse, then deny/allow lists, rules, conntrack, rate limits (docs/firewall.md); benchmarks: a small rule set",
                null, new BenchSetup(BENCH_FIREWALL, false, 0)));
        add(new Pipeline("firewall-own", none.withFirewall(true),
                "benchmark: firewall with this host's " + BENCH_OWN_ADDRESSES.size() + " addresses known, as the agent runs it"
                        + " (with conntrack on, a packet from one is dropped: one more hash lookup per packet)",
                null, new BenchSetup(BENCH_FIREWALL, false, 0, true)));
        add(new Pipeline("sample", none.withSampling(Stages.Sampling.BY_PACKET, true),
                "parse, then 1-in-" + BENCH_SAMPLE_N + " packets copied to the mirror ring for Java (sample, deliver)", null,
                new BenchSetup(null, false, BENCH_SAMPLE_N)));
        add(new Pipeline("flow-new", flow,
                "benchmark only: the flow pipeline with a random key per packet, so every packet is a new flow", null));
        add(new Pipeline("flow-coarse", flow, "benchmark: the flow pipeline on the coarse clock (flows.clock: coarse; no time"
                + " feature), one existing flow", null));
        add(new Pipeline("flow-probation", flow, "benchmark: the flow pipeline with admission at the second packet ("
                + BENCH_PROBATION_SLOTS + " probation slots), one existing flow", null));
        add(new Pipeline("flow-new-probation", flow, "benchmark only: a new flow every packet, admission at the second packet ("
                + BENCH_PROBATION_SLOTS + " probation slots): every packet is parked, none enters the flow table", null));
        // the promotion budget's cost (flow_stage.h xdpml_promotion_allowed; the benchmark build: cfg_bench_new_flows 2)
        add(new Pipeline("flow-new-promote", flow, "benchmark only: every packet's key new and sent twice, admission at the second"
                + " packet (" + BENCH_PROBATION_SLOTS + " probation slots): every other packet parked, every other promotes"
                + " (an LRU insert); no promotion budget", null, BenchSetup.NONE, PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("flow-new-promote-budget", flow, "benchmark only: flow-new-promote with a promotion budget that always"
                + " allows (" + BENCH_PROMOTE_BUDGET + "): every promotion takes a token by compare-and-swap", null, BenchSetup.NONE,
                PipelineObject.BENCH_RESOURCE));
        // where flow's time goes (issue 14, item 1): the stage cut short at successive points
        // (flow_stage.h, cfg_bench_flow_cut; the benchmark build of the program)
        add(new Pipeline("flow-to-entry", flow, "benchmark only: the flow pipeline up to the flow stage's entry (the parse, the"
                + " tail call into the second unit)", null, BenchSetup.NONE, PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("flow-to-key", flow, "benchmark only: flow-to-entry + the flow key built from the packet", null,
                BenchSetup.NONE, PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("flow-to-lookup", flow, "benchmark only: flow-to-key + the flow found in the table (not updated)", null,
                BenchSetup.NONE, PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("flow-to-clock", flow, "benchmark only: flow-to-lookup + the clock read", null, BenchSetup.NONE,
                PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("flow-to-update", flow, "benchmark only: flow-to-clock + the flow's features updated (no counters,"
                + " no records)", null, BenchSetup.NONE, PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("classify", classify,
                "parse, flow, then the deployed model (tree, forest or MLP) and its per-class actions (docs/classifier.md)", null));
        add(new Pipeline("dt", classify, "benchmark: classify every packet with a complete depth-10 tree", new BenchModel("dt", false)));
        // where dt's time goes: the model stage with a one-leaf tree (no input, no walk), and the walk
        // over one input that costs nothing to compute (the frame's length)
        add(new Pipeline("dt-leaf", classify, "benchmark only: the model stage with a one-leaf tree (no input computed, no walk)",
                new BenchModel("leaf", false)));
        add(new Pipeline("dt-length", classify, "benchmark only: a complete depth-10 tree over packet_length alone (the walk,"
                + " no flow feature computed)", new BenchModel("dt-length", false)));
        add(new Pipeline("rf", classify, "benchmark: classify every packet with 4 complete depth-10 trees", new BenchModel("rf", false)));
        add(new Pipeline("mlp", classify, "benchmark: classify every packet with a 12-16-16-2 MLP (one tail call)",
                new BenchModel("mlp", false)));
        // where rf's and mlp's time goes (issue 14, item 4): the forest with one-leaf trees, the walks
        // over a free input; the MLP's tail calls with (almost) nothing to compute, then its inputs
        add(new Pipeline("rf-leaf", classify, "benchmark only: 4 one-leaf trees (the forest's vote, no input, no walk)",
                new BenchModel("rf-leaf", false)));
        add(new Pipeline("rf-length", classify, "benchmark only: 4 complete depth-10 trees over packet_length alone",
                new BenchModel("rf-length", false)));
        add(new Pipeline("mlp-1-3-3-2", classify, "benchmark only: a 1-3-3-2 MLP (the three layer tail calls, one input,"
                + " one neuron group per layer)", new BenchModel("mlp-1-3-3-2", false)));
        add(new Pipeline("mlp-12-3-3-2", classify, "benchmark only: a 12-3-3-2 MLP (mlp-1-3-3-2 + the 12 scaled paper inputs)",
                new BenchModel("mlp-12-3-3-2", false)));
        add(new Pipeline("mlp-12-2", classify, "benchmark only: a 12-2 MLP (one layer: one tail call)",
                new BenchModel("mlp-12-2", false)));
        // the other forms of inference, side by side (bpf/xdp_pipeline_bench.bpf.c, model_bench.h)
        add(new Pipeline("dt-compiled", classify, "benchmark only: dt's tree compiled to straight-line code (model_bench.h)",
                new BenchModel("dt", false), BenchSetup.NONE, PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("rf-compiled", classify, "benchmark only: rf's 4 trees compiled to straight-line code (model_bench.h)",
                new BenchModel("rf", false), BenchSetup.NONE, PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("dt-packed", classify, "benchmark only: dt's tree in the packed layout (implicit children, 8-byte"
                + " nodes; model_bench.h)", new BenchModel("dt", false), BenchSetup.NONE, PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("rf-packed", classify, "benchmark only: rf's 4 trees in the packed layout (model_bench.h)",
                new BenchModel("rf", false), BenchSetup.NONE, PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("dt-packed-branch", classify, "benchmark only: dt-packed with a branch per node rather than none",
                new BenchModel("dt", false), BenchSetup.NONE, PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("rf-packed-branch", classify, "benchmark only: rf-packed with a branch per node rather than none",
                new BenchModel("rf", false), BenchSetup.NONE, PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("rf-regvotes", classify, "benchmark only: rf's map walk with the votes in registers, not in the"
                + " per-CPU scratch (model_bench.h)", new BenchModel("rf", false), BenchSetup.NONE, PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("mlp-layers", classify, "benchmark only: the 12-16-16-2 MLP with one tail-called program per layer"
                + " (the data plane's form before issue 14; model_bench.h)", new BenchModel("mlp", false), BenchSetup.NONE,
                PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("mlp-inline", classify, "benchmark only: the 12-16-16-2 MLP inline in the model stage, no tail call"
                + " (model_bench.h)", new BenchModel("mlp", false), BenchSetup.NONE, PipelineObject.BENCH_RESOURCE));
        add(new Pipeline("dt-cached", classify, "benchmark: depth-10 tree at a flow's 1st packet, then its cached class",
                new BenchModel("dt", true)));
        // where dt-cached's time goes (issue 14, item 3): its path cut short for a flow whose class is cached
        // (cfg_bench_flow_cut 6-10; the flow's first packet goes through in full and caches the class)
        addCachedCut("cached-to-check", "dt-cached up to the cache check (flow-to-lookup + the model slot read, the class"
                + " found current)");
        addCachedCut("cached-to-clock", "cached-to-check + the time read and the idle check");
        addCachedCut("cached-to-update", "cached-to-clock + the flow updated without its timing statistics");
        addCachedCut("cached-to-counted", "cached-to-update + the flow counters and record checks");
        addCachedCut("cached-to-outcome", "cached-to-counted + the model stage's outcome (class statistics, action); no action"
                + " taken, no sample or deliver check");
        add(new Pipeline("rf-cached", classify, "benchmark: 4 depth-10 trees at a flow's 1st packet, then cached",
                new BenchModel("rf", true)));
        add(new Pipeline("mlp-cached", classify, "benchmark: 12-16-16-2 MLP at a flow's 1st packet, then cached",
                new BenchModel("mlp", true)));
        Stages all = none.withBlocks(true).withFirewall(true).withModel(true).withSampling(Stages.Sampling.BY_PACKET, true);
        BenchSetup allSetup = new BenchSetup(BENCH_FIREWALL, true, BENCH_ALL_SAMPLE_N);
        add(new Pipeline("all", all, "benchmark: every stage: blocks (a few, none the packet's), firewall (small rule set,"
                + " conntrack), flow, DT depth 10 per packet, 1-in-" + BENCH_ALL_SAMPLE_N + " to the mirror ring",
                new BenchModel("dt", false), allSetup));
        // the model's drop path under a flood it drops (every class dropped): its drops not sampled, then sampled with the rest
        add(new Pipeline("all-model-drops", all, "benchmark: all, the model dropping every packet (its drops not sampled)",
                new BenchModel("dt", false), allSetup));
        add(new Pipeline("all-model-drops-sampled", all, "benchmark: all-model-drops, the model's drops sampled 1-in-"
                + BENCH_ALL_SAMPLE_N + " to the mirror ring (sampling.dropped)", new BenchModel("dt", false), allSetup));
        // a flood a firewall limit drops (rate-limit 1/s burst 1: all but the first packet): its drops not sampled, then
        // sampled with the rest (since 2026-12-07: xdpml_sample_firewall_drop)
        BenchSetup limitSetup = new BenchSetup(BENCH_FIREWALL + "rate-limit 1/s burst 1\n", true, BENCH_ALL_SAMPLE_N);
        add(new Pipeline("all-limit-drops", all, "benchmark: all, the firewall's rate-limit dropping every packet (its drops not"
                + " sampled)", new BenchModel("dt", false), limitSetup));
        add(new Pipeline("all-limit-drops-sampled", all, "benchmark: all-limit-drops, the limit's drops sampled 1-in-"
                + BENCH_ALL_SAMPLE_N + " to the mirror ring (sampling.dropped)", new BenchModel("dt", false), limitSetup));
        // a spoofed flood through all: every packet a new flow; its first packet copied besides the sample, or not
        add(new Pipeline("all-new-flows", all, "benchmark: all, a new flow every packet (flows' first packets not copied:"
                + " sampling.first-packets 0)", new BenchModel("dt", false), allSetup));
        add(new Pipeline("all-new-flows-first", all, "benchmark: all-new-flows, flows' first packets copied besides the sample at"
                + " most " + BENCH_FIRST_PPS + "/s (sampling.first-packets: nearly all over the rate)", new BenchModel("dt", false), allSetup));
        add(new Pipeline("all-no-model", all.withModel(false).withFlow(true), "benchmark: all but the model (blocks, firewall, flow,"
                + " 1-in-" + BENCH_ALL_SAMPLE_N + " to the mirror ring)", null, allSetup));
        add(new Pipeline("all-no-firewall", all.withFirewall(false), "benchmark: all but the firewall (blocks, flow,"
                + " DT depth 10 per packet, 1-in-" + BENCH_ALL_SAMPLE_N + " to the mirror ring)", new BenchModel("dt", false),
                new BenchSetup(null, true, BENCH_ALL_SAMPLE_N)));
    }

    private Pipelines() {}

    private static void add(Pipeline p) {
        ALL.put(p.name(), p);
    }

    /** A cut of dt-cached's path (the benchmark build; PipelineLoader.CACHED_CUTS). */
    private static void addCachedCut(String name, String description) {
        add(new Pipeline(name, Stages.none().withFlow(true).withModel(true), "benchmark only: " + description,
                new BenchModel("dt", true), BenchSetup.NONE, PipelineObject.BENCH_RESOURCE));
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
