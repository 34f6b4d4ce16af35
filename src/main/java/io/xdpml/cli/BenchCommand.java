package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.kernel.BpfSupport;
import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.ParserProgram;
import io.xdpml.pipeline.PipelineLoader;
import io.xdpml.pipeline.Pipelines;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml bench ...}: measurements. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks: kernel ns per packet (testrun, stages, firewall, vxlan), end-to-end rate through veth (veth, stages --veth), AF_XDP receive in Java beside C (xsk, processor), an agent's rate with /metrics scraped (metrics), the same model in XDP, behind AF_XDP and behind AF_PACKET (approaches). Results: BENCHMARKS.md.",
        subcommands = {BenchCommand.TestRunBench.class, BenchCommand.StagesBench.class, BenchCommand.FirewallBenchCommand.class, VxlanBenchCommand.class, BenchCommand.VethBench.class,
            XskBenchCommand.class, ProcessorBenchCommand.class, MetricsBenchCommand.class, SoakBenchCommand.class, ApproachesBenchCommand.class})
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Kernel cost per packet from BPF_PROG_TEST_RUN, side by side with a bare XDP_DROP. */
    @Command(name = "testrun", mixinStandardHelpOptions = true,
            header = "Kernel ns per packet of a pipeline beside XDP_DROP (BPF_PROG_TEST_RUN).",
            description = {"The kernel's own ns per packet for a pipeline, from BPF_PROG_TEST_RUN with a large repeat,"
                + " side by side with the bare XDP_DROP program in the same run (runs interleaved, median reported)."
                + " The frame is one --frame kind of --size bytes. Needs root."})
    static final class TestRunBench implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--program", defaultValue = "parse", description = "pipelines to measure, comma-separated: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})",
                completionCandidates = PipelineNames.class)
        String program;

        @Option(names = "--size", defaultValue = "64", description = "frame size in bytes, 64 or 1500 (any from the frame's headers to the test-run limit works)")
        int size;

        @Option(names = "--frame", defaultValue = "udp4",
                description = "frame kind: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
        FrameKind frame;

        @Option(names = "--repeat", defaultValue = "10000000", description = "repetitions per BPF_PROG_TEST_RUN call (default: ${DEFAULT-VALUE})")
        int repeat;

        @Option(names = "--runs", defaultValue = "5", description = "calls per program; the median is reported (default: ${DEFAULT-VALUE})")
        int runs;

        @Option(names = "--json", description = "print {program: ns_per_packet}")
        boolean json;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            byte[] bytes = BenchOptions.frame(frame, size);
            BenchOptions.requirePositive("--repeat", repeat);
            BenchOptions.requirePositive("--runs", runs);
            BpfSupport.unavailableReason().ifPresent(why -> {
                throw new IllegalStateException("bench testrun needs BPF: " + why);
            });
            List<String> names = new ArrayList<>(List.of("drop"));
            for (String n : program.split(",")) {
                Pipelines.get(n.trim());
                if (!names.contains(n.trim())) {
                    names.add(n.trim());
                }
            }
            Map<String, Double> result = measure(names, bytes, repeat, runs);
            if (json) {
                out.println(new ObjectMapper().writeValueAsString(result));
            } else {
                out.printf("BPF_PROG_TEST_RUN, %d-byte %s frame, repeat %d, median of %d runs%n", size, frame.description, repeat, runs);
                table(out, result);
            }
            out.flush();
            return 0;
        }

        /** The table of a run: ns per packet of each program (its name column as wide as the longest name: {@link BenchTable}). */
        static void table(PrintWriter out, Map<String, Double> result) {
            double drop = result.get("drop");
            String name = BenchTable.nameColumn(result.keySet());
            out.printf(name + " %12s %14s %10s%n", "program", "ns/packet", "Mpps/core", "vs drop");
            for (var e : result.entrySet()) {
                out.printf(name + " %12.2f %14.1f %9.2fx%n", e.getKey(), e.getValue(), 1000.0 / e.getValue(), e.getValue() / drop);
            }
        }


        /** Loads a pipeline for a benchmark; a refusal by the verifier says which pipeline and why, in one line. */
        static PipelineLoader.Loaded loadOrExplain(String name) {
            try {
                return PipelineLoader.load(name, ParserProgram.XDP_DROP);
            } catch (io.xdpml.kernel.BpfLoadException e) {
                throw new IllegalStateException("pipeline " + name + " does not load (" + StagesBench.verifierReason(e)
                        + "); the whole libbpf log follows:\n" + e.getMessage(), e);
            }
        }

        /**
         * Runs the timed test runs on the CPU the thread is on, pinned there: a test run that moves to the
         * other CPU mid-call would meet that CPU's per-CPU maps (counters, 1-in-N sampling) and caches cold.
         */
        static <T> T onOneCpu(Callable<T> runs) {
            try {
                return io.xdpml.xsk.CpuAffinity.callPinned(io.xdpml.xsk.CpuAffinity.currentCpu(), runs);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        /** Median ns per packet of each pipeline; calls interleaved so that drift hits all alike. */
        static Map<String, Double> measure(List<String> names, byte[] frame, int repeat, int runs) {
            List<PipelineLoader.Loaded> loaded = new ArrayList<>();
            List<TestRun> testRuns = new ArrayList<>();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment pkt = arena.allocate(frame.length);
                pkt.copyFrom(MemorySegment.ofArray(frame));
                for (String n : names) {
                    PipelineLoader.Loaded l = loadOrExplain(n);
                    loaded.add(l);
                    testRuns.add(l.program().testRun());
                }
                long[][] ns = onOneCpu(() -> {
                    long[][] t = new long[names.size()][runs];
                    for (int r = 0; r < runs; r++) {
                        for (int i = 0; i < names.size(); i++) {
                            testRuns.get(i).run(pkt, frame.length, repeat);
                            t[i][r] = testRuns.get(i).durationNanos();
                            loaded.get(i).betweenRuns(); // a mirror ring emptied, untimed
                        }
                    }
                    return t;
                });
                Map<String, Double> out = new LinkedHashMap<>();
                for (int i = 0; i < names.size(); i++) {
                    long[] v = ns[i];
                    Arrays.sort(v);
                    out.put(names.get(i), (double) v[v.length / 2]);
                }
                return out;
            } finally {
                testRuns.forEach(TestRun::close);
                loaded.forEach(PipelineLoader.Loaded::close);
            }
        }
    }

    /**
     * The composed program stage by stage: every stage off, each alone, all on, beside XDP_DROP and
     * the standalone parser, with the kernel's sizes of each loaded program.
     */
    @Command(name = "stages", mixinStandardHelpOptions = true,
            header = "The composed program stage by stage: ns per packet (or Mpps with --veth) and program sizes.",
            description = {"Loads XDP_DROP, the standalone parser (xdp_parse) and the composed program (xdp_pipeline) with every"
                + " stage off, with each stage alone and with all on (pipelines of 'bench testrun', with their benchmark"
                + " contents: a small firewall rule set, a few blocks that do not match, a depth-10 tree, 1-in-N sampling to"
                + " the mirror ring, drained between runs), then measures them in the same run: BPF_PROG_TEST_RUN ns per"
                + " packet (runs interleaved, median), or with --veth live frames through a veth pair (Mpps).",
                "Beside each: the ratio to XDP_DROP, the cost over the program it adds to (the composed program with every"
                + " stage off, which itself is set against xdp_parse), the verifier's sizes (xlated instructions, JIT bytes,"
                + " instructions verified) and what the packets met. A pipeline the kernel refuses is reported with the"
                + " verifier's reason. Needs root."})
    static final class StagesBench implements Callable<Integer> {
        /** The default set, in the order printed. */
        static final String DEFAULT_SET = "parse,frame,pipeline,blocks,blocks-few,firewall,flow,dt,sample,all-no-model,all-no-firewall,all";

        @Spec
        CommandSpec spec;

        @Option(names = "--program", defaultValue = DEFAULT_SET,
                description = "pipelines, comma-separated (drop is always first; default: ${DEFAULT-VALUE})")
        String program;

        @Option(names = "--frame", defaultValue = "udp4", description = "frame kind: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
        FrameKind frame;

        @Option(names = "--size", defaultValue = "64", description = "frame size in bytes (default: ${DEFAULT-VALUE})")
        int size;

        @Option(names = "--repeat", defaultValue = "2000000", description = "repetitions per BPF_PROG_TEST_RUN call (default: ${DEFAULT-VALUE})")
        int repeat;

        @Option(names = "--runs", defaultValue = "3", description = "runs per pipeline; the median is reported (default: ${DEFAULT-VALUE})")
        int runs;

        @Option(names = "--veth", description = "end to end instead: Mpps of live frames through a veth pair (as bench veth)")
        boolean veth;

        @Option(names = "--frames", defaultValue = "2000000", description = "frames per --veth run and pipeline (default: ${DEFAULT-VALUE})")
        int frames;

        @Option(names = "--json", description = "print {pipeline: {ns (or mpps and received), vs_drop, xlated_insns, jited_bytes,"
            + " verified_insns, runs (ns of each run), met (what the packets met)}}, or {pipeline: {error}} for one the kernel refused")
        boolean json;

        /** What each row is set against: the program it adds one stage (or several) to. */
        static String base(String name, java.util.Set<String> measured) {
            return switch (name) {
                case "frame" -> "parse";
                // the entropy's cost is what it adds to the parser (until 2026-12-06 these rows had no base)
                case "parse-entropy", "parse-entropy32" -> "parse";
                case "pipeline" -> measured.contains("frame") ? "frame" : "parse";
                case "dt", "rf", "mlp", "dt-cached", "rf-cached", "mlp-cached", "classify" -> "flow";
                case "drop", "parse" -> null;
                default -> Pipelines.get(name).stages() != null ? "pipeline" : null;
            };
        }

        /** One pipeline: its sizes, or why it did not load; then its measurement and what its packets met. */
        static final class Row {
            final String name;
            io.xdpml.kernel.BpfProgram.Info info;
            String error;
            double value = Double.NaN; // ns per packet, or Mpps
            long[] runs = new long[0]; // test runs: each run's ns per packet, in run order
            long received = -1;
            String outcome = "";

            Row(String name) {
                this.name = name;
            }
        }

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            byte[] bytes = BenchOptions.frame(frame, size);
            BenchOptions.requirePositive("--repeat", repeat);
            BenchOptions.requirePositive("--runs", runs);
            BenchOptions.requirePositive("--frames", frames);
            BpfSupport.unavailableReason().ifPresent(why -> {
                throw new IllegalStateException("bench stages needs BPF: " + why);
            });
            List<String> names = new ArrayList<>(List.of("drop"));
            for (String n : program.split(",")) {
                Pipelines.get(n.trim());
                if (!names.contains(n.trim())) {
                    names.add(n.trim());
                }
            }
            Map<String, Row> rows = new LinkedHashMap<>();
            names.forEach(n -> rows.put(n, new Row(n)));
            List<PipelineLoader.Loaded> loaded = new ArrayList<>();
            List<TestRun> testRuns = new ArrayList<>();
            try (Arena arena = Arena.ofConfined()) {
                for (String n : names) {
                    try {
                        PipelineLoader.Loaded l = PipelineLoader.load(n, ParserProgram.XDP_DROP);
                        rows.get(n).info = PipelineLoader.sizes(l);
                        loaded.add(l);
                    } catch (io.xdpml.kernel.BpfLoadException e) {
                        rows.get(n).error = verifierReason(e);
                    }
                }
                if (veth) {
                    loaded.forEach(PipelineLoader.Loaded::close);
                    loaded.clear();
                    List<String> ok = names.stream().filter(n -> rows.get(n).error == null).toList();
                    for (var r : io.xdpml.pipeline.VethThroughput.measure(ok, bytes, frames, runs)) {
                        rows.get(r.pipeline()).value = r.mpps();
                        rows.get(r.pipeline()).received = r.received();
                    }
                } else {
                    MemorySegment pkt = arena.allocate(bytes.length);
                    pkt.copyFrom(MemorySegment.ofArray(bytes));
                    long[][] ns = TestRunBench.onOneCpu(() -> {
                        for (PipelineLoader.Loaded l : loaded) {
                            TestRun t = l.program().testRun();
                            testRuns.add(t);
                            t.run(pkt, bytes.length, Math.min(repeat, 100_000)); // warm up; flows and connections exist after it
                            l.betweenRuns();
                        }
                        long[][] t = new long[loaded.size()][runs];
                        for (int r = 0; r < runs; r++) {
                            for (int i = 0; i < loaded.size(); i++) {
                                testRuns.get(i).run(pkt, bytes.length, repeat);
                                t[i][r] = testRuns.get(i).durationNanos();
                                loaded.get(i).betweenRuns();
                            }
                        }
                        return t;
                    });
                    for (int i = 0; i < loaded.size(); i++) {
                        Row row = rows.get(loaded.get(i).pipeline().name());
                        row.runs = ns[i].clone();
                        long[] v = ns[i];
                        Arrays.sort(v);
                        row.value = v[v.length / 2];
                        row.outcome = loaded.get(i).outcome();
                        if (loaded.get(i).droppedByStages() > 0) {
                            row.outcome += "  (WARNING: a stage dropped packets: the stages after it were not measured)";
                        }
                    }
                }
            } finally {
                testRuns.forEach(TestRun::close);
                loaded.forEach(PipelineLoader.Loaded::close);
            }
            print(out, rows, bytes);
            out.flush();
            return 0;
        }

        private void print(PrintWriter out, Map<String, Row> rows, byte[] bytes) throws Exception {
            Row drop = rows.get("drop");
            if (json) {
                Map<String, Map<String, Object>> m = new LinkedHashMap<>();
                for (Row r : rows.values()) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    if (r.error != null) {
                        o.put("error", r.error);
                    } else {
                        o.put(veth ? "mpps" : "ns", r.value);
                        o.put("vs_drop", veth ? drop.value / r.value : r.value / drop.value);
                        o.put("xlated_insns", r.info.xlatedInstructions());
                        o.put("jited_bytes", r.info.jitedBytes());
                        o.put("verified_insns", r.info.verifiedInstructions());
                        if (veth) {
                            o.put("received", r.received);
                        } else {
                            o.put("runs", r.runs);
                            if (!r.outcome.isEmpty()) {
                                o.put("met", r.outcome);
                            }
                        }
                    }
                    m.put(r.name, o);
                }
                out.println(new ObjectMapper().writeValueAsString(m));
                return;
            }
            if (veth) {
                out.printf("veth, native XDP, %d-byte %s frames, %d per run, median of %d runs, same run for all rows%n",
                        bytes.length, frame.description, frames, runs);
            } else {
                out.printf("BPF_PROG_TEST_RUN, %d-byte %s frame, repeat %d, median of %d interleaved runs%n", bytes.length,
                        frame.description, repeat, runs);
            }
            String name = BenchTable.nameColumn(rows.keySet());
            out.printf(name + " %10s %8s  %-34s %7s %8s %9s  %s%n", "program", veth ? "Mpps" : "ns/packet", "vs drop",
                    veth ? "over its base (ns per frame, insns)" : "over its base (ns, insns)", "insns", "jited B", "verified",
                    "stages");
            for (Row r : rows.values()) {
                Pipelines.Pipeline p = Pipelines.get(r.name);
                String stages = p.stages() != null ? p.stages().toString()
                        : p.resource().substring(p.resource().lastIndexOf('/') + 1).replace(".bpf.o", ".bpf.c");
                if (r.error != null) {
                    out.printf(name + " %10s %8s  %-34s %7s %8s %9s  %s%n", r.name, "-", "-", "DOES NOT LOAD", "-", "-", "-",
                            stages + "  (" + r.error + ")");
                    continue;
                }
                String b = base(r.name, rows.keySet());
                String over = "";
                if (b != null && rows.containsKey(b) && !Double.isNaN(rows.get(b).value)) {
                    Row br = rows.get(b);
                    // veth: the difference in time per frame (1000 / Mpps = ns), which adds up like test-run ns
                    double d = veth ? 1000.0 / r.value - 1000.0 / br.value : r.value - br.value;
                    over = String.format("%+.1f, %+d (%s)", d,
                            r.info.xlatedInstructions() - br.info.xlatedInstructions(), b);
                }
                double ratio = veth ? drop.value / r.value : r.value / drop.value;
                out.printf(name + " %10s %7.2fx  %-34s %7d %8d %9d  %s%n", r.name,
                        veth ? String.format("%.2f", r.value) : String.format("%.0f", r.value), ratio, over,
                        r.info.xlatedInstructions(), r.info.jitedBytes(), r.info.verifiedInstructions(), stages);
            }
            if (!veth) {
                out.println();
                out.println("what the packets met (counted since load: warm-up and every timed repetition):");
                for (Row r : rows.values()) {
                    if (!r.outcome.isEmpty()) {
                        out.printf("  " + name + " %s%n", r.name, r.outcome);
                    }
                }
            } else {
                out.println();
                out.println("frames the pipeline counted, of " + frames + " sent per run (drop: not counted):");
                for (Row r : rows.values()) {
                    if (r.error == null && r.received >= 0) {
                        out.printf("  " + name + " %d%n", r.name, r.received);
                    }
                }
            }
        }

        /** The verifier's one-line reason (its last "processed ..." or error line), from libbpf's log. */
        static String verifierReason(io.xdpml.kernel.BpfLoadException e) {
            String log = e.log() == null ? "" : e.log();
            List<String> lines = log.lines().toList();
            String processed = lines.stream().filter(l -> l.startsWith("processed ")).reduce((a, b) -> b).orElse(null);
            String tooLarge = lines.stream().filter(l -> l.contains("too large")).reduce((a, b) -> b).orElse(null);
            if (processed != null) {
                int cut = processed.indexOf(" max_states_per_insn");
                return "verifier: " + (tooLarge != null ? "program too large, " : "") + (cut > 0 ? processed.substring(0, cut) : processed);
            }
            String m = e.getMessage() == null ? "" : e.getMessage();
            return m.lines().findFirst().orElse(m);
        }
    }

    /** The firewall's cost per packet against the size of its lists and rules. */
    @Command(name = "firewall", mixinStandardHelpOptions = true,
            header = "Firewall ns per packet (BPF_PROG_TEST_RUN) with 10 to 10^6 prefixes or rules.",
            description = {"Scenarios: pass-all (no lists or rules), deny-miss / deny-hit (N deny prefixes; the packet's source"
                + " in none / in one), rules (N rules; the packet matches the last in file order), rules-drop (the same with"
                + " action drop), conntrack (the rules plus conntrack; a tracked flow's packet), measures-miss / measures-hit"
                + " (N measures; a port-drop drops the packet), measures-udp-miss / measures-udp-hit (N measures, a third"
                + " udp-limits; a udp-limit drops it), measures-syn-miss / measures-bare-miss / measures-bare-hit (N measures; a"
                + " TCP SYN without options; a third bare-syn-drops in the last two; a bare-syn-drop drops it), syn-drop / syn-cookie (a TCP SYN over syn-flood, dropped / answered with a SYN cookie for a"
                + " socket the bench listens with; syn-cookie with --veth only), bare-drop (a TCP SYN without options over bare-syn-flood,"
                + " dropped), icmp-drop (an ICMP echo request over icmp-flood, dropped). 64-byte UDP frame, real clock."
                + " Each verdict is checked first. --veth measures Mpps end to end through a veth pair instead. Needs root."})
    static final class FirewallBenchCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--entries", split = ",", defaultValue = "10,10000,1000000",
                description = "list or rule counts (default: ${DEFAULT-VALUE})")
        List<Integer> entries;

        @Option(names = "--scenarios", split = ",", defaultValue = "pass-all,deny-miss,deny-hit,rules,rules-drop,conntrack",
                description = "which (default: ${DEFAULT-VALUE})")
        List<String> scenarios;

        @Option(names = "--repeat", defaultValue = "2000000", description = "repetitions per call (default: ${DEFAULT-VALUE})")
        int repeat;

        @Option(names = "--runs", defaultValue = "5", description = "calls; the median is reported (default: ${DEFAULT-VALUE})")
        int runs;

        @Option(names = "--json", description = "print {scenario: {entries: ns_per_packet}}, drop as {\"drop\": {\"0\": ns}}")
        boolean json;

        @Option(names = "--veth", description = "end to end instead: Mpps of live frames through a veth pair into the firewall"
            + " (scenarios that end the packet in the firewall: deny-hit, rules-drop, measures-hit, measures-udp-hit, measures-bare-hit, syn-drop,"
            + " bare-drop, icmp-drop, syn-cookie)")
        boolean veth;

        @Option(names = "--frames", defaultValue = "5000000", description = "frames per --veth run (default: ${DEFAULT-VALUE})")
        int frames;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            // checked for --veth too: there a --runs 0 ended in "Index 0 out of bounds" and --frames 0 ran (until 2026-12-06)
            BenchOptions.requirePositive("--repeat", repeat);
            BenchOptions.requirePositive("--runs", runs);
            BenchOptions.requirePositive("--frames", frames);
            if (entries.stream().anyMatch(n -> n < 1 || n > 4_000_000)) {
                throw new IllegalArgumentException("--entries must be 1 to 4000000 each, not " + entries);
            }
            BpfSupport.unavailableReason().ifPresent(why -> {
                throw new IllegalStateException("bench firewall needs BPF: " + why);
            });
            if (veth) {
                List<String> drops = spec.commandLine().getParseResult().hasMatchedOption("--scenarios") ? scenarios
                        : List.of("deny-hit", "rules-drop");
                var results = io.xdpml.firewall.FirewallBench.measureVeth(drops, entries, frames, runs);
                out.printf("live frames through a veth pair into the firewall (native XDP), 64-byte UDP/IPv4 (TCP SYN for syn-*),"
                        + " %d frames, median of %d runs%n", frames, runs);
                out.printf("%-10s %9s %8s %12s%n", "scenario", "entries", "Mpps", "judged");
                for (var r : results) {
                    out.printf("%-10s %9d %8.2f %12d%n", r.scenario(), r.entries(), r.mpps(), r.judged());
                }
                out.flush();
                return 0;
            }
            List<io.xdpml.firewall.FirewallBench.Result> results =
                    io.xdpml.firewall.FirewallBench.measure(scenarios, entries, repeat, runs);
            if (json) {
                out.println(new ObjectMapper().writeValueAsString(io.xdpml.firewall.FirewallBench.table(results)));
            } else {
                out.printf("BPF_PROG_TEST_RUN, 64-byte UDP/IPv4, repeat %d, median of %d runs; drop: a bare XDP_DROP called"
                        + " after every timed call (same packet, same repeat), the median of them all%n", repeat, runs);
                out.printf("%-10s %9s %12s %8s %13s %12s %11s%n", "scenario", "entries", "ns/packet", "x drop", "prefix-trie",
                        "rule-trie", "install s");
                double drop = results.getFirst().nsPerPacket();
                for (var r : results) {
                    out.printf(Locale.ROOT, "%-10s %9d %12.1f %7.2fx %13d %12d %11.2f%n", r.scenario(), r.entries(), r.nsPerPacket(),
                            r.nsPerPacket() / drop, r.prefixEntries(), r.ruleEntries(), r.installSeconds());
                }
            }
            out.flush();
            return 0;
        }
    }

    /** End-to-end Mpps through a veth pair, side by side with XDP_DROP. */
    @Command(name = "veth", mixinStandardHelpOptions = true,
            header = "End-to-end Mpps through a veth pair beside XDP_DROP (live frames).",
            description = {"Packets per second that a pipeline takes end to end: a veth pair in a network namespace of its own,"
                + " the pipeline attached natively to one end, real frames sent into the other (BPF_PROG_TEST_RUN live frames,"
                + " XDP_TX), beside a bare XDP_DROP in the same run. Generator and receiver share one core (veth delivers in"
                + " softirq on the sender's). The rate is of frames the pipeline counted (of frames sent for drop). Needs root."
                + " Where the kernel refuses live frames (EPERM) the frames go through an AF_PACKET socket instead (said on"
                + " standard error): those rates are not comparable with live-frame ones (docs/gen.md)."})
    static final class VethBench implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--program", defaultValue = "parse", description = "pipelines to measure, comma-separated (default: ${DEFAULT-VALUE})")
        String program;

        @Option(names = "--frame", defaultValue = "udp4", description = "frame kind: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
        FrameKind frame;

        @Option(names = "--size", defaultValue = "64", description = "frame size in bytes (default: ${DEFAULT-VALUE})")
        int size;

        @Option(names = "--frames", defaultValue = "5000000", description = "frames per run and pipeline (default: ${DEFAULT-VALUE})")
        int frames;

        @Option(names = "--runs", defaultValue = "3", description = "runs; the median is reported (default: ${DEFAULT-VALUE})")
        int runs;

        @Option(names = "--json", description = "print {pipeline: mpps}")
        boolean json;

        @Option(names = "--spread", split = ",", paramLabel = "LAYOUT",
                description = "1 -> 2 cores instead (veth with two queues, generators pinned, two flows): one (a generator and the"
                        + " pipeline on CPU 0), rss (a generator per CPU, the pipeline on each), cpumap (one generator, CPU 0"
                        + " picks, the pipeline on CPUs 0 and 1), cpumap-other (the pipeline on CPU 1 alone); comma-separated")
        List<String> spread;

        @Option(names = "--seconds", defaultValue = "1", description = "with --spread: seconds of load per measurement (default: ${DEFAULT-VALUE})")
        double seconds;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            byte[] bytes = BenchOptions.frame(frame, size);
            BenchOptions.requirePositive("--runs", runs);
            BenchOptions.requirePositive("--frames", frames);
            BpfSupport.unavailableReason().ifPresent(why -> {
                throw new IllegalStateException("bench veth needs BPF: " + why);
            });
            if (spread != null) {
                return spreads(out);
            }
            List<String> names = new ArrayList<>(List.of("drop"));
            for (String n : program.split(",")) {
                Pipelines.get(n.trim());
                if (!names.contains(n.trim())) {
                    names.add(n.trim());
                }
            }
            for (String n : names) {
                TestRunBench.loadOrExplain(n).close(); // a pipeline the verifier refuses is named before any run
            }
            List<io.xdpml.pipeline.VethThroughput.Result> rs = io.xdpml.pipeline.VethThroughput.measure(names, bytes, frames, runs);
            if (json) {
                Map<String, Double> m = new LinkedHashMap<>();
                rs.forEach(r -> m.put(r.pipeline(), r.mpps()));
                out.println(new ObjectMapper().writeValueAsString(m));
            } else {
                out.printf("veth, native XDP, %d-byte %s frames, %d per run, median of %d runs%n", bytes.length,
                        frame.description, frames, runs);
                table(out, rs);
            }
            out.flush();
            return 0;
        }

        /** The table of a run: Mpps of each program, the first row drop's (its name column as wide as the longest name: {@link BenchTable}). */
        static void table(PrintWriter out, List<io.xdpml.pipeline.VethThroughput.Result> rs) {
            String name = BenchTable.nameColumn(rs.stream().map(io.xdpml.pipeline.VethThroughput.Result::pipeline).toList());
            out.printf(name + " %10s %12s %10s%n", "program", "Mpps", "frames seen", "vs drop");
            double drop = rs.get(0).mpps();
            for (var r : rs) {
                out.printf(name + " %10.2f %12s %9.2fx%n", r.pipeline(), r.mpps(),
                        r.received() < 0 ? "(sent)" : Long.toString(r.received()), drop / r.mpps());
            }
        }

        /** --spread: each pipeline on one core and spread over two (io.xdpml.pipeline.VethCores). */
        private int spreads(PrintWriter out) throws Exception {
            if (frame != FrameKind.udp4) {
                throw new IllegalArgumentException("--spread measures UDP/IPv4 frames (two flows chosen by the CPU hash); leave out --frame");
            }
            if (runs < 1 || !(seconds > 0 && seconds <= 60)) {
                throw new IllegalArgumentException("--runs must be positive and --seconds 0 to 60");
            }
            List<io.xdpml.pipeline.VethCores.Spread> layouts = new ArrayList<>();
            for (String id : spread) {
                var l = io.xdpml.pipeline.VethCores.Spread.of(id.trim());
                if (!layouts.contains(l)) {
                    layouts.add(l);
                }
            }
            List<String> names = new ArrayList<>(List.of("drop"));
            for (String n : program.split(",")) {
                Pipelines.get(n.trim());
                if (!names.contains(n.trim())) {
                    names.add(n.trim());
                }
            }
            var rs = io.xdpml.pipeline.VethCores.measure(names, layouts, size, (long) (seconds * 1e9), runs);
            if (json) {
                Map<String, Double> m = new LinkedHashMap<>();
                rs.forEach(r -> m.put(r.pipeline() + "/" + r.spread().id(), r.mpps()));
                out.println(new ObjectMapper().writeValueAsString(m));
                out.flush();
                return 0;
            }
            out.printf("veth with 2 queues, native XDP, %d-byte UDP/IPv4 frames, two flows, %.1f s of load per measurement,"
                    + " median of %d runs; load average %s%n", size, seconds, runs, loadAverage());
            for (var l : layouts) {
                out.printf("  %-13s %s%n", l.id(), l.description);
            }
            double drop = rs.stream().filter(r -> r.pipeline().equals("drop") && r.spread() == io.xdpml.pipeline.VethCores.Spread.ONE)
                    .mapToDouble(io.xdpml.pipeline.VethCores.Result::mpps).findFirst().orElse(Double.NaN);
            String name = BenchTable.nameColumn(rs.stream().map(io.xdpml.pipeline.VethCores.Result::pipeline).toList(), 10);
            out.printf(name + " %-13s %8s %9s %14s %12s %15s%n", "program", "spread", "Mpps", "offered", "drop(1)/this", "vs its one",
                    "kthread ns/pkt");
            for (var r : rs) {
                double one = rs.stream().filter(x -> x.pipeline().equals(r.pipeline()) && x.spread() == io.xdpml.pipeline.VethCores.Spread.ONE)
                        .mapToDouble(io.xdpml.pipeline.VethCores.Result::mpps).findFirst().orElse(Double.NaN);
                out.printf(name + " %-13s %8.2f %9.2f %13.2fx %11.2fx %15s%n", r.pipeline(), r.spread().id(), r.mpps(), r.sent() * 1e3 / r.nanos(),
                        drop / r.mpps(), r.mpps() / one, Double.isNaN(r.kthreadNsPerFrame()) ? "" : String.format("%.0f", r.kthreadNsPerFrame()));
            }
            out.flush();
            return 0;
        }

        private static String loadAverage() {
            try {
                return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).strip();
            } catch (java.io.IOException e) {
                return "unknown";
            }
        }
    }

    /** Frames to measure with: the common case and the longest parse paths. */
    enum FrameKind {
        udp4("Ethernet/IPv4/UDP") {
            @Override
            FrameBuilder headers() {
                return new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").udp(40000, 5000);
            }
        },
        udp4zero("Ethernet/IPv4/UDP, payload all zeros") {
            @Override
            FrameBuilder headers() {
                return udp4.headers();
            }

            /** Zeros instead of the counting pattern: the payload entropy's slowest case (every byte raises the same count). */
            @Override
            byte[] build(int size) {
                int headers = headers().build().length;
                return headers().payload(new byte[Math.max(0, size - headers)]).build();
            }
        },
        frag4("Ethernet/IPv4, a later fragment (offset 1,480: no transport header)") {
            @Override
            FrameBuilder headers() {
                return new FrameBuilder().ethernet().ipv4(java.net.InetAddress.ofLiteral("198.51.100.1").getAddress(), java.net.InetAddress.ofLiteral("198.51.100.2").getAddress(),
                        1480 / 8, 64);
            }
        },
        frag4first("Ethernet/IPv4/UDP to port 5000, a first fragment (MF set): the bench firewall passes it") {
            @Override
            FrameBuilder headers() {
                return new FrameBuilder().ethernet().ipv4(java.net.InetAddress.ofLiteral("198.51.100.1").getAddress(),
                        java.net.InetAddress.ofLiteral("198.51.100.2").getAddress(), 0x2000, 64).udp(40000, 5000);
            }
        },
        frag4first6000("Ethernet/IPv4/UDP to port 6000, a first fragment (MF set): the bench firewall's default drops it") {
            @Override
            FrameBuilder headers() {
                return new FrameBuilder().ethernet().ipv4(java.net.InetAddress.ofLiteral("198.51.100.1").getAddress(),
                        java.net.InetAddress.ofLiteral("198.51.100.2").getAddress(), 0x2000, 64).udp(40000, 6000);
            }
        },
        qinq("Ethernet/802.1ad/802.1Q/IPv4/TCP") {
            @Override
            FrameBuilder headers() {
                return new FrameBuilder().ethernet().vlan(0x88a8, 100).vlan(0x8100, 200)
                        .ipv4("198.51.100.1", "198.51.100.2").tcp(40000, 443, 0x10);
            }
        },
        ipv6ext("Ethernet/IPv6/hop-by-hop/destination-options/TCP") {
            @Override
            FrameBuilder headers() {
                return new FrameBuilder().ethernet().ipv6("2001:db8::1", "2001:db8::2")
                        .ipv6Extension(io.xdpml.packet.Ipv6Header.HOP_BY_HOP, 0)
                        .ipv6Extension(io.xdpml.packet.Ipv6Header.DESTINATION_OPTIONS, 0).tcp(40000, 443, 0x10);
            }
        },
        vxlan("Ethernet/IPv4/UDP/VXLAN/Ethernet/802.1Q/IPv4/TCP") {
            @Override
            FrameBuilder headers() {
                return new FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(49152, 4789).vxlan(42)
                        .ethernet().vlan(10).ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 80, 0x10);
            }
        };

        final String description;

        FrameKind(String description) {
            this.description = description;
        }

        abstract FrameBuilder headers();

        /** The frame padded with payload to {@code size} bytes (or its bare headers if larger). */
        byte[] build(int size) {
            int headers = headers().build().length;
            return headers().payload(Math.max(0, size - headers)).build();
        }
    }

    /** Completion candidates for --program. */
    static final class PipelineNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Pipelines.names().iterator();
        }
    }
}
