package io.xdpml.pipeline;

import io.xdpml.dataplane.ConfigWord;
import io.xdpml.dataplane.DeliverySettings;
import io.xdpml.dataplane.Stage;
import io.xdpml.firewall.FirewallConfigException;
import io.xdpml.firewall.FirewallConfigParser;
import io.xdpml.firewall.FirewallCounter;
import io.xdpml.firewall.FirewallMaps;
import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.BpfProgram;
import io.xdpml.kernel.RingBufferConsumer;
import io.xdpml.model.BenchModels;
import io.xdpml.model.classify.ClassAction;
import io.xdpml.model.classify.ClassifyMode;
import io.xdpml.model.classify.Deployment;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.kernel.ClassifierProgram;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.processor.Mitigation;
import io.xdpml.xsk.XskCounter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Opens and loads a named pipeline with its production configuration (no test-only extras). */
public final class PipelineLoader {
    /**
     * A loaded pipeline: close it to unload. {@code classifier} is set for the composed program;
     * {@code mirror} drains its mirror ring when it samples to one (else null).
     */
    public record Loaded(Pipelines.Pipeline pipeline, BpfObject object, BpfProgram program, ClassifierProgram classifier,
                         RingBufferConsumer mirror) implements AutoCloseable {
        public Loaded(Pipelines.Pipeline pipeline, BpfObject object, BpfProgram program, ClassifierProgram classifier) {
            this(pipeline, object, program, classifier, null);
        }

        /**
         * Between benchmark runs: empties the mirror ring (without it a test run of millions of
         * repetitions fills the ring and the rest of the sampled packets cost a failed copy, not a
         * copy). Returns the records drained.
         */
        public int betweenRuns() {
            return mirror == null ? 0 : mirror.drain();
        }

        /**
         * What the packets met so far, for checking a benchmark: where they left (per stage), what
         * the sample and deliver stages did, and the model's counts. One line.
         */
        public String outcome() {
            if (pipeline.stages() == null) {
                return "";
            }
            io.xdpml.dataplane.PipelineCounters ps = counters();
            List<String> parts = new ArrayList<>();
            parts.add(ps.packets() + " packets, " + (ps.packets() - droppedByStages()) + " to the end");
            for (Stage s : Stage.values()) {
                if (s != Stage.END && ps.dropped(s) > 0) {
                    parts.add("dropped by " + s.key() + " " + ps.dropped(s));
                }
            }
            if (pipeline.stages().blocks()) {
                long[] xc = object.map("xdpml_xsk_counters").sumPerCpuLongs(0);
                parts.add("blocked " + xc[XskCounter.BLOCKED.ordinal()]);
            }
            if (pipeline.stages().firewall()) {
                long[] fc = object.map("xdpml_fw_stats").sumPerCpuLongs(0);
                StringBuilder b = new StringBuilder("firewall");
                for (FirewallCounter c : FirewallCounter.values()) {
                    if (c != FirewallCounter.PACKETS && c.id() < fc.length && fc[c.id()] > 0) {
                        b.append(' ').append(c.name().toLowerCase(java.util.Locale.ROOT)).append(' ').append(fc[c.id()]);
                    }
                }
                parts.add(b.toString());
            }
            if (pipeline.stages().sample() != io.xdpml.dataplane.Stages.Sampling.NONE) {
                long[] xc = object.map("xdpml_xsk_counters").sumPerCpuLongs(0);
                parts.add("sampled " + xc[XskCounter.SAMPLED.ordinal()] + ", mirrored " + xc[XskCounter.MIRRORED.ordinal()]
                        + ", lost " + xc[XskCounter.MIRROR_LOST.ordinal()]);
                long firsts = xc[XskCounter.FIRST_PICKED.ordinal()] + xc[XskCounter.FIRST_CAPPED.ordinal()] + xc[XskCounter.FIRST_LOST.ordinal()];
                if (firsts > 0) {
                    parts.add("flows' first packets copied " + xc[XskCounter.FIRST_PICKED.ordinal()] + ", over their rate "
                            + xc[XskCounter.FIRST_CAPPED.ordinal()] + ", lost " + xc[XskCounter.FIRST_LOST.ordinal()]);
                }
            }
            if (classifier != null && pipeline.stages().model()) {
                var st = classifier.stats();
                parts.add("classified " + st.counter(ModelCounter.CLASSIFIED) + ", cached " + st.counter(ModelCounter.CACHED)
                        + ", no model " + st.counter(ModelCounter.NO_MODEL));
            }
            return String.join("; ", parts);
        }

        /**
         * Packets a stage dropped (blocks, firewall, model), from the pipeline's own counters; not
         * those that reached the end with a default action of drop. 0 for the standalone programs.
         */
        public long droppedByStages() {
            if (pipeline.stages() == null) {
                return 0;
            }
            io.xdpml.dataplane.PipelineCounters ps = counters();
            long d = 0;
            for (Stage s : Stage.values()) {
                if (s != Stage.END) {
                    d += ps.dropped(s);
                }
            }
            return d;
        }

        /** The composed program's counters (struct xdpml_pipeline_stats), summed over CPUs. */
        private io.xdpml.dataplane.PipelineCounters counters() {
            return io.xdpml.dataplane.PipelineCounters.of(object.map("xdpml_pipeline_stats").sumPerCpuLongs(0));
        }

        @Override
        public void close() {
            if (mirror != null) {
                mirror.close();
            }
            if (classifier != null) {
                classifier.close();
            }
            object.close();
        }
    }

    private static final AtomicInteger PIN_DIRS = new AtomicInteger();

    private PipelineLoader() {}

    /**
     * What the verifier kept of a loaded pipeline: its entry program, plus for the composed program
     * the second unit it tail-calls when a stage there is on (sizes added).
     */
    public static io.xdpml.kernel.BpfProgram.Info sizes(Loaded l) {
        io.xdpml.kernel.BpfProgram.Info e = l.program().info();
        io.xdpml.dataplane.Stages st = l.pipeline().stages();
        if (st == null || !(st.flow() || st.model() || st.sample() != io.xdpml.dataplane.Stages.Sampling.NONE)) {
            return e;
        }
        io.xdpml.kernel.BpfProgram.Info r = l.object().program(io.xdpml.dataplane.PipelineObject.REST).info();
        return new io.xdpml.kernel.BpfProgram.Info(e.type(), e.id(), e.name(), e.xlatedBytes() + r.xlatedBytes(),
                e.jitedBytes() + r.jitedBytes(), e.verifiedInstructions() + r.verifiedInstructions());
    }

    /** The benchmark model of a kind: dt, rf, mlp ({@link BenchModels}); the same object for the kernel and its Java twin. */
    public static IntegerModel benchModel(String kind) {
        return switch (kind) {
            case "dt" -> BenchModels.tree(10);
            case "leaf" -> BenchModels.treeOver(0, java.util.List.of("packet_length"));
            case "dt-length" -> BenchModels.treeOver(10, java.util.List.of("packet_length"));
            case "rf" -> BenchModels.forest(4, 10);
            case "mlp" -> BenchModels.mlp(12, new int[] {16, 16}, 2);
            case "rf-leaf" -> BenchModels.forestOver(4, 0, java.util.List.of("packet_length"));
            case "rf-length" -> BenchModels.forestOver(4, 10, java.util.List.of("packet_length"));
            case "mlp-1-3-3-2" -> BenchModels.mlp(1, new int[] {3, 3}, 2);
            case "mlp-12-3-3-2" -> BenchModels.mlp(12, new int[] {3, 3}, 2);
            case "mlp-12-2" -> BenchModels.mlp(12, new int[] {}, 2);
            default -> throw new IllegalArgumentException("unknown benchmark model " + kind);
        };
    }

    /**
     * @param action XDP action the pipeline returns where it has a choice (cfg_action: what a packet
     *               that no stage ended gets), so that benchmarks compare programs that end the same way
     */
    public static Loaded load(String name, int action) {
        return load(name, action, null);
    }

    /**
     * As {@link #load(String, int)}, with the CPU spread on when {@code spread} is not null (the
     * composed program only): then {@link Loaded#program} is the picker to attach.
     */
    public static Loaded load(String name, int action, io.xdpml.dataplane.CpuSpread spread) {
        Pipelines.Pipeline p = Pipelines.get(name);
        if (spread != null && p.stages() == null) {
            throw new IllegalArgumentException("cpumap spreads the composed program only; " + name + " is a reference program of its own");
        }
        BpfObject obj = p.open();
        ClassifierProgram classifier = null;
        RingBufferConsumer mirror = null;
        try {
            if (!name.equals("drop")) {
                obj.setConstant("cfg_action", action);
            }
            if (name.startsWith("parse-entropy")) {
                obj.setConstant("cfg_entropy_prefix", name.equals("parse-entropy32") ? 32 : io.xdpml.packet.PayloadEntropy.MAX_PREFIX);
            }
            if (name.startsWith("flow-new-promote")) {
                obj.setConstant("cfg_bench_new_flows", 2); // every key twice (the benchmark build)
                io.xdpml.flow.Admission.configure(obj, Pipelines.BENCH_PROBATION_SLOTS,
                        name.endsWith("-budget") ? Pipelines.BENCH_PROMOTE_BUDGET : io.xdpml.flow.PromotionBudget.OFF);
                io.xdpml.flow.FlowHash.install(obj, io.xdpml.flow.FlowHash.randomSeed());
            } else if (name.startsWith("flow-new") || name.startsWith("all-new-flows")) {
                obj.setConstant("cfg_bench_new_flows", 1);
            }
            int flowCut = FLOW_CUTS.indexOf(name) + 1;
            if (CACHED_CUTS.contains(name)) {
                flowCut = FLOW_CUTS.size() + 1 + CACHED_CUTS.indexOf(name);
            }
            if (flowCut > 0) {
                obj.setConstant("cfg_bench_flow_cut", flowCut);
            }
            if (name.endsWith("-coarse")) {
                obj.setConstant("cfg_coarse_clock", 1);
            }
            if (name.endsWith("-probation")) {
                // the agent's default budget (auto) for its default table; a parked packet never reaches it
                io.xdpml.flow.Admission.configure(obj, Pipelines.BENCH_PROBATION_SLOTS, io.xdpml.flow.PromotionBudget.auto(
                        io.xdpml.flow.FlowConfig.DEFAULT_MAX_FLOWS, io.xdpml.flow.FlowConfig.DEFAULT_IDLE_TIMEOUT_NANOS));
                io.xdpml.flow.FlowHash.install(obj, io.xdpml.flow.FlowHash.randomSeed()); // as the agent does
            }
            benchForms(name, obj);
            if (spread != null) {
                if (p.stages().sample() == io.xdpml.dataplane.Stages.Sampling.NONE) {
                    // nothing is sampled, and the bench deployments count only (no class goes "to Java"): the deliver
                    // stage is never reached, so it may as well be the mirror's, which the spread can run
                    obj.setConstant("cfg_mirror", 1);
                }
                spread.configure(obj);
            }
            obj.load();
            if (p.program().equals(ClassifierProgram.ENTRY)) {
                classifier = new ClassifierProgram(obj);
                if (p.model() != null) {
                    IntegerModel model = benchModel(p.model().kind());
                    ClassifyMode mode = p.model().cached() ? ClassifyMode.atFlowPacket(1) : ClassifyMode.EVERY_PACKET;
                    if (name.startsWith("all-model-drops")) {
                        ClassAction[] drop = new ClassAction[model.classCount()];
                        java.util.Arrays.fill(drop, ClassAction.DROP);
                        classifier.deploy(new Deployment(model, mode, drop));
                    } else {
                        classifier.deploy(Deployment.countOnly(model, mode));
                    }
                    benchFormsDeployed(name, obj, model);
                }
            }
            Pipelines.BenchSetup setup = p.setup();
            if (setup.firewall() != null) {
                new FirewallMaps(obj::map).install(FirewallConfigParser.parse(setup.firewall(), name + " (bench rule set)"));
            }
            if (setup.fewBlocks()) {
                blockFew(obj);
            }
            if (setup.ownAddresses()) {
                new io.xdpml.firewall.OwnAddresses(obj::map).set(Pipelines.BENCH_OWN_ADDRESSES.stream().map(java.net.InetAddress::ofLiteral).toList());
            }
            if (setup.sampleN() > 0) {
                DeliverySettings.of(obj).install(new DeliverySettings.Values(setup.sampleN(), 0, 0, name.endsWith("-drops-sampled"),
                                name.endsWith("-first") ? Pipelines.BENCH_FIRST_PPS : 0),
                        new ConfigWord(obj.map("xdpml_fw_gen"), obj.map("xdpml_fw_sync")));
            }
            if (p.stages() != null && p.stages().delivers() && p.stages().mirror()) {
                mirror = new RingBufferConsumer(obj.map("xdpml_mirror"), r -> { });
            }
            return new Loaded(p, obj, spread != null ? io.xdpml.dataplane.PipelineObject.attachPoint(obj) : obj.program(p.program()),
                    classifier, mirror);
        } catch (FirewallConfigException e) {
            close(obj, classifier, mirror);
            throw new IllegalStateException("the bench firewall config of " + name + " does not parse: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close(obj, classifier, mirror);
            throw e;
        }
    }

    /** The bench pipelines that cut the flow stage short, in the order of cfg_bench_flow_cut 1 to 5 (flow_stage.h). */
    static final java.util.List<String> FLOW_CUTS = java.util.List.of("flow-to-entry", "flow-to-key", "flow-to-lookup", "flow-to-clock",
            "flow-to-update");

    /** The bench pipelines that cut dt-cached's path short, in the order of cfg_bench_flow_cut 6 to 10 (flow_stage.h). */
    static final java.util.List<String> CACHED_CUTS = java.util.List.of("cached-to-check", "cached-to-clock", "cached-to-update",
            "cached-to-counted", "cached-to-outcome");

    /** cfg_bench_trees of model_bench.h: 1 the compiled benchmark tree, 2 the compiled forest, 3 packed. */
    public static final int BENCH_TREES_COMPILED_DT = 1;
    public static final int BENCH_TREES_COMPILED_RF = 2;
    public static final int BENCH_TREES_PACKED = 3;
    public static final int BENCH_TREES_REGISTER_VOTES = 4;

    /**
     * Before load: the form of inference a benchmark pipeline of xdp_pipeline_bench.bpf.o measures
     * (model_bench.h: cfg_bench_trees, cfg_bench_packed_branch, cfg_bench_mlp); nothing for others.
     */
    public static void benchForms(String name, BpfObject obj) {
        int benchTrees = benchTreesForm(name);
        if (benchTrees != 0) {
            obj.setConstant("cfg_bench_trees", benchTrees);
        }
        if (name.endsWith("-packed-branch")) {
            obj.setConstant("cfg_bench_packed_branch", 1);
        }
        if (FLOW_CUTS.contains(name) || name.startsWith("flow-new-promote")) {
            // no model: its paths are never taken, but the verifier follows the object's model
            // programs too; the packed form keeps them within its limit (as for the MLP below)
            obj.setConstant("cfg_bench_trees", BENCH_TREES_PACKED);
        }
        if (name.equals("mlp-layers") || name.equals("mlp-inline")) {
            obj.setConstant("cfg_bench_mlp", name.equals("mlp-layers") ? 1 : 2);
            // the model is an MLP: the trees' path is never taken, but the verifier follows it; the
            // packed form's (a global function, checked once) keeps the stage within its limit
            obj.setConstant("cfg_bench_trees", BENCH_TREES_PACKED);
        }
    }

    /** After the model is deployed: what the pipeline's form needs besides the slot (the packed trees' map). */
    public static void benchFormsDeployed(String name, BpfObject obj, IntegerModel model) {
        if (benchTreesForm(name) == BENCH_TREES_PACKED && model instanceof io.xdpml.model.quantized.TreeEnsemble t) {
            io.xdpml.model.kernel.PackedTrees.of(t).write(obj.map("xdpml_bench_packed"));
        }
    }

    /** The tree form (cfg_bench_trees) a bench pipeline's name asks for; 0: the map walk. */
    static int benchTreesForm(String name) {
        return switch (name) {
            // the cached cuts: only the flow's first packet walks the tree (the map walk's path takes the
            // benchmark build past the verifier's limit)
            case "dt-compiled", "cached-to-check", "cached-to-clock", "cached-to-update", "cached-to-counted",
                    "cached-to-outcome" -> BENCH_TREES_COMPILED_DT;
            case "rf-compiled" -> BENCH_TREES_COMPILED_RF;
            case "dt-packed", "rf-packed", "dt-packed-branch", "rf-packed-branch" -> BENCH_TREES_PACKED;
            case "rf-regvotes" -> BENCH_TREES_REGISTER_VOTES;
            default -> 0;
        };
    }

    private static void close(BpfObject obj, ClassifierProgram classifier, RingBufferConsumer mirror) {
        if (mirror != null) {
            mirror.close();
        }
        if (classifier != null) {
            classifier.close();
        }
        obj.close();
    }

    /**
     * Puts {@link Pipelines#BENCH_BLOCKED_SOURCES} and {@link Pipelines#BENCH_BLOCKED_FLOWS} into the
     * blocks stage the way {@code xdpml blocks add} does (through {@link Mitigation}, reached by
     * pinning the maps in a directory of this process for the moment; the pins are removed after).
     */
    private static void blockFew(BpfObject obj) {
        Path dir = BpfFs.ROOT.resolve("xdpml-bench-" + ProcessHandle.current().pid() + "-" + PIN_DIRS.incrementAndGet());
        BpfFs.createDirectories(dir);
        try {
            for (String m : List.of("xdpml_blocks", "xdpml_flow_blocks", "xdpml_mitigation_state")) {
                BpfMap map = obj.map(m);
                map.pin(dir.resolve(m));
            }
            Mitigation mitigation = Mitigation.openPinned(dir);
            try {
                for (String s : Pipelines.BENCH_BLOCKED_SOURCES) {
                    int slash = s.indexOf('/');
                    mitigation.block(InetAddress.getByName(s.substring(0, slash)), Integer.parseInt(s.substring(slash + 1)), null);
                }
                for (String f : Pipelines.BENCH_BLOCKED_FLOWS) {
                    // proto/src:port-dst:port (IPv4)
                    String[] pf = f.split("/", 2);
                    String[] ends = pf[1].split("-", 2);
                    String[] a = ends[0].split(":");
                    String[] b = ends[1].split(":");
                    mitigation.blockFlow(new Mitigation.Flow(InetAddress.getByName(a[0]), Integer.parseInt(a[1]), InetAddress.getByName(b[0]),
                            Integer.parseInt(b[1]), pf[0].equals("tcp") ? 6 : 17, 0), null);
                }
            } finally {
                mitigation.close();
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        } finally {
            BpfFs.removeRecursively(dir);
        }
    }
}
