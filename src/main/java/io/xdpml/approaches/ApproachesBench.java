package io.xdpml.approaches;

import io.xdpml.pipeline.FlatOutGenerators;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.PacketRing;
import io.xdpml.kernel.TestRun;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.model.classify.ModelCounter;
import io.xdpml.model.classify.ModelStats;
import io.xdpml.model.quantized.IntegerModel;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.PipelineLoader;
import io.xdpml.xsk.CpuAffinity;
import io.xdpml.xsk.XskBindMode;
import io.xdpml.xsk.XskConfig;
import io.xdpml.xsk.XskProgram;
import io.xdpml.xsk.XskReceiver;
import io.xdpml.xsk.XskSocket;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The paper's experiment: the same benchmark model ({@link PipelineLoader#benchModel}) classifying
 * the same frames (a) in XDP, (b) in Java behind AF_XDP, (c) in Java behind an AF_PACKET ring, on
 * 1 and 2 cores, beside XDP_DROP in the same run. A veth pair with as many queues as the most
 * cores asked, in a namespace of its own; the load is live frames flat out from one generator per
 * core ({@link LiveGenerators}), each sending a flow of its own ({@link #flowFrame}). With n cores, generator i runs on CPU i, the kernel's receive
 * work for queue i (XDP, the copy to the socket) runs there too (veth's softirq on the sender's
 * CPU), and Java's receive thread for queue i is pinned to CPU {@code n == 1 ? 1 : i}: on one core
 * the Java thread has CPU 1 to itself, on two cores generators, kernel and Java share both (the
 * machine has two). Receive threads sleep in poll() when their ring is empty, as libpcap does.
 * Runs interleave the configurations so that drift hits all alike; medians are reported.
 */
public final class ApproachesBench {
    /** Per core count, XDP_DROP's rate (Mpps, median); the results in the order measured. */
    public record Report(Map<Integer, Double> dropMpps, List<ApproachResult> results, int frameLength) {}

    static final String GEN = "xdpapp0";
    static final String RCV = "xdpapp1";
    /** TPACKET_V3 ring per socket: 16 blocks of 1 MiB (libpcap's default buffer is 2 MiB), 256 bytes per frame kept. */
    static final int RING_BLOCK = 1 << 20;
    static final int RING_BLOCKS = 16;
    static final int SNAPLEN = 256;
    static final int RETIRE_MILLIS = 10;
    static final int POLL_MILLIS = 50;
    private static final int FANOUT_GROUP = 0x7d01;
    /** Frames classified per model in-process before anything is measured. */
    static final int WARM_UP_FRAMES = 300_000;

    private ApproachesBench() {}

    /**
     * Measures every (cores, model, approach) {@code runs} times, interleaved, and XDP_DROP per
     * core count, each run offering load for {@code runNanos}; medians by processed rate. Before
     * that, the Java path is compiled ({@link JavaClassifier#warmUp}) and every configuration runs
     * once for half as long, not counted.
     */
    public static Report measure(List<String> models, List<Approach> approaches, List<Integer> cores, int frameSize,
                                 long runNanos, int runs) {
        int queues = cores.stream().mapToInt(Integer::intValue).max().orElse(1);
        if (queues > Runtime.getRuntime().availableProcessors()) {
            throw new IllegalArgumentException(queues + " cores asked, " + Runtime.getRuntime().availableProcessors() + " here");
        }
        Map<String, List<ApproachResult>> all = new LinkedHashMap<>();
        Map<Integer, List<Double>> drops = new LinkedHashMap<>();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-approaches")) {
            ns.createVethPair(GEN, RCV, queues);
            ns.run(() -> {
                int rcv = Interfaces.indexOf(RCV);
                List<byte[]> flows = new ArrayList<>();
                for (int cpu = 0; cpu < queues; cpu++) {
                    flows.add(flowFrame(frameSize, cpu));
                }
                try (LiveGenerators gen = new LiveGenerators(ns, Interfaces.indexOf(GEN), flows)) {
                    drop(gen, rcv, runNanos / 2, 1); // warm up the page pool
                    for (String m : models) {
                        JavaClassifier.warmUp(PipelineLoader.benchModel(m), flows.get(0), WARM_UP_FRAMES);
                    }
                    for (int n : cores) { // and every path once, not measured (JIT of the receive loops)
                        for (String m : models) {
                            for (Approach a : approaches) {
                                once(a, m, n, gen, rcv, runNanos / 2);
                            }
                        }
                    }
                    for (int r = 0; r < runs; r++) {
                        for (int n : cores) {
                            drops.computeIfAbsent(n, k -> new ArrayList<>()).add(drop(gen, rcv, runNanos, n));
                            for (String m : models) {
                                for (Approach a : approaches) {
                                    ApproachResult res = once(a, m, n, gen, rcv, runNanos);
                                    all.computeIfAbsent(a + "/" + m + "/" + n, k -> new ArrayList<>()).add(res);
                                }
                            }
                        }
                    }
                }
                return null;
            });
        }
        Map<Integer, Double> dropMedians = new LinkedHashMap<>();
        drops.forEach((n, v) -> dropMedians.put(n, v.stream().sorted().toList().get(v.size() / 2)));
        List<ApproachResult> medians = new ArrayList<>();
        for (List<ApproachResult> rs : all.values()) {
            List<ApproachResult> sorted = rs.stream().sorted(Comparator.comparingDouble(ApproachResult::processedMpps)).toList();
            medians.add(sorted.get(sorted.size() / 2));
        }
        return new Report(dropMedians, medians, frameSize);
    }

    /**
     * The frame generator {@code cpu} sends: Ethernet/IPv4/UDP of {@code size} bytes (at least its
     * headers), flow 198.51.100.1:(40000 + cpu) -> 198.51.100.2:5000. One flow per CPU, as a NIC's
     * RSS keeps a flow on one queue: each flow's state is updated by one CPU, in the kernel and in Java.
     */
    public static byte[] flowFrame(int size, int cpu) {
        FrameBuilder headers = new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").udp(40000 + cpu, 5000);
        int payload = Math.max(0, size - headers.build().length);
        return new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").udp(40000 + cpu, 5000).payload(payload).build();
    }

    private static double drop(LiveGenerators gen, int rcv, long nanos, int cores) throws InterruptedException {
        try (PipelineLoader.Loaded p = PipelineLoader.load("drop", XskProgram.XDP_DROP);
             XdpAttachment att = XdpAttachment.attach(p.program(), rcv, XdpMode.NATIVE)) {
            FlatOutGenerators.Sent s = gen.send(nanos, cores);
            return s.frames() * 1e3 / s.nanos();
        }
    }

    /** One run of one approach; on the namespace's thread. */
    static ApproachResult once(Approach a, String model, int cores, LiveGenerators gen, int rcv, long nanos) throws Exception {
        return switch (a) {
            case XDP -> kernel(model, cores, gen, rcv, nanos);
            case AF_XDP -> afXdp(model, cores, gen, rcv, nanos);
            case AF_PACKET -> afPacket(model, cores, gen, rcv, nanos);
        };
    }

    private static ApproachResult kernel(String model, int cores, LiveGenerators gen, int rcv, long nanos) throws Exception {
        try (PipelineLoader.Loaded p = PipelineLoader.load(model, XskProgram.XDP_DROP);
             XdpAttachment att = XdpAttachment.attach(p.program(), rcv, XdpMode.NATIVE)) {
            FlatOutGenerators.Sent s = gen.send(nanos, cores);
            Thread.sleep(20); // what is still in veth's ring gets processed
            ModelStats st = p.classifier().stats();
            return new ApproachResult(Approach.XDP, model, cores, s.frames(), s.nanos(), st.counter(ModelCounter.CLASSIFIED), s.nanos(),
                    0, classes(st));
        }
    }

    private static ApproachResult afXdp(String model, int cores, LiveGenerators gen, int rcv, long nanos) throws Exception {
        IntegerModel m = PipelineLoader.benchModel(model);
        List<JavaClassifier> workers = new ArrayList<>();
        for (int q = 0; q < cores; q++) {
            workers.add(new JavaClassifier(m, TestRun.maxTestRunFrame()));
        }
        try (XskProgram prog = XskProgram.load(1, XskProgram.XDP_DROP, false)) {
            prog.attach(rcv, XdpMode.NATIVE);
            int[] queues = new int[cores];
            for (int q = 0; q < cores; q++) {
                queues[q] = q;
            }
            XskConfig cfg = XskConfig.receiveOnly().withBindMode(XskBindMode.COPY);
            try (XskReceiver r = XskReceiver.open(prog, rcv, queues, cfg)) {
                r.start(q -> workers.get(q), receiveCpus(cores), false);
                Thread.sleep(20);
                FlatOutGenerators.Sent s = gen.send(nanos, cores);
                Thread.sleep(50); // what is still in the rings gets classified
                r.stop();
                long dropped = 0;
                for (XskSocket sock : r.sockets()) {
                    var st = sock.statistics();
                    dropped += st.rxDropped() + st.rxRingFull();
                }
                return javaResult(Approach.AF_XDP, model, cores, s, dropped, workers);
            }
        }
    }

    private static ApproachResult afPacket(String model, int cores, LiveGenerators gen, int rcv, long nanos) throws Exception {
        IntegerModel m = PipelineLoader.benchModel(model);
        List<JavaClassifier> workers = new ArrayList<>();
        List<PacketRing> rings = new ArrayList<>();
        // live frames reach the peer only when it has an XDP program: the composed program's bare frame, passing
        try (PipelineLoader.Loaded pass = PipelineLoader.load("frame", XskProgram.XDP_PASS);
             XdpAttachment att = XdpAttachment.attach(pass.program(), rcv, XdpMode.NATIVE)) {
            for (int q = 0; q < cores; q++) {
                PacketRing ring = PacketRing.open(rcv, SNAPLEN, RING_BLOCK, RING_BLOCKS, RETIRE_MILLIS);
                rings.add(ring);
                if (cores > 1) {
                    ring.joinFanout(FANOUT_GROUP, PacketRing.FANOUT_CPU); // the i-th to join gets CPU i's frames
                }
                ring.statistics(); // from zero
                workers.add(new JavaClassifier(m, SNAPLEN));
            }
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            int[] cpus = receiveCpus(cores);
            List<Thread> threads = new ArrayList<>();
            for (int q = 0; q < cores; q++) {
                PacketRing ring = rings.get(q);
                JavaClassifier w = workers.get(q);
                int cpu = cpus[q];
                threads.add(Thread.ofPlatform().daemon().name("af-packet-rx-" + q).start(() -> {
                    try {
                        CpuAffinity.pinCurrentThread(cpu);
                        while (running.get()) {
                            ring.poll(w, POLL_MILLIS);
                        }
                        while (ring.poll(w, 0) > 0) {
                            // what arrived before the stop
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            Thread.sleep(20);
            FlatOutGenerators.Sent s = gen.send(nanos, cores);
            Thread.sleep(50 + RETIRE_MILLIS); // a block not full is handed over after RETIRE_MILLIS
            running.set(false);
            for (Thread t : threads) {
                t.join();
            }
            if (failure.get() != null) {
                throw new IllegalStateException("AF_PACKET receive thread failed: " + failure.get(), failure.get());
            }
            long dropped = 0;
            for (PacketRing ring : rings) {
                dropped += ring.statistics().drops();
            }
            return javaResult(Approach.AF_PACKET, model, cores, s, dropped, workers);
        } finally {
            rings.forEach(PacketRing::close);
        }
    }

    /** Receive thread i's CPU: CPU 1 alone for one core (the generator has CPU 0), else CPU i. */
    static int[] receiveCpus(int cores) {
        int[] cpus = new int[cores];
        for (int i = 0; i < cores; i++) {
            cpus[i] = cores == 1 ? 1 % Runtime.getRuntime().availableProcessors() : i;
        }
        return cpus;
    }

    private static ApproachResult javaResult(Approach a, String model, int cores, FlatOutGenerators.Sent s, long dropped,
                                             List<JavaClassifier> workers) {
        long processed = 0;
        long last = s.startNanos();
        long[] classes = new long[2];
        for (JavaClassifier w : workers) {
            processed += w.classified();
            last = Math.max(last, w.lastNanos());
            long[] c = classes(w.stats());
            classes[0] += c[0];
            classes[1] += c[1];
        }
        return new ApproachResult(a, model, cores, s.frames(), s.nanos(), processed, last - s.startNanos(), dropped, classes);
    }

    private static long[] classes(ModelStats st) {
        return new long[] {st.classPackets(0), st.classPackets(1)};
    }
}
