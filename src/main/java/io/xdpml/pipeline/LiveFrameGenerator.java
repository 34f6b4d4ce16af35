package io.xdpml.pipeline;

import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.TestRun;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.PcapFormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Sends real frames out of an interface with BPF_PROG_TEST_RUN in live-frames mode (xdp_tx.bpf.c
 * returns XDP_TX for every repetition): a generator of tens of Mpps (docs/machine-facts.md). Into a
 * veth pair, the frames reach the peer only when the peer has an XDP program attached. Runs in the
 * calling thread's network namespace. Not thread-safe.
 */
public final class LiveFrameGenerator implements AutoCloseable {
    /** Largest repeat per test-run call (the kernel takes a u32; keep calls short enough to stop). */
    private static final int MAX_CALL = 10_000_000;
    /** Pacing slot: every call with repeat >= 2 has a fixed cost of milliseconds (docs/machine-facts.md). */
    private static final long SLOT_NANOS = 100_000_000L;

    private final BpfObject object;
    private final TestRun run;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer;
    private long sent;

    private LiveFrameGenerator(BpfObject object, TestRun run) {
        this.object = object;
        this.run = run;
        this.buffer = arena.allocate(TestRun.maxTestRunFrame(), 64);
    }

    /** A generator sending out of interface {@code ifindex} (queue 0). */
    public static LiveFrameGenerator open(int ifindex) {
        BpfObject tx = BpfObject.openResource("/bpf/xdp_tx.bpf.o");
        try {
            tx.load();
            return new LiveFrameGenerator(tx, tx.program("xdpml_tx").testRun().withIngress(ifindex, 0).withLiveFrames(64));
        } catch (RuntimeException e) {
            tx.close();
            throw e;
        }
    }

    /** Frames sent so far. */
    public long sent() {
        return sent;
    }

    /**
     * Sends {@code count} copies of {@code frame}: flat out when {@code ratePps <= 0}, else paced in
     * 100 ms slots (a burst per slot; the average rate is what is asked, not the spacing).
     */
    public void send(byte[] frame, long count, long ratePps) throws InterruptedException {
        if (frame.length < 14 || frame.length > TestRun.maxTestRunFrame()) {
            throw new IllegalArgumentException("frame length must be 14.." + TestRun.maxTestRunFrame() + ", not " + frame.length);
        }
        MemorySegment.copy(MemorySegment.ofArray(frame), 0, buffer, 0, frame.length);
        if (ratePps <= 0) {
            for (long left = count; left > 0; ) {
                int n = (int) Math.min(left, MAX_CALL);
                run.run(buffer, frame.length, n);
                sent += n;
                left -= n;
            }
            return;
        }
        long perSlot = Math.max(1, ratePps * SLOT_NANOS / 1_000_000_000L);
        long start = System.nanoTime();
        long slots = 0;
        for (long left = count; left > 0; ) {
            int n = (int) Math.min(left, Math.min(perSlot, MAX_CALL));
            run.run(buffer, frame.length, n);
            sent += n;
            left -= n;
            slots++;
            long wait = start + slots * SLOT_NANOS - System.nanoTime();
            if (wait > 0 && left > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
    }

    /**
     * Replays every frame of a capture once per loop, one test run per frame (so ~1 µs each: a
     * replay is for realism, not for rate), frames longer than a test run takes cut to its limit.
     * Returns the frames sent.
     *
     * @param damage told once (in the first loop) of damage found after the capture's first packet;
     *     the packets before it are sent in every loop; may be null
     * @throws PcapFormatException if the file is not a capture or is damaged before its first packet
     *     (see {@link #checkCapture})
     */
    public long replay(Path capture, int loops, Consumer<PcapFormatException> damage) throws IOException {
        long before = sent;
        EthernetFramer framer = new EthernetFramer();
        for (int l = 0; l < loops; l++) {
            try (CaptureReader r = CaptureReader.open(capture)) {
                boolean more = r.next(); // damage before the first packet is not tolerated
                while (more) {
                    PcapFormatException found = null;
                    try {
                        int length = framer.frame(r);
                        if (length >= 14) {
                            length = Math.min(length, TestRun.maxTestRunFrame());
                            if (!run.queueLive(framer.frameSegment(), length)) { // the AF_PACKET fallback: 64 per call
                                MemorySegment.copy(framer.frameSegment(), 0, buffer, 0, length);
                                run.run(buffer, length, 1);
                            }
                            sent++;
                        }
                        more = r.next();
                    } catch (PcapFormatException e) {
                        found = e;
                    } catch (InternalError e) {
                        found = r.shrinkDamage(e); // the file shrank under the mapping
                    }
                    if (found != null) {
                        if (damage != null && l == 0) {
                            damage.accept(found);
                        }
                        more = false;
                    }
                }
            }
        }
        run.sendQueued();
        return sent - before;
    }

    /**
     * Fails as {@link #replay} would on a file that is not a capture or is damaged before its first
     * packet; needs no BPF.
     */
    public static void checkCapture(Path capture) throws IOException {
        try (CaptureReader r = CaptureReader.open(capture)) {
            r.next();
        }
    }

    @Override
    public void close() {
        run.close();
        object.close();
        arena.close();
    }
}
