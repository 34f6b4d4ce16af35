package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.approaches.Approach;
import io.xdpml.approaches.ApproachResult;
import io.xdpml.approaches.ApproachesBench;
import io.xdpml.kernel.BpfSupport;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml bench approaches}: the paper's experiment, XDP against Java behind AF_XDP and AF_PACKET. */
@Command(name = "approaches", mixinStandardHelpOptions = true,
        header = "The same model on the same traffic in XDP, in Java behind AF_XDP, in Java behind AF_PACKET, on 1 and 2 cores.",
        description = {"The paper's experiment (Hara and Sasabe 2024) reproduced on a veth pair in a namespace of its own: live"
            + " frames flat out from one generator per core (a flow each) into a veth with one queue per core; the benchmark model (dt:"
            + " complete depth-10 tree, mlp: 12-16-16-2) classifies every frame (a) in the XDP program, (b) in Java behind an"
            + " AF_XDP socket per queue (XDP redirects every frame), (c) in Java behind an AF_PACKET TPACKET_V3 ring per queue"
            + " (XDP_PASS; fanout by CPU), Java doing what the kernel does: parse, flow table, model. Beside XDP_DROP in the"
            + " same run. Reports offered and classified Mpps, their ratio, frames the kernel dropped on the way to Java, and"
            + " the class counts. One core: generator and kernel work on CPU 0, the Java thread on CPU 1; two cores: all of"
            + " them share CPUs 0 and 1 (docs/approaches.md). Needs root and 2 CPUs."})
final class ApproachesBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--models", split = ",", defaultValue = "dt,mlp", description = "benchmark models: dt, rf, mlp (default: ${DEFAULT-VALUE})")
    List<String> models;

    @Option(names = "--approaches", split = ",", defaultValue = "xdp,af_xdp,af_packet",
            description = "where the model runs: xdp, af_xdp, af_packet (default: ${DEFAULT-VALUE})")
    List<String> approaches;

    @Option(names = "--cores", split = ",", defaultValue = "1,2", description = "core counts (queues, generators, Java threads) (default: ${DEFAULT-VALUE})")
    List<Integer> cores;

    @Option(names = "--size", defaultValue = "64", description = "frame size in bytes (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--seconds", defaultValue = "1", description = "seconds of load per run and configuration (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--runs", defaultValue = "3", description = "runs; the median is reported (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--json", description = "print {drop_mpps: {cores: mpps}, results: [{approach, model, cores, ...}]}")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (!(seconds > 0) || runs < 1) {
            throw new IllegalArgumentException("--seconds and --runs must be positive");
        }
        BenchOptions.frame(BenchCommand.FrameKind.udp4, size); // the generators' frames are UDP/IPv4 of exactly --size bytes
        for (String m : models) {
            io.xdpml.pipeline.PipelineLoader.benchModel(m); // an unknown model is named before anything runs
        }
        List<Approach> as = new ArrayList<>();
        for (String a : approaches) {
            as.add(approach(a));
        }
        for (int n : cores) {
            if (n < 1 || n > Runtime.getRuntime().availableProcessors()) {
                throw new IllegalArgumentException("--cores: " + n + " (this machine has " + Runtime.getRuntime().availableProcessors()
                        + " CPUs)");
            }
        }
        BpfSupport.unavailableReason().ifPresent(why -> {
            throw new IllegalStateException("bench approaches needs BPF: " + why);
        });
        if (Runtime.getRuntime().availableProcessors() < 2) {
            throw new IllegalStateException("bench approaches needs 2 CPUs");
        }
        ApproachesBench.Report report = ApproachesBench.measure(models, as, cores, size, (long) (seconds * 1e9), runs);
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("drop_mpps", report.dropMpps());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (ApproachResult r : report.results()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("approach", r.approach().key());
                row.put("model", r.model());
                row.put("cores", r.cores());
                row.put("offered_mpps", r.offeredMpps());
                row.put("processed_mpps", r.processedMpps());
                row.put("processed", r.processed());
                row.put("of_offered", r.ofOffered());
                row.put("of_drop", r.processedMpps() / report.dropMpps().get(r.cores()));
                row.put("kernel_drops", r.kernelDrops());
                row.put("classes", r.classes());
                rows.add(row);
            }
            o.put("results", rows);
            out.println(new ObjectMapper().writeValueAsString(o));
        } else {
            print(out, report);
        }
        out.flush();
        return 0;
    }

    static void print(PrintWriter out, ApproachesBench.Report report) {
        out.printf("live frames (%d-byte Ethernet/IPv4/UDP, one flow per core) into a veth with one queue per core, median of runs;%n",
                report.frameLength());
        out.printf("1 core: generator + kernel on CPU 0, Java on CPU 1; 2 cores: generators, kernel and Java share CPUs 0 and 1%n");
        StringBuilder d = new StringBuilder("XDP_DROP (same run):");
        report.dropMpps().forEach((n, mpps) -> d.append(String.format(Locale.ROOT, " %d core%s %.2f Mpps;", n, n == 1 ? "" : "s", mpps)));
        out.println(d.substring(0, d.length() - 1));
        out.printf("%-5s %5s %-10s %8s %9s %7s %7s %12s %11s %11s%n", "model", "cores", "approach", "offered", "processed",
                "of off.", "of drop", "kernel drops", "class 0", "class 1");
        out.printf("%-5s %5s %-10s %8s %9s %7s %7s %12s %11s %11s%n", "", "", "", "Mpps", "Mpps", "", "", "(ring full)", "", "");
        for (ApproachResult r : report.results()) {
            out.printf(Locale.ROOT, "%-5s %5d %-10s %8.2f %9.2f %7.2f %7.2f %12d %11d %11d%n", r.model(), r.cores(),
                    r.approach().key(), r.offeredMpps(), r.processedMpps(), r.ofOffered(),
                    r.processedMpps() / report.dropMpps().get(r.cores()), r.kernelDrops(), r.classes()[0], r.classes()[1]);
        }
        out.println("paper (Hara & Sasabe 2024, a physical NIC, generator on another machine): DT ~0.8 Mpps and NN ~0.45 Mpps in"
                + " XDP on one core; NN reaches the offered load with 2+ cores via AF_XDP, 4+ in the kernel");
    }

    private static Approach approach(String key) {
        for (Approach a : Approach.values()) {
            if (a.key().equals(key.trim())) {
                return a;
            }
        }
        throw new IllegalArgumentException("--approaches: unknown " + key + " (xdp, af_xdp, af_packet)");
    }
}
