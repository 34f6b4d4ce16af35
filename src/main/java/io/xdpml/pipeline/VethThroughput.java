package io.xdpml.pipeline;

import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.TestRun;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.packet.ParseCounter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * End-to-end packet rate through a veth pair: a namespace of its own, the pipeline under test
 * attached natively to one end, and real frames sent into the other by BPF_PROG_TEST_RUN in
 * live-frames mode (xdp_tx.bpf.c returns XDP_TX). veth delivers in softirq on the sending CPU, so
 * generator and receiver share one core (docs/machine-facts.md). Pipelines are measured in turn,
 * interleaved over the runs so that drift hits all alike.
 */
public final class VethThroughput {
    /**
     * One pipeline's result.
     *
     * @param received frames its XDP program counted (parse counters), or -1 where the
     *                 pipeline keeps none (drop: then the rate is of frames sent)
     */
    public record Result(String pipeline, long frames, long nanos, long received) {
        public double mpps() {
            return (received >= 0 ? received : frames) * 1e3 / nanos;
        }
    }

    private static final String GEN = "xdpgen0";
    private static final String RCV = "xdpgen1";

    private VethThroughput() {}

    /** Median-of-runs result per pipeline, in the order given. */
    public static List<Result> measure(List<String> pipelines, byte[] frame, int frames, int runs) {
        List<List<Result>> all = new ArrayList<>();
        pipelines.forEach(p -> all.add(new ArrayList<>()));
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-bench")) {
            ns.createVethPair(GEN, RCV);
            ns.run(() -> {
                int gen = Interfaces.indexOf(GEN);
                int rcv = Interfaces.indexOf(RCV);
                try (BpfObject tx = BpfObject.openResource("/bpf/xdp_tx.bpf.o"); Arena arena = Arena.ofConfined()) {
                    tx.load();
                    MemorySegment pkt = arena.allocate(frame.length);
                    pkt.copyFrom(MemorySegment.ofArray(frame));
                    try (TestRun run = tx.program("xdpml_tx").testRun().withIngress(gen, 0).withLiveFrames(64)) {
                        run.run(pkt, frame.length, 100_000); // warm up the page pool and caches
                        for (int r = 0; r < runs; r++) {
                            for (int i = 0; i < pipelines.size(); i++) {
                                all.get(i).add(once(pipelines.get(i), run, pkt, frame.length, frames, rcv));
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

    private static Result once(String pipeline, TestRun generator, MemorySegment pkt, int length, int frames, int rcv)
            throws InterruptedException {
        try (PipelineLoader.Loaded p = PipelineLoader.load(pipeline, ParserProgram.XDP_DROP);
             XdpAttachment att = XdpAttachment.attach(p.program(), rcv, XdpMode.NATIVE)) {
            long t0 = System.nanoTime();
            generator.run(pkt, length, frames);
            long nanos = System.nanoTime() - t0;
            long received = -1;
            // drop and the reference programs count nothing: their frames are reported as sent
            if (p.object().maps().stream().anyMatch(m -> m.name().equals("xdpml_parse_counters"))) {
                Thread.sleep(20); // what is still in the veth ring gets processed
                received = ParserProgram.readCounters(p.object().map("xdpml_parse_counters")).get(ParseCounter.PACKETS);
            }
            return new Result(pipeline, frames, nanos, received);
        }
    }
}
