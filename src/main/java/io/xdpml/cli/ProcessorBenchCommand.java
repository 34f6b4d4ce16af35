package io.xdpml.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.util.TempDirectory;
import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.Detectors;
import io.xdpml.detect.ObservationBuilder;
import io.xdpml.kernel.BpfSupport;
import io.xdpml.processor.MlPacketProcessor;
import io.xdpml.processor.PacketCallback;
import io.xdpml.processor.PacketView;
import io.xdpml.processor.ProcessorConfig;
import io.xdpml.processor.Verdict;
import io.xdpml.xsk.XskBindMode;
import io.xdpml.xsk.XskConfig;
import io.xdpml.xsk.XskProgram;
import io.xdpml.xsk.XskThroughput;
import java.io.PrintWriter;
import java.nio.file.Path;
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

/**
 * {@code xdpml bench processor}: what Java receives through AF_XDP with real work per packet (the
 * processor's flow features, each detector) beside the C consumer and the trivial Java consumer.
 */
@Command(name = "processor", mixinStandardHelpOptions = true,
        header = "AF_XDP receive rate with real work per packet: C, trivial Java, the processor's flow features, each detector.",
        description = {"A veth pair in a namespace of its own; live 64-byte UDP frames from BPF_PROG_TEST_RUN, generated on"
            + " CPU 0 (where veth also runs XDP and the copy into the UMEM); frames not sampled are passed to the stack."
            + " Rows, per sampling:",
            "  c         bench/xsk_consumer.c (compiled here), busy-polling, trivial callback",
            "  java      XskReceiver, busy-polling, trivial callback",
            "  flows     MlPacketProcessor, flow tracking on, a callback reading the features",
            "  DETECTOR  MlPacketProcessor, flow tracking off, that detector alone (fed",
            "            through ObservationBuilder as in xdpml run)",
            "The consumers busy-poll on CPU 1. The processor rows run MlPacketProcessor as shipped (poll mode, its own"
            + " program through a BPF link), its receive thread pinned to CPU 1 (withCpus); each is fed for --warm-up"
            + " seconds first (JIT). Received Mpps: frames handed to the consumer per second of generation (median of the"
            + " runs). Of sampled: the share of the frames XDP handed over that the consumer got. The / C columns: ratios"
            + " to the C row of the same sampling, of frames received (the same frames were offered) and of received Mpps"
            + " (which also moves with the generator's speed: on a loaded machine the noisier one). Needs root and 2 CPUs."})
final class ProcessorBenchCommand implements Callable<Integer> {
    private static final int CONSUMER_CPU = 1;

    @Spec
    CommandSpec spec;

    @Option(names = "--sample", split = ",", defaultValue = "1,10,100",
            description = "1-in-N samplings to measure, comma-separated (default: ${DEFAULT-VALUE})")
    int[] sample;

    @Option(names = "--frames", defaultValue = "3000000", description = "frames generated per run (default: ${DEFAULT-VALUE})")
    int frames;

    @Option(names = "--runs", defaultValue = "3", description = "runs per row; the median is reported (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--detectors", defaultValue = "all",
            description = "detectors measured one at a time, comma-separated, or all, or none (default: ${DEFAULT-VALUE})")
    String detectors;

    @Option(names = "--warm-up", defaultValue = "2", description = "seconds each processor row is fed before it is measured (default: ${DEFAULT-VALUE})")
    double warmUp;

    @Option(names = "--no-flows", description = "leave out the row of the processor with flow features")
    boolean noFlows;

    @Option(names = "--json", description = "print [{consumer, sample, mpps, ratio_to_c, ...}]")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (frames < 1 || runs < 1 || warmUp < 0) {
            throw new IllegalArgumentException("--frames and --runs must be positive, --warm-up >= 0");
        }
        for (int n : sample) {
            if (n < 1) {
                throw new IllegalArgumentException("--sample values must be >= 1, got " + n);
            }
        }
        List<String> detectorNames = detectors.equalsIgnoreCase("none") ? List.of()
                : Detectors.create(detectors).stream().map(d -> d.name()).toList(); // refuses unknown names
        BpfSupport.unavailableReason().ifPresent(why -> {
            throw new IllegalStateException("bench processor needs BPF: " + why);
        });
        if (Runtime.getRuntime().availableProcessors() < 2) {
            throw new IllegalStateException("bench processor needs 2 CPUs");
        }
        List<XskThroughput.Variant> variants = new ArrayList<>();
        if (!noFlows) {
            variants.add(new XskThroughput.Variant("flows", (iface, n) -> processor(iface, n, true, new FlowFeatures())));
        }
        for (String d : detectorNames) {
            variants.add(new XskThroughput.Variant(d, (iface, n) -> {
                DetectorSet set = new DetectorSet(Detectors.create(d));
                ObservationBuilder observations = new ObservationBuilder(set.needsFlows());
                return processor(iface, n, false, view -> {
                    synchronized (set) { // as xdpml run: detectors keep state across queues
                        set.observe(observations.observe(view.memory(), view.offset(), view.length(), view.timestampNanos()));
                    }
                    return Verdict.NORMAL;
                });
            }));
        }
        byte[] bytes = BenchCommand.FrameKind.udp4.build(64);
        if (!json) {
            out.printf("AF_XDP copy mode on veth, %d-byte frames, %d per run, frames not sampled passed, median of %d runs%n",
                    bytes.length, frames, runs);
            out.printf("%-7s %-14s %12s %12s %12s %8s %10s %8s%n", "sample", "consumer", "offered Mpps", "received", "of sampled", "/ C",
                    "recv Mpps", "/ C");
            out.flush();
        }
        List<XskThroughput.Result> rs;
        try (TempDirectory temp = TempDirectory.create("xdpml-processor-bench")) {
            Path dir = temp.path();
            Path consumer = XskThroughput.compileConsumer(dir);
            Map<Integer, XskThroughput.Result> cRows = new LinkedHashMap<>();
            rs = XskThroughput.measureVariants(sample, bytes, frames, runs, XskProgram.XDP_PASS, XskConfig.DEFAULT_BATCH, consumer,
                    variants, (long) (warmUp * 1e9), r -> {
                        if (r.consumer().equals("c")) {
                            cRows.put(r.sampleN(), r);
                        }
                        if (!json) {
                            XskThroughput.Result c = cRows.get(r.sampleN());
                            boolean isC = r == c;
                            out.printf(Locale.ROOT, "%-7s %-14s %12.2f %12d %11.1f%% %8s %10.3f %8s%n", "1/" + r.sampleN(), r.consumer(),
                                    r.offeredMpps(), r.received(), 100.0 * r.received() / sampled(r),
                                    isC ? "" : percent((double) r.received() / c.received()), r.mpps(), isC ? "" : percent(r.mpps() / c.mpps()));
                            out.flush();
                        }
                    });
            if (json) {
                List<Map<String, Object>> l = new ArrayList<>();
                for (var r : rs) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("consumer", r.consumer());
                    m.put("sample", r.sampleN());
                    m.put("mpps", r.mpps());
                    m.put("offered_mpps", r.offeredMpps());
                    m.put("received", r.received());
                    m.put("sampled", sampled(r));
                    m.put("ratio_to_c", r.mpps() / cRows.get(r.sampleN()).mpps());
                    m.put("received_ratio_to_c", (double) r.received() / cRows.get(r.sampleN()).received());
                    l.add(m);
                }
                out.println(new ObjectMapper().writeValueAsString(l));
            }
        }
        out.flush();
        return 0;
    }

    /** Frames XDP handed over: 1 in N as the sample stage chooses them, all generated on one CPU (per-CPU counting). */
    private static long sampled(XskThroughput.Result r) {
        return io.xdpml.util.PacketSampling.chosenAmong(r.frames(), r.sampleN());
    }

    private static String percent(double ratio) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * ratio);
    }

    /** An MlPacketProcessor on {@code iface} (copy mode, batch as the C consumer's), started. */
    private static XskThroughput.AttachedConsumer processor(String iface, int sampleN, boolean flows, PacketCallback callback)
            throws Exception {
        ProcessorConfig config = ProcessorConfig.forInterface(iface).withSampling(sampleN).withBindMode(XskBindMode.COPY)
                .withBatchSize(XskConfig.DEFAULT_BATCH).withCpus(CONSUMER_CPU); // where C and the trivial Java consumer run
        if (!flows) {
            config = config.withFlowTracking(false, 1, 1);
        }
        MlPacketProcessor p = MlPacketProcessor.open(config, callback);
        try {
            p.start();
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return new XskThroughput.AttachedConsumer() {
            @Override
            public long received() {
                return p.stats().received();
            }

            @Override
            public void stop() {
                p.stop();
            }

            @Override
            public void close() throws Exception {
                p.close();
            }
        };
    }

    /** The feature callback: reads the packet's flow features (the model's inputs) and flags nothing. */
    private static final class FlowFeatures implements PacketCallback {
        long sink;

        @Override
        public Verdict onPacket(PacketView packet) {
            long[] x = packet.inputs();
            if (x != null) {
                long s = 0;
                for (long v : x) {
                    s += v;
                }
                sink += s;
            }
            return Verdict.NORMAL;
        }
    }
}
