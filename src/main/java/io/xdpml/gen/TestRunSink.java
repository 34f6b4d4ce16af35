package io.xdpml.gen;

import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.TestRun;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Frames out of an interface through BPF_PROG_TEST_RUN in live-frames mode on a program that
 * returns XDP_TX (bpf/xdp_tx.bpf.c), one test run per frame: every frame of a scenario differs, and
 * a test run repeats only one frame. Into a veth pair the frames reach the peer only when the peer
 * has an XDP program attached. Opened in the interface's network namespace. Where the kernel
 * refuses live frames (EPERM), the frames go through an AF_PACKET socket on the interface instead,
 * a burst (up to 64) per system call at {@link #flush()} (docs/gen.md, "Where the kernel refuses
 * live frames").
 */
public final class TestRunSink implements FrameSink {
    private final BpfObject object;
    private final TestRun run;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer;

    private TestRunSink(BpfObject object, TestRun run) {
        this.object = object;
        this.run = run;
        this.buffer = arena.allocate(FrameWriter.MAX_FRAME, 64);
    }

    /** A sink sending out of interface {@code ifindex} (queue 0) of the calling thread's namespace. */
    public static TestRunSink open(int ifindex) {
        BpfObject tx = BpfObject.openResource("/bpf/xdp_tx.bpf.o");
        try {
            tx.load();
            return new TestRunSink(tx, tx.program("xdpml_tx").testRun().withIngress(ifindex, 0).withLiveFrames(0));
        } catch (RuntimeException e) {
            tx.close();
            throw e;
        }
    }

    @Override
    public void send(MemorySegment frame, int length, long timeNanos) {
        if (run.queueLive(frame, length)) {
            return; // the AF_PACKET fallback: out with the burst at flush
        }
        MemorySegment.copy(frame, 0, buffer, 0, length);
        run.run(buffer, length, 1);
    }

    @Override
    public void flush() {
        // every test run has sent its frame when it returns; the fallback sends the burst now
        run.sendQueued();
    }

    @Override
    public boolean live() {
        return true;
    }

    @Override
    public String way() {
        return "testrun";
    }

    @Override
    public void close() {
        run.close();
        object.close();
        arena.close();
    }
}
