package io.xdpml.approaches;

import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.TestRun;
import io.xdpml.xsk.CpuAffinity;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

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

    /** What {@link #send} did: frames sent over all generators, from when to when ({@link System#nanoTime()}). */
    record Sent(long frames, long startNanos, long nanos) {}

    /** First test-run call of each generator; later ones are sized to last about {@link #CALL_NANOS}. */
    static final int FIRST_CALL = 100_000;
    static final long CALL_NANOS = 100_000_000L;

    /**
     * Sends flat out from the first {@code cpus} generators at once for about {@code nanos}
     * (test-run calls sized from the rate so far to last ~100 ms each, the last one may end late).
     */
    Sent send(long nanos, int cpus) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        long[] sent = new long[cpus];
        long t0 = System.nanoTime();
        long deadline = t0 + nanos;
        for (int cpu = 0; cpu < cpus; cpu++) {
            int c = cpu;
            threads.add(Thread.ofPlatform().name("xdpml-gen-cpu" + cpu).unstarted(() -> {
                try {
                    ns.callOnThisThread(() -> CpuAffinity.callPinned(c, () -> {
                        int call = FIRST_CALL;
                        long begin = System.nanoTime();
                        long now = begin;
                        while (now < deadline) {
                            runs.get(c).run(frames.get(c), lengths.get(c), call);
                            sent[c] += call;
                            now = System.nanoTime();
                            double perNano = (double) sent[c] / Math.max(1, now - begin);
                            long left = Math.min(CALL_NANOS, deadline - now);
                            call = (int) Math.max(1_000, Math.min(10_000_000, perNano * left));
                        }
                        return null;
                    }));
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        long took = System.nanoTime() - t0;
        if (failure.get() != null) {
            throw new IllegalStateException("generator failed: " + failure.get(), failure.get());
        }
        long total = 0;
        for (long n : sent) {
            total += n;
        }
        return new Sent(total, t0, took);
    }

    @Override
    public void close() {
        runs.forEach(TestRun::close);
        object.close();
        arena.close();
    }
}
