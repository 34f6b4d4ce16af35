package io.xdpml.testing;

import io.xdpml.kernel.TestRun;
import io.xdpml.xsk.CpuAffinity;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * One loaded program's shared maps under two CPUs at once, for real: BPF_PROG_TEST_RUN runs the
 * program on the calling thread's CPU, so two platform threads pinned to CPU 0 and CPU 1
 * ({@link CpuAffinity}), each with a test run of its own of one program, race in the kernel as two
 * receive queues would. In lockstep: both start frame i only once both finished frame i - 1 (a spin
 * on each other's progress), so frame i of both lists enter the program at nearly the same moment
 * (likely, not certain: a race that needs an overlap of nanoseconds is caught often, not always).
 */
public final class TwoCpuLockstep {
    private TwoCpuLockstep() {}

    /** Called on a racing thread just before it runs its frame {@code frame}. */
    @FunctionalInterface
    public interface BeforeFrame {
        void before(int cpu, int frame);
    }

    /** Skips where there is no second CPU (and where there is no BPF: {@link TestData#assumeBpf}). */
    public static void assumeTwoCpus() {
        TestData.assumeBpf();
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs CPUs 0 and 1");
    }

    /** As {@link #run(Supplier, List, List, int, BeforeFrame)}, with nothing before each frame. */
    public static void run(Supplier<TestRun> testRun, List<byte[]> cpu0, List<byte[]> cpu1, int repeat) throws InterruptedException {
        run(testRun, cpu0, cpu1, repeat, null);
    }

    /**
     * Runs {@code cpu0}'s frames on CPU 0 and {@code cpu1}'s on CPU 1, {@code repeat} times each
     * frame, each thread with a test run {@code testRun} opens on it; {@code before} (may be null)
     * just before each frame, on its thread.
     */
    public static void run(Supplier<TestRun> testRun, List<byte[]> cpu0, List<byte[]> cpu1, int repeat, BeforeFrame before)
            throws InterruptedException {
        AtomicIntegerArray progress = new AtomicIntegerArray(2);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int me = t;
            List<byte[]> frames = me == 0 ? cpu0 : cpu1;
            threads.add(Thread.ofPlatform().name("race-cpu" + me).start(() -> {
                try (Arena arena = Arena.ofConfined(); TestRun run = testRun.get()) {
                    CpuAffinity.pinCurrentThread(me);
                    List<MemorySegment> native_ = new ArrayList<>(); // copied before the race: no copy inside it
                    for (byte[] f : frames) {
                        MemorySegment s = arena.allocate(f.length, 64);
                        MemorySegment.copy(f, 0, s, ValueLayout.JAVA_BYTE, 0, f.length);
                        native_.add(s);
                    }
                    for (int i = 0; i < native_.size(); i++) {
                        while (progress.get(1 - me) < i && failure.get() == null) {
                            Thread.onSpinWait();
                        }
                        if (before != null) {
                            before.before(me, i);
                        }
                        run.run(native_.get(i), frames.get(i).length, repeat);
                        progress.set(me, i + 1);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    progress.set(me, Integer.MAX_VALUE);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("a racing thread failed", failure.get());
        }
    }
}
