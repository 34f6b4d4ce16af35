package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xdpml.detect.Detection;
import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.Detectors;
import io.xdpml.detect.NewDetections;
import io.xdpml.detect.ObservationBuilder;
import io.xdpml.detect.PacketObservation;
import io.xdpml.model.onnx.OnnxModel;
import io.xdpml.model.onnx.OnnxPacketClassifier;
import io.xdpml.kernel.BpfSupport;
import io.xdpml.processor.Delivery;
import io.xdpml.processor.Mitigation;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml run --iface IF}: the live system on an interface: packets to Java, detectors, mitigation. */
@Command(name = "run", mixinStandardHelpOptions = true,
        header = "Run on an interface: packets to Java (mirror ring or AF_XDP), detectors, blocks enforced in XDP.",
        description = {"Attaches the XDP program (1-in-N sampling in XDP) and hands the sampled packets to the detectors",
            "(xdpml detect --help lists them). --delivery mirror (default) copies them to Java through a BPF ring buffer",
            "and passes them on, so the host keeps all its traffic; af_xdp redirects them to AF_XDP sockets (zero-copy where",
            "the driver can), which takes them from the host's stack: for a mirror port or an inline box.",
            "Every second a status line: packets/s seen by XDP, to Java, to the detectors; drops by reason (blocked in XDP,",
            "lost on the way to Java, over the rate cap); CPU of this process; per-packet latency percentiles in Java and,",
            "with mirror, from the XDP copy to Java. Each detection is printed as it is found (and as a JSON line with",
            "--json-out). With --block S, the sources a detection names (a scanner, a tunnelling client, a SYN flood's top",
            "senders; never spoofed ones) are blocked in XDP for S seconds; 'xdpml blocks' lists and removes them from",
            "another shell (pinned at /sys/fs/bpf/xdpml/blocks/IF while running). Detectors decide when their window",
            "closes (--window, on packet time). Ctrl-C or --duration ends it: it detaches and prints a summary. The program",
            "is attached through a BPF link, so the kernel detaches it even if the JVM is killed. With --onnx, a model of",
            "yours (docs/onnx.md) also runs on each packet's flow features: each newly flagged flow is printed, and with",
            "--block blocked in XDP (both directions) for S seconds; --capture writes the flagged packets. Needs root."})
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--iface", required = true, paramLabel = "IF", description = "interface to attach to")
    String iface;

    @Option(names = "--delivery", defaultValue = "mirror", description = "mirror or af_xdp (default: ${DEFAULT-VALUE})")
    String delivery;

    @Option(names = "--queues", split = ",", defaultValue = "0", description = "af_xdp: receive queues, a socket and thread each (default: ${DEFAULT-VALUE})")
    int[] queues;

    @Option(names = "--cpus", split = ",", description = "af_xdp: CPU for each queue's thread, in --queues order")
    int[] cpus = new int[0];

    @Option(names = "--huge-pages", description = "af_xdp: UMEM on huge pages")
    boolean hugePages;

    @Option(names = "--sample", defaultValue = "1", description = "1-in-N packets to Java, chosen in XDP (default: ${DEFAULT-VALUE})")
    int sample;

    @Option(names = "--detectors", defaultValue = "portscan,synflood,amplification,dnstunnel,volumetric",
            description = "comma-separated, or all (default: ${DEFAULT-VALUE})")
    String detectors;

    @Option(names = "--window", defaultValue = "2", description = "seconds per detector window (volumetric keeps its buckets; default: ${DEFAULT-VALUE})")
    double windowSeconds;

    @Option(names = "--set", paramLabel = "DETECTOR.PARAM=VALUE", description = "a detector parameter (repeatable; wins over --window)")
    List<String> settings = List.of();

    @Option(names = "--block", defaultValue = "0", description = "seconds to block the sources a detection names (0: do not block)")
    long blockSeconds;

    @Option(names = "--duration", defaultValue = "0", description = "seconds to run (0: until Ctrl-C)")
    double duration;

    @Option(names = "--json-out", paramLabel = "FILE", description = "write each detection as a JSON line to FILE")
    Path jsonOut;

    @Option(names = "--pin-dir", defaultValue = "/sys/fs/bpf/xdpml/blocks", paramLabel = "DIR",
            description = "where the blocks map is pinned while running, as DIR/IF (default: ${DEFAULT-VALUE})")
    Path pinDir;

    @Option(names = "--quiet-status", description = "no status line (detections and the summary only)")
    boolean quietStatus;

    @Option(names = "--onnx", paramLabel = "MODEL.onnx", description = "also run this ONNX model on each packet's flow features "
            + "(docs/onnx.md; turns flow tracking on)")
    Path onnx;

    @Option(names = "--onnx-flag", split = ",", paramLabel = "CLASS", description = "the model's classes that flag a flow "
            + "(default: every class but one named benign or normal)")
    List<String> onnxFlag = List.of();

    @Option(names = "--onnx-min-score", defaultValue = "0", description = "flag only at this score or more (default: ${DEFAULT-VALUE})")
    float onnxMinScore;

    @Option(names = "--capture", paramLabel = "FILE", description = "write the first --capture-limit packets the model flags to this pcap")
    Path capture;

    @Option(names = "--capture-limit", defaultValue = "1000", description = "(default: ${DEFAULT-VALUE})")
    int captureLimit;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        BpfSupport.unavailableReason().ifPresent(why -> {
            throw new IllegalStateException("run needs BPF: " + why + " (offline: xdpml detect FILE)");
        });
        Delivery how = switch (delivery.toLowerCase(java.util.Locale.ROOT).replace('-', '_')) {
            case "mirror" -> Delivery.MIRROR;
            case "af_xdp", "afxdp", "xsk" -> Delivery.AF_XDP;
            default -> throw new IllegalArgumentException("--delivery must be mirror or af_xdp, not " + delivery);
        };
        if (windowSeconds <= 0) {
            throw new IllegalArgumentException("--window must be > 0");
        }
        DetectorSet set = new DetectorSet(Detectors.create(detectors, withWindow(detectors, windowSeconds, settings)));
        ObservationBuilder observations = new ObservationBuilder(set.needsFlows());
        ProcessorConfig config = ProcessorConfig.forInterface(iface).withQueues(queues).withSampling(sample).withDelivery(how)
                .withBlocksPin(pinDir.resolve(iface)).withCpus(cpus).withHugePages(hugePages);
        config = onnx != null ? config : config.withFlowTracking(false, 1, 1);
        if (capture != null) {
            config = config.withCapture(capture, captureLimit);
        }
        NewDetections news = new NewDetections(set);
        java.util.Map<String, Long> blocked = new java.util.LinkedHashMap<>();
        ObjectMapper json = new ObjectMapper();
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        Thread[] hookRef = new Thread[1];
        try (OnnxModel model = onnx == null ? null : OnnxModel.load(onnx);
             OnnxPacketClassifier classifier = model == null ? null
                     : OnnxPacketClassifier.flagging(model, flaggedClasses(model)).withMinScore(onnxMinScore);
             FlaggedFlows flagged = new FlaggedFlows(blockSeconds);
             MlPacketProcessor p = MlPacketProcessor.open(config, view -> {
            PacketObservation o;
            // the detectors keep state across queues: one at a time (mirror delivery has one thread anyway)
            synchronized (set) {
                o = observations.observe(view.memory(), view.offset(), view.length(), view.timestampNanos());
                set.observe(o);
                if (classifier == null) {
                    return Verdict.NORMAL;
                }
                Verdict v = classifier.onPacket(view);
                if (v.flagged()) {
                    flagged.add(o, view, v);
                }
                return v;
            }
        }); BufferedWriter jsonLines = jsonOut == null ? null : Files.newBufferedWriter(jsonOut)) {
            if (model != null) {
                out.printf("ONNX model %s: flags %s%s%n", onnx, String.join(",", flaggedClasses(model)),
                        onnxMinScore > 0 ? " at score >= " + onnxMinScore : "");
            }
            out.printf("running on %s (%s, 1-in-%d), detectors %s, %s s windows%s%n", iface,
                    how == Delivery.MIRROR ? "mirror ring, packets passed on" : "AF_XDP " + p.socketMode() + " mode", sample, detectors,
                    trim(windowSeconds), blockSeconds > 0 ? ", blocking named sources for " + blockSeconds + " s" : "");
            out.flush();
            StatusLine status = new StatusLine(p);
            p.start();
            long start = System.nanoTime();
            long end = duration > 0 ? start + (long) (duration * 1e9) : Long.MAX_VALUE;
            // Ctrl-C (SIGINT) or SIGTERM: stop the loop (a flag and an unpark, not an interrupt, which would break the
            // JSON file's channel and the threads' joins), then wait until the summary is printed and everything is
            // detached and closed (the finally below), not for main itself: it then blocks in System.exit
            Thread main = Thread.currentThread();
            java.util.concurrent.atomic.AtomicBoolean stopRequested = new java.util.concurrent.atomic.AtomicBoolean();
            Thread hook = Thread.ofPlatform().unstarted(() -> {
                stopRequested.set(true);
                java.util.concurrent.locks.LockSupport.unpark(main);
                try {
                    closed.await(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException ignored) {
                    // exiting anyway
                }
            });
            hookRef[0] = hook;
            Runtime.getRuntime().addShutdownHook(hook);
            long nextReport = start + 1_000_000_000L;
            while (!stopRequested.get() && System.nanoTime() < end) {
                java.util.concurrent.locks.LockSupport.parkNanos(Math.max(1, Math.min(nextReport, end) - System.nanoTime()));
                if (stopRequested.get() || System.nanoTime() < Math.min(nextReport, end)) {
                    continue; // woken early: by the hook, or spuriously
                }
                nextReport += 1_000_000_000L;
                report(out, jsonLines, json, p, news, blocked, false);
                flagged.report(out, p, blockSeconds);
                Throwable failed = p.failure();
                if (failed != null) {
                    throw new IllegalStateException("receive thread failed: " + failed, failed);
                }
                if (!quietStatus) {
                    out.println(status.next());
                    out.flush();
                }
            }
            p.stop();
            report(out, jsonLines, json, p, news, blocked, true);
            flagged.report(out, p, blockSeconds);
            ProcessorStats s = p.stats();
            out.printf("detached. %d packets seen by XDP, %d to Java (%d lost on the way), %d detections %s, %d sources blocked, "
                    + "%d packets dropped by blocks%n", s.seen(), s.received(), s.deliveryLost(), news.count(), set.detectionsByDetector(),
                    blocked.size(), s.blocked());
            if (model != null) {
                out.printf("ONNX: %d packets flagged in %d flows%s%s%n", s.flagged(), flagged.flows(),
                        blockSeconds > 0 ? ", flows blocked" : "", capture != null ? ", " + s.captured() + " written to " + capture : "");
            }
            out.println(status.summary());
            out.flush();
        } finally {
            closed.countDown(); // everything above is closed: detached, sockets and maps gone
            if (hookRef[0] != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hookRef[0]);
                } catch (IllegalStateException ignored) {
                    // shutting down already: the hook is running
                }
            }
        }
        out.flush();
        return 0;
    }

    /** Blocks {@code source} unless it is blocked now; says so. {@code blocked}: source -> monotonic ns its block ends. */
    private void block(PrintWriter out, MlPacketProcessor p, java.util.Map<String, Long> blocked, String source, String detector) {
        long now = System.nanoTime();
        Long until = blocked.get(source);
        if (until != null && now <= until) {
            return;
        }
        p.mitigation().block(InetAddress.ofLiteral(source), Duration.ofSeconds(blockSeconds));
        blocked.put(source, now + blockSeconds * 1_000_000_000L);
        out.println("BLOCKED " + source + " for " + blockSeconds + " s (" + detector + (until != null ? ", again" : "")
                + "; the kernel drops its packets)");
    }

    /** --onnx-flag, or every class but one named benign/normal. */
    private String[] flaggedClasses(OnnxModel model) {
        if (!onnxFlag.isEmpty()) {
            return onnxFlag.toArray(String[]::new);
        }
        List<String> rest = model.classes().stream()
                .filter(c -> !c.equalsIgnoreCase("benign") && !c.equalsIgnoreCase("normal")).toList();
        if (rest.size() == model.classes().size()) {
            throw new IllegalArgumentException("no class of " + onnx + " is named benign or normal: say which flag with --onnx-flag "
                    + "(classes: " + model.classes() + ")");
        }
        return rest.toArray(String[]::new);
    }

    /** --window as windowNanos for every chosen detector that has windows, before the user's --set (which win). */
    static List<String> withWindow(String detectors, double seconds, List<String> settings) {
        List<String> all = new ArrayList<>(Detectors.windowSettings(detectors, seconds));
        all.addAll(settings);
        return all;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** Prints (and blocks the sources of) detections not reported yet. */
    private void report(PrintWriter out, BufferedWriter jsonLines, ObjectMapper json, MlPacketProcessor p, NewDetections news,
            java.util.Map<String, Long> blocked, boolean finish) throws Exception {
        List<Detection> fresh = new ArrayList<>();
        news.poll(finish, fresh::add);
        for (Detection d : fresh) {
            out.println("DETECTED " + d.toLine());
            if (jsonLines != null) {
                ObjectNode o = json.createObjectNode();
                o.put("time_ns", d.timeNanos()).put("detector", d.detector()).put("subject", d.subject()).put("score", d.score())
                        .put("count", d.count());
                o.putPOJO("reasons", d.reasons());
                o.putPOJO("sources", d.sources());
                jsonLines.write(json.writeValueAsString(o));
                jsonLines.newLine();
                jsonLines.flush();
            }
            if (blockSeconds > 0) {
                for (String source : d.sources()) {
                    block(out, p, blocked, source, d.detector());
                }
            }
        }
        if (blockSeconds > 0) {
            // detections still going on: sources merged into them later, and sources whose block expired while they go on
            long since = System.currentTimeMillis() * 1_000_000L - (long) (2 * windowSeconds * 1e9) - 1_000_000_000L;
            for (Detection d : news.recent(since)) {
                for (String source : d.sources()) {
                    block(out, p, blocked, source, d.detector());
                }
            }
        }
        p.mitigation().sweep();
    }
}
