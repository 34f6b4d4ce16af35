package io.xdpml.pipeline;

import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.TestRun;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A bare XDP_DROP timed by BPF_PROG_TEST_RUN beside another program's calls, so that a bench can
 * give its figures as ratios to drop measured in the same run (this machine's drop cost moves
 * from day to day). The caller calls {@link #time} right after each of its own timed calls, with
 * the same packet and repeat; {@link #medianNanos} is the median over all of them.
 */
public final class DropFloor implements AutoCloseable {
    private final BpfObject object;
    private final TestRun run;
    private long[] nanos = new long[16];
    private int count;

    public DropFloor() {
        object = BpfObject.openResource("/bpf/xdp_drop.bpf.o");
        try {
            object.load();
            run = object.program("xdpml_drop").testRun();
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
    }

    /** One timed call of {@code repeat} repetitions; its ns per packet is kept. */
    public void time(MemorySegment packet, int length, int repeat) {
        run.run(packet, length, repeat);
        if (count == nanos.length) nanos = Arrays.copyOf(nanos, count * 2);
        nanos[count++] = run.durationNanos();
    }

    /** The median ns per packet of the calls so far. */
    public double medianNanos() {
        if (count == 0) throw new IllegalStateException("no drop call timed");
        long[] v = Arrays.copyOf(nanos, count);
        Arrays.sort(v);
        return v[count / 2];
    }

    @Override
    public void close() {
        run.close();
        object.close();
    }
}
