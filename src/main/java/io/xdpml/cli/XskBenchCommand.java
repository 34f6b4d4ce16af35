package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.util.TempDirectory;
import io.xdpml.kernel.BpfSupport;
import io.xdpml.xsk.XskConfig;
import io.xdpml.xsk.XskThroughput;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml bench xsk}: AF_XDP receive rate of the Java consumer beside a minimal C consumer. */
@Command(name = "xsk", mixinStandardHelpOptions = true,
        header = "AF_XDP receive rate: Java (io.xdpml.xsk) beside a minimal C consumer, same rings, same run.",
        description = {"A veth pair in a namespace of its own; the composed program (xdp_pipeline.bpf.c: sampling, AF_XDP delivery) hands frames (all, or 1-in-N) to the AF_XDP"
            + " socket of queue 0 (copy mode: veth has no zero-copy); live frames from BPF_PROG_TEST_RUN are generated on"
            + " CPU 0; the consumer busy-polls on CPU 1 with a trivial callback. Java and C (bench/xsk_consumer.c, compiled"
            + " here with gcc or clang) alternate; the median of the runs is reported. Needs root and 2 CPUs."})
final class XskBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--sample", split = ",", defaultValue = "1,10,100",
            description = "1-in-N samplings to measure, comma-separated (default: ${DEFAULT-VALUE})")
    int[] sample;

    @Option(names = "--size", defaultValue = "64", description = "frame size in bytes (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--frames", defaultValue = "5000000", description = "frames generated per run (default: ${DEFAULT-VALUE})")
    int frames;

    @Option(names = "--runs", defaultValue = "5", description = "runs per consumer; the median is reported (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--batch", defaultValue = "" + XskConfig.DEFAULT_BATCH, description = "frames per receive round (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--no-metadata", description = "XDP writes no metadata (and parses nothing) before the frames")
    boolean noMetadata;

    @Option(names = "--drain-rounds", defaultValue = "300",
            description = "rounds of the drain measurement, 0 to skip it (default: ${DEFAULT-VALUE})")
    int drainRounds;

    @Option(names = "--drain-frames", defaultValue = "1024", description = "frames waiting in the RX ring per drain round (default: ${DEFAULT-VALUE})")
    int drainFrames;

    @Option(names = "--huge-pages", description = "UMEM on huge pages (reserved, else transparent) for Java and C alike")
    boolean hugePages;

    @Option(names = "--json", description = "print [{consumer, sample, mpps, ...}]")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        byte[] bytes = BenchOptions.frame(BenchCommand.FrameKind.udp4, size);
        if (frames < 1 || runs < 1 || batch < 1 || batch > 2048) {
            throw new IllegalArgumentException("--frames and --runs must be positive, --batch 1..2048");
        }
        for (int n : sample) {
            if (n < 1) throw new IllegalArgumentException("--sample values must be >= 1, got " + n);
        }
        BpfSupport.unavailableReason().ifPresent(why -> {
            throw new IllegalStateException("bench xsk needs BPF: " + why);
        });
        if (Runtime.getRuntime().availableProcessors() < 2) throw new IllegalStateException("bench xsk needs 2 CPUs");
        try (TempDirectory temp = TempDirectory.create("xdpml-xsk-bench")) {
            Path dir = temp.path();
            Path consumer = XskThroughput.compileConsumer(dir);
            List<XskThroughput.Result> rs = XskThroughput.measure(sample, bytes, frames, runs, !noMetadata, batch, hugePages, consumer);
            List<XskThroughput.DrainResult> drain = drainRounds > 0
                    ? XskThroughput.measureDrain(bytes, drainFrames, drainRounds, !noMetadata, batch, hugePages, consumer) : List.of();
            if (json) {
                List<Map<String, Object>> l = new ArrayList<>();
                for (var r : rs) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("consumer", r.consumer());
                    m.put("sample", r.sampleN());
                    m.put("mpps", r.mpps());
                    m.put("offered_mpps", r.offeredMpps());
                    m.put("received", r.received());
                    m.put("redirected", r.redirected());
                    l.add(m);
                }
                for (var d : drain) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("consumer", d.consumer());
                    m.put("drain_frames", d.frames());
                    m.put("ns_per_frame", d.nsPerFrame());
                    m.put("min_ns_per_frame", d.minNsPerFrame());
                    m.put("first_batch_ns", d.firstBatchNanos());
                    m.put("rest_ns_per_frame", d.steadyNsPerFrame());
                    l.add(m);
                }
                out.println(new ObjectMapper().writeValueAsString(l));
            } else {
                out.printf("AF_XDP copy mode on veth, %d-byte frames, %d per run, batch %d, metadata %s, %s, median of %d runs%n",
                        bytes.length, frames, batch, noMetadata ? "off" : "on", hugePages ? "UMEM on huge pages" : "UMEM on 4 KiB pages", runs);
                out.printf("%-8s %-8s %12s %12s %12s %12s %10s%n", "sample", "consumer", "offered Mpps", "redirected",
                        "received", "recv Mpps", "java/c");
                for (int i = 0; i < rs.size(); i += 2) {
                    var c = rs.get(i);
                    var j = rs.get(i + 1);
                    for (var r : List.of(c, j)) {
                        out.printf("%-8s %-8s %12.2f %12d %12d %12.2f %10s%n", "1/" + r.sampleN(), r.consumer(), r.offeredMpps(),
                                r.redirected(), r.received(), r.mpps(), r == j ? String.format("%.1f%%", 100 * j.mpps() / c.mpps()) : "");
                    }
                }
                if (!drain.isEmpty()) {
                    out.printf("%nDraining %d frames waiting in the RX ring (consumer on CPU 1), median of %d rounds:%n",
                            drainFrames, drainRounds);
                    out.printf("%-8s %12s %12s %10s %14s %10s %14s %16s %10s%n", "consumer", "ns/frame", "Mpps", "java/c", "min ns/frame",
                            "java/c", "1st batch ns", "rest ns/frame", "java/c");
                    var c = drain.get(0);
                    for (var d : drain) {
                        boolean j = d.consumer().equals("java");
                        out.printf("%-8s %12.2f %12.1f %10s %14.2f %10s %14.0f %16.2f %10s%n", d.consumer(), d.nsPerFrame(), 1000 / d.nsPerFrame(),
                                j ? String.format("%.1f%%", 100 * c.nsPerFrame() / d.nsPerFrame()) : "",
                                d.minNsPerFrame(), j ? String.format("%.1f%%", 100 * c.minNsPerFrame() / d.minNsPerFrame()) : "",
                                d.firstBatchNanos(), d.steadyNsPerFrame(),
                                j ? String.format("%.1f%%", 100 * c.steadyNsPerFrame() / d.steadyNsPerFrame()) : "");
                    }
                    out.println("(1st batch: the first receive round of each drain, just after the consumer woke up; rest: the others)");
                }
            }
            out.flush();
            return 0;
        }
    }
}
