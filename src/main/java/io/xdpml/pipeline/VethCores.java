package io.xdpml.pipeline;

import io.xdpml.dataplane.CpuSpread;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.TestRun;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.kernel.BpfObject;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.packet.ParseCounter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The pipeline on one core and spread over two, end to end through a veth pair with two queues
 * (a namespace of its own; the pipeline attached natively to the receiving end). Two flows, A and
 * B, chosen so that the CPU spread's hash sends A to CPU 0 and B to CPU 1. Generators are live
 * frames (BPF_PROG_TEST_RUN, xdp_tx.bpf.c's xdpml_tx_two_flows: XDP_TX after writing the frame's
 * source address and header checksum) on threads pinned to their CPU; veth runs the receiver's XDP program in softirq on
 * the sender's CPU, into queue {@code cpu % queues}.
 *
 * <ul>
 *   <li>{@link Spread#ONE}: one generator on CPU 0 sends A and B in turn, frame by frame; the pipeline runs on CPU 0 beside it.</li>
 *   <li>{@link Spread#RSS}: a generator per CPU (A from CPU 0, B from CPU 1), a queue each: as a NIC
 *       with RSS, the pipeline runs on both CPUs, each beside its generator.</li>
 *   <li>{@link Spread#CPUMAP}: as ONE (one queue's worth of frames, received on CPU 0), with the
 *       CPU spread on: CPU 0 receives and picks, the pipeline runs in the CPUMAP kthreads of CPUs 0 and 1.</li>
 *   <li>{@link Spread#CPUMAP_OTHER}: as CPUMAP with the spread over CPU 1 alone: CPU 0 generates and
 *       picks, CPU 1 runs the whole pipeline.</li>
 * </ul>
 * The rate is of frames the pipeline counted (its parse counters; for the bare XDP_DROP, frames
 * sent) over the time the generators ran; frames a full CPUMAP queue dropped are not counted.
 */
public final class VethCores {
    /** How the work is laid out over the two CPUs. */
    public enum Spread {
        ONE("1 core: one generator and the pipeline on CPU 0"),
        RSS("2 queues: a generator per CPU, the pipeline on each (as RSS)"),
        CPUMAP("cpumap [0,1]: one generator, CPU 0 receives and picks, the pipeline on CPUs 0 and 1"),
        CPUMAP_OTHER("cpumap [1]: one generator, CPU 0 receives and picks, the pipeline on CPU 1");

        public final String description;

        Spread(String description) {
            this.description = description;
        }

        /** As on the command line: one, rss, cpumap, cpumap-other. */
        public String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Spread of(String id) {
            for (Spread s : values()) {
                if (s.id().equals(id)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("no spread '" + id + "' (one, rss, cpumap, cpumap-other)");
        }

        CpuSpread cpuSpread(int queueSize) {
            return switch (this) {
                case CPUMAP -> new CpuSpread(List.of(0, 1), queueSize);
                case CPUMAP_OTHER -> new CpuSpread(List.of(1), queueSize);
                default -> null;
            };
        }
    }

    /**
     * One measurement: Mpps the pipeline took.
     *
     * @param kthreadNanos with cpumap: CPU time the CPUMAP kthreads used (utime + stime of
     *                     /proc/PID/stat), else -1
     */
    public record Result(String pipeline, Spread spread, long frames, long nanos, long sent, long kthreadNanos) {
        public double mpps() {
            return frames * 1e3 / nanos;
        }

        /** With cpumap: the kthreads' CPU time per frame processed (ns), a figure the machine's other load moves less. */
        public double kthreadNsPerFrame() {
            return kthreadNanos < 0 || frames == 0 ? Double.NaN : (double) kthreadNanos / frames;
        }
    }

    /** CPU time (ns) of the kernel threads that run the entries of CPUMAP {@code mapId} ("cpumap/CPU/map:ID"). */
    static long kthreadNanos(int mapId) {
        long ticks = 0;
        String suffix = "/map:" + mapId;
        try (var dirs = java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of("/proc"), "[0-9]*")) {
            for (var d : dirs) {
                try {
                    String comm = java.nio.file.Files.readString(d.resolve("comm")).strip();
                    if (!comm.startsWith("cpumap/") || !comm.endsWith(suffix)) {
                        continue;
                    }
                    String stat = java.nio.file.Files.readString(d.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
                } catch (java.io.IOException | RuntimeException e) {
                    // gone meanwhile
                }
            }
        } catch (java.io.IOException e) {
            return -1;
        }
        return ticks * (1_000_000_000L / 100); // USER_HZ
    }

    public static final int QUEUE_SIZE = CpuSpread.DEFAULT_QUEUE_SIZE;
    private static final String GEN = "xdpcor0";
    private static final String RCV = "xdpcor1";

    private VethCores() {}

    /**
     * Flows A and B: 64-byte-class UDP/IPv4 frames of {@code size} bytes from two source addresses
     * (the spread hashes UDP on the addresses alone) whose hashes pick CPU 0 and CPU 1 of [0, 1].
     */
    static List<byte[]> flows(int size) {
        CpuSpread two = new CpuSpread(List.of(0, 1), QUEUE_SIZE);
        byte[][] found = new byte[2][];
        for (int host = 1; found[0] == null || found[1] == null; host++) {
            String src = "198.51." + (100 + host / 250) + "." + (1 + host % 250);
            FrameBuilder b = new FrameBuilder().ethernet().ipv4(src, "198.51.99.2").udp(40000, 5000);
            int headers = b.build().length;
            byte[] f = new FrameBuilder().ethernet().ipv4(src, "198.51.99.2").udp(40000, 5000)
                    .payload(Math.max(0, size - headers)).build();
            int cpu = two.cpuOf(f);
            if (found[cpu] == null) {
                found[cpu] = f;
            }
        }
        return List.of(found[0], found[1]);
    }

    /**
     * Median-of-runs per (pipeline, spread), pipelines and spreads interleaved in every run; each
     * measurement offers load for {@code nanos}.
     */
    public static List<Result> measure(List<String> pipelines, List<Spread> spreads, int size, long nanos, int runs) {
        if (Runtime.getRuntime().availableProcessors() < 2) {
            throw new IllegalArgumentException("the spreads need two CPUs, " + Runtime.getRuntime().availableProcessors() + " here");
        }
        List<byte[]> flows = flows(size);
        List<List<Result>> all = new ArrayList<>();
        List<String[]> keys = new ArrayList<>();
        for (String p : pipelines) {
            for (Spread s : spreads) {
                if (s.cpuSpread(QUEUE_SIZE) != null && Pipelines.get(p).stages() == null) {
                    continue; // a reference program (drop) has no CPU spread
                }
                keys.add(new String[] {p, s.name()});
                all.add(new ArrayList<>());
            }
        }
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-cores")) {
            ns.createVethPair(GEN, RCV, 2);
            ns.run(() -> {
                int gen = Interfaces.indexOf(GEN);
                int rcv = Interfaces.indexOf(RCV);
                try (BpfObject tx = BpfObject.openResource("/bpf/xdp_tx.bpf.o"); Arena arena = Arena.ofShared()) {
                    tx.load();
                    // flow A's frame, its UDP checksum 0 (none): the generator writes A's or B's source address (and header checksum) into it
                    byte[] a = flows.get(0).clone();
                    a[40] = 0;
                    a[41] = 0;
                    MemorySegment seg = arena.allocate(a.length, 64);
                    seg.copyFrom(MemorySegment.ofArray(a));
                    MemorySegment txFlows = tx.variable("tx_flows");
                    for (int i = 0; i < 2; i++) { // struct xdpml_tx_flow: the header checksum, the address's last two bytes
                        byte[] f = flows.get(i);
                        for (int b = 0; b < 2; b++) {
                            txFlows.set(ValueLayout.JAVA_BYTE, 4L * i + b, f[24 + b]);
                            txFlows.set(ValueLayout.JAVA_BYTE, 4L * i + 2 + b, f[28 + b]);
                        }
                    }
                    TestRun[] runners = new TestRun[2];
                    try {
                        for (int cpu = 0; cpu < 2; cpu++) {
                            runners[cpu] = tx.program("xdpml_tx_two_flows").testRun().withIngress(gen, cpu).withLiveFrames(64);
                        }
                        for (int r = -1; r < runs; r++) { // run -1 warms up, not counted
                            for (int i = 0; i < keys.size(); i++) {
                                Result res = once(ns, keys.get(i)[0], Spread.valueOf(keys.get(i)[1]), runners, seg, a.length,
                                        rcv, r < 0 ? nanos / 4 : nanos, tx);
                                if (r >= 0) {
                                    all.get(i).add(res);
                                }
                            }
                        }
                    } finally {
                        for (TestRun t : runners) {
                            if (t != null) {
                                t.close();
                            }
                        }
                    }
                }
                return null;
            });
        }
        List<Result> medians = new ArrayList<>();
        for (List<Result> rs : all) {
            rs.sort((a, b) -> Double.compare(a.mpps(), b.mpps()));
            medians.add(rs.get(rs.size() / 2));
        }
        return medians;
    }

    private static Result once(NetworkNamespace ns, String pipeline, Spread spread, TestRun[] runners, MemorySegment frame,
                               int length, int rcv, long nanos, BpfObject tx) throws Exception {
        CpuSpread cs = spread.cpuSpread(QUEUE_SIZE);
        try (PipelineLoader.Loaded p = PipelineLoader.load(pipeline, ParserProgram.XDP_DROP, cs);
             XdpAttachment att = XdpAttachment.attach(p.program(), rcv, XdpMode.NATIVE)) {
            // RSS: a generator per CPU, each its own flow (tx_flows[cpu]); else one generator on CPU 0, both flows in turn
            int generators = spread == Spread.RSS ? 2 : 1;
            tx.variable("tx_by_cpu").set(ValueLayout.JAVA_BYTE, 0, (byte) (spread == Spread.RSS ? 1 : 0));
            int mapId = cs == null ? -1 : p.object().map("xdpml_cpumap").id();
            long kthread0 = cs == null ? 0 : kthreadNanos(mapId);
            List<FlatOutGenerators.Generator> gens = new ArrayList<>();
            for (int cpu = 0; cpu < generators; cpu++) {
                TestRun r = runners[cpu];
                gens.add(repeat -> r.run(frame, length, repeat));
            }
            FlatOutGenerators.Sent s = FlatOutGenerators.send(ns, gens, nanos, "xdpml-cores-gen");
            long took = s.nanos();
            long total = s.frames();
            long counted = total;
            if (p.object().maps().stream().anyMatch(m -> m.name().equals("xdpml_parse_counters"))) {
                Thread.sleep(20); // what is still in a veth ring or a CPU's queue gets processed
                counted = ParserProgram.readCounters(p.object().map("xdpml_parse_counters")).get(ParseCounter.PACKETS);
            }
            long kthread = cs == null ? -1 : kthreadNanos(mapId) - kthread0;
            return new Result(pipeline, spread, counted, took, total, kthread);
        }
    }
}
