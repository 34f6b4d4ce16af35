package io.xdpml.pipeline;

import io.xdpml.xsk.CpuAffinity;
import io.xdpml.kernel.NetworkNamespace;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Live-frame generators sending flat out, one thread pinned to each CPU 0..n-1 inside a namespace,
 * until a deadline: each calls its {@link Generator} (a BPF_PROG_TEST_RUN of live frames) with a
 * repeat count sized from its rate so far to last about {@link #CALL_NANOS} (a test-run call of
 * repeat &gt;= 2 has a fixed cost of milliseconds), so the last call may end a little late. Shared
 * by {@code bench veth --spread} and {@code bench approaches}.
 */
public final class FlatOutGenerators {
    /** First test-run call of each generator; later ones are sized to last about {@link #CALL_NANOS}. */
    public static final int FIRST_CALL = 100_000;
    public static final long CALL_NANOS = 100_000_000L;

    /** One generator: sends {@code repeat} frames. */
    @FunctionalInterface
    public interface Generator {
        void send(int repeat) throws Exception;
    }

    /** What {@link #send} did: frames sent over all generators, from when to when ({@link System#nanoTime()}). */
    public record Sent(long frames, long startNanos, long nanos) {}

    private FlatOutGenerators() {}

    /** Runs generator i pinned to CPU i in {@code ns} for about {@code nanos}; the first failure is thrown. */
    public static Sent send(NetworkNamespace ns, List<Generator> generators, long nanos, String threadName) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        long[] sent = new long[generators.size()];
        long t0 = System.nanoTime();
        long deadline = t0 + nanos;
        for (int cpu = 0; cpu < generators.size(); cpu++) {
            int c = cpu;
            Generator g = generators.get(c);
            threads.add(Thread.ofPlatform().name(threadName + cpu).unstarted(() -> {
                try {
                    ns.callOnThisThread(() -> CpuAffinity.callPinned(c, () -> {
                        int call = FIRST_CALL;
                        long begin = System.nanoTime();
                        long now = begin;
                        while (now < deadline) {
                            g.send(call);
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
}
