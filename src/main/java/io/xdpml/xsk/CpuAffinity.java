package io.xdpml.xsk;

import io.xdpml.kernel.KernelException;
import io.xdpml.kernel.Native;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Callable;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** Pins the calling platform thread to one CPU ({@code sched_setaffinity} on the thread). */
public final class CpuAffinity {
    /** cpu_set_t of glibc: 1024 bits. */
    static final int CPU_SET_BYTES = 128;

    private CpuAffinity() {}

    /** Pins the calling thread to {@code cpu}; not for virtual threads (it would pin the carrier). */
    public static void pinCurrentThread(int cpu) {
        if (cpu < 0 || cpu >= CPU_SET_BYTES * 8) throw new IllegalArgumentException("cpu out of range: " + cpu);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mask = a.allocate(CPU_SET_BYTES, 8);
            mask.set(JAVA_LONG, (cpu / 64) * 8L, 1L << (cpu % 64));
            set(mask, "cpu=" + cpu);
        }
    }

    /** Runs {@code task} on the calling thread pinned to {@code cpu}, then restores its previous affinity. */
    public static <T> T callPinned(int cpu, Callable<T> task) throws Exception {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment old = a.allocate(CPU_SET_BYTES, 8);
            if (Native.schedGetaffinity(old) != 0) throw new KernelException("sched_getaffinity", Native.errno());
            pinCurrentThread(cpu);
            try {
                return task.call();
            } finally {
                set(old, "restore");
            }
        }
    }

    private static void set(MemorySegment mask, String what) {
        if (Thread.currentThread().isVirtual()) throw new IllegalStateException("cannot pin a virtual thread");
        if (Native.schedSetaffinity(mask) != 0) {
            throw new KernelException("sched_setaffinity(" + what + ")", Native.errno());
        }
    }

    /** The CPU the calling thread runs on now. */
    public static int currentCpu() { return Native.schedGetcpu(); }
}
