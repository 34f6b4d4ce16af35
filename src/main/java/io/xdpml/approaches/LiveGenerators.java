package io.xdpml.approaches;

import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.TestRun;
import io.xdpml.pipeline.FlatOutGenerators;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The offered load: one live-frames generator (xdp_tx.bpf.c, BPF_PROG_TEST_RUN returning XDP_TX)
 * per CPU, each on a platform thread pinned to its CPU and moved into the namespace. veth puts a
 * frame into the peer's RX queue {@code smp_processor_id() % queues}, and runs the peer's XDP
 * program in softirq on that same CPU: generator CPU i feeds queue i. Open it on the namespace's
 * thread.
 */
final class LiveGenerators implements AutoCloseable {
    private final NetworkNamespace ns;
    private final BpfObject object;
    private final Arena arena = Arena.ofShared();
    private final List<MemorySegment> frames = new ArrayList<>();
    private final List<Integer> lengths = new ArrayList<>();
    private final List<TestRun> runs = new ArrayList<>();

    /** Generators sending out of {@code ifindex}, the one of CPU i sending {@code frames.get(i)} (CPUs 0 .. size-1). */
    LiveGenerators(NetworkNamespace ns, int ifindex, List<byte[]> frames) {
        this.ns = ns;
        int cpus = frames.size();
        for (byte[] f : frames) {
            MemorySegment m = arena.allocate(f.length, 64);
            m.copyFrom(MemorySegment.ofArray(f));
            this.frames.add(m);
            lengths.add(f.length);
        }
        object = BpfObject.openResource("/bpf/xdp_tx.bpf.o");
        try {
            object.load();
            for (int cpu = 0; cpu < cpus; cpu++) {
                runs.add(object.program("xdpml_tx").testRun().withIngress(ifindex, cpu).withLiveFrames(64));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Sends flat out from the first {@code cpus} generators at once for about {@code nanos}
     * ({@link FlatOutGenerators}: each pinned to its CPU, calls sized to last ~100 ms).
     */
    FlatOutGenerators.Sent send(long nanos, int cpus) throws InterruptedException {
        List<FlatOutGenerators.Generator> gens = new ArrayList<>();
        for (int cpu = 0; cpu < cpus; cpu++) {
            int c = cpu;
            gens.add(repeat -> runs.get(c).run(frames.get(c), lengths.get(c), repeat));
        }
        return FlatOutGenerators.send(ns, gens, nanos, "xdpml-gen-cpu");
    }

    @Override
    public void close() {
        runs.forEach(TestRun::close);
        object.close();
        arena.close();
    }
}
