package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.detect.Detection;
import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.Detectors;
import io.xdpml.detect.ObservationBuilder;
import io.xdpml.kernel.BpfSupport;
import io.xdpml.processor.MlPacketProcessor;
import io.xdpml.processor.ProcessorConfig;
import io.xdpml.processor.ProcessorStats;
import io.xdpml.processor.Verdict;
import java.io.BufferedWriter;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml run --iface IF}: the live system on an interface: AF_XDP to Java, detectors, mitigation. */
@Command(name = "run", mixinStandardHelpOptions = true,
        header = "Run on an interface: packets to Java through AF_XDP, detectors, blocks enforced in XDP.",
        description = {"Attaches the AF_XDP program (1-in-N sampling in XDP), hands the packets to the detectors (xdpml detect",
            "--help lists them), prints a status line every second and each new detection as it is found (and as JSON lines",
            "with --json-out). With --block S, the source named by a port-scan or DNS-tunnel detection is blocked in the",
            "kernel for S seconds (floods and amplification name their victim, which is not blocked). Ctrl-C or --duration",
            "ends it: it detaches and prints a summary. Detections are evaluated when a detector's window closes (windows run",
            "on packet time: 10 s by default; --set portscan.windowNanos=1000000000 for 1 s). Needs root."})
final class RunCommand implements Callable<Integer> {
    private static final Set<String> SOURCE_SUBJECTS = Set.of("portscan", "dnstunnel");

    @Spec
    CommandSpec spec;

    @Option(names = "--iface", required = true, paramLabel = "IF", description = "interface to attach to")
    String iface;

    @Option(names = "--queues", split = ",", defaultValue = "0", description = "receive queues (default: ${DEFAULT-VALUE})")
    int[] queues;

    @Option(names = "--sample", defaultValue = "1", description = "1-in-N packets to Java, chosen in XDP (default: ${DEFAULT-VALUE})")
    int sample;

    @Option(names = "--detectors", defaultValue = "portscan,synflood,amplification,dnstunnel,volumetric",
            description = "comma-separated, or all (default: ${DEFAULT-VALUE})")
    String detectors;

    @Option(names = "--set", paramLabel = "DETECTOR.PARAM=VALUE", description = "a detector parameter (repeatable)")
    List<String> settings = List.of();

    @Option(names = "--block", defaultValue = "0", description = "seconds to block a detected scanning/tunnelling source (0: do not block)")
    long blockSeconds;

    @Option(names = "--duration", defaultValue = "0", description = "seconds to run (0: until Ctrl-C)")
    double duration;

    @Option(names = "--json-out", paramLabel = "FILE", description = "write each detection as a JSON line to FILE")
    Path jsonOut;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        BpfSupport.unavailableReason().ifPresent(why -> {
            throw new IllegalStateException("run needs BPF: " + why + " (offline: xdpml detect FILE)");
        });
        DetectorSet set = new DetectorSet(Detectors.create(detectors, settings));
        ObservationBuilder observations = new ObservationBuilder(set.needsFlows());
        ProcessorConfig config = ProcessorConfig.forInterface(iface).withQueues(queues).withSampling(sample)
                .withFlowTracking(false, 1, 1);
        Set<String> seen = new HashSet<>();
        ObjectMapper json = new ObjectMapper();
        long blockedSubjects = 0;
        try (MlPacketProcessor p = MlPacketProcessor.open(config, view -> {
            // the detectors keep state across queues: one at a time (one queue by default)
            synchronized (set) {
                set.observe(observations.observe(view.memory(), view.offset(), view.length(), view.timestampNanos()));
            }
            return Verdict.NORMAL;
        }); BufferedWriter jsonLines = jsonOut == null ? null : Files.newBufferedWriter(jsonOut)) {
            out.printf("running on %s (AF_XDP %s mode, 1-in-%d), detectors %s%s%n", iface, p.socketMode(), sample, detectors,
                    blockSeconds > 0 ? ", blocking sources for " + blockSeconds + " s" : "");
            out.flush();
            p.start();
            long start = System.nanoTime();
            long end = duration > 0 ? start + (long) (duration * 1e9) : Long.MAX_VALUE;
            ProcessorStats before = p.stats();
            while (System.nanoTime() < end) {
                Thread.sleep(Math.max(1, Math.min(1000, (end - System.nanoTime()) / 1_000_000)));
                blockedSubjects += report(out, jsonLines, json, p, set, seen, false);
                ProcessorStats now = p.stats();
                double t = (System.nanoTime() - start) / 1e9;
                out.printf(Locale.ROOT, "%6.1fs  rx %d pkt/s  detections %d  blocked in XDP %d pkt%n", t, now.received() - before.received(),
                        seen.size(), p.blockedPackets());
                out.flush();
                before = now;
            }
            p.stop();
            blockedSubjects += report(out, jsonLines, json, p, set, seen, true);
            ProcessorStats s = p.stats();
            out.printf("detached. %d packets to Java, %d detections %s, %d sources blocked, %d packets dropped by blocks%n",
                    s.received(), seen.size(), set.detectionsByDetector(), blockedSubjects, p.blockedPackets());
        }
        out.flush();
        return 0;
    }

    /** Prints (and blocks) detections not reported yet; returns the sources blocked. */
    private int report(PrintWriter out, BufferedWriter jsonLines, ObjectMapper json, MlPacketProcessor p, DetectorSet set,
            Set<String> seen, boolean finish) throws Exception {
        List<Detection> all;
        synchronized (set) {
            if (finish) {
                set.finish();
            }
            all = set.detections();
        }
        int blocked = 0;
        for (Detection d : all) {
            if (!seen.add(d.detector() + " " + d.subject() + " " + d.timeNanos())) {
                continue;
            }
            out.println("DETECTED " + d.toLine());
            if (jsonLines != null) {
                ObjectNode o = json.createObjectNode();
                o.put("time_ns", d.timeNanos()).put("detector", d.detector()).put("subject", d.subject()).put("score", d.score())
                        .put("count", d.count());
                o.putPOJO("reasons", d.reasons());
                jsonLines.write(json.writeValueAsString(o));
                jsonLines.newLine();
                jsonLines.flush();
            }
            if (blockSeconds > 0 && SOURCE_SUBJECTS.contains(d.detector())) {
                p.mitigation().block(InetAddress.getByName(d.subject()), Duration.ofSeconds(blockSeconds));
                out.println("BLOCKED " + d.subject() + " for " + blockSeconds + " s (kernel drops its packets)");
                blocked++;
            }
        }
        return blocked;
    }
}
