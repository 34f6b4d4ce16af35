package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Runs an XDP program on a packet with {@code BPF_PROG_TEST_RUN} ({@code bpf_prog_test_run_opts}).
 * Reusable: every buffer is allocated once, so {@link #run} allocates nothing. Not thread-safe:
 * use one runner per thread. Packets must be native segments.
 *
 * <p>Frame sizes (measured on kernel 6.18, x86-64, 4 KiB pages): the minimum is 14 bytes
 * (ETH_HLEN; shorter gives EINVAL). The linear part holds at most {@link #maxTestRunFrame()}
 * bytes (page size - 256 headroom - aligned {@code skb_shared_info} = 3520). A longer frame is
 * NOT rejected, even for a program without the frags flag ({@code SEC("xdp")}): the kernel puts
 * the first 3520 bytes in the linear area and the rest in fragments, so the program sees
 * {@code data_end - data == 3520} and the tail only through {@code bpf_xdp_load_bytes}; data out
 * returns the whole frame. Callers that need the program to see the whole frame must stay at or
 * below {@link #maxTestRunFrame()}. With {@link #withLiveFrames(int)} the frames are real:
 * XDP_TX/XDP_REDIRECT send them.
 *
 * <p>Where the kernel refuses live-frame test runs (EPERM for root: seen on 6.18.44-fc-v1300), a
 * live-frames run sends through an AF_PACKET socket on the ingress interface instead
 * ({@link PacketSocketTx}), said once per process on standard error; see {@link #withLiveFrames}.
 */
public final class TestRun implements AutoCloseable {
    /**
     * struct bpf_test_run_opts (libbpf 1.1.2, sizeof = 80): sz@0 data_in@8 data_out@16
     * data_size_in@24 data_size_out@28 ctx_in@32 ctx_out@40 ctx_size_in@48 ctx_size_out@52
     * retval@56 repeat@60 duration@64 flags@68 cpu@72 batch_size@76.
     */
    static final int OPTS_SIZE = 80;
    static final int OPTS_DATA_IN = 8;
    static final int OPTS_DATA_OUT = 16;
    static final int OPTS_DATA_SIZE_IN = 24;
    static final int OPTS_DATA_SIZE_OUT = 28;
    static final int OPTS_CTX_IN = 32;
    static final int OPTS_CTX_OUT = 40;
    static final int OPTS_CTX_SIZE_IN = 48;
    static final int OPTS_CTX_SIZE_OUT = 52;
    static final int OPTS_RETVAL = 56;
    static final int OPTS_REPEAT = 60;
    static final int OPTS_DURATION = 64;
    static final int OPTS_FLAGS = 68;
    static final int OPTS_CPU = 72;
    static final int OPTS_BATCH_SIZE = 76;

    /**
     * struct xdp_md (24 bytes): data@0 data_end@4 data_meta@8 ingress_ifindex@12
     * rx_queue_index@16 egress_ifindex@20. As test-run input data and data_meta must be 0 and
     * data_end must equal the packet length.
     */
    static final int XDP_MD_SIZE = 24;
    static final int XDP_MD_DATA_END = 4;
    static final int XDP_MD_INGRESS_IFINDEX = 12;
    static final int XDP_MD_RX_QUEUE_INDEX = 16;

    /** BPF_F_TEST_XDP_LIVE_FRAMES. */
    public static final int BPF_F_TEST_XDP_LIVE_FRAMES = 1 << 1;
    /** XDP_PACKET_HEADROOM. */
    static final int XDP_PACKET_HEADROOM = 256;
    /** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64 (320). */
    static final int SKB_SHARED_INFO_ALIGNED = 320;
    static final int DEFAULT_DATA_OUT = 16384;

    private final Arena arena = Arena.ofShared();
    private final BpfProgram program;
    private final int progFd;
    private final MemorySegment opts;
    private final MemorySegment dataOut;
    private final MemorySegment ctx;
    private boolean withCtx;
    private int flags;
    private int batchSize;
    private int ingressIfindex;
    /** Live frames through an AF_PACKET socket even where the kernel takes live-frame test runs. */
    private boolean forceSocket;
    /** The fallback's socket, opened on the first live run that needs it (in that thread's namespace). */
    private PacketSocketTx socket;
    /** Lengths of the fallback's batch slots, of which {@link #queued} are filled. */
    private int[] slotLengths;
    private int queued;

    /** Whether live-frame test runs work here: 0 not known yet, 1 yes, 2 refused (EPERM). Once per process. */
    private static volatile int liveFrames;
    static final int EPERM = 1;
    static final int XDP_TX = 3;
    /** The program the fallback need not run: it returns XDP_TX and leaves the frame alone (bpf/xdp_tx.bpf.c). */
    static final String PLAIN_TX_PROGRAM = "xdpml_tx";

    TestRun(BpfProgram program, int dataOutCapacity) {
        this.program = program;
        this.progFd = program.fd();
        this.opts = arena.allocate(OPTS_SIZE, 8);
        this.dataOut = arena.allocate(dataOutCapacity, 8);
        this.ctx = arena.allocate(XDP_MD_SIZE, 8);
    }

    /**
     * The largest frame a test run puts whole into the linear area, i.e. the largest a non-frags
     * program sees entirely (3520 with 4 KiB pages); longer frames are truncated to this for the
     * program (the rest goes to fragments).
     */
    public static int maxTestRunFrame() {
        return Native.pageSize() - XDP_PACKET_HEADROOM - SKB_SHARED_INFO_ALIGNED;
    }

    /** Passes a {@code struct xdp_md} with this ingress interface and RX queue (in the caller's netns). */
    public TestRun withIngress(int ifindex, int rxQueue) {
        ctx.fill((byte) 0);
        ctx.set(JAVA_INT, XDP_MD_INGRESS_IFINDEX, ifindex);
        ctx.set(JAVA_INT, XDP_MD_RX_QUEUE_INDEX, rxQueue);
        withCtx = true;
        ingressIfindex = ifindex;
        return this;
    }

    /**
     * Live-frames mode ({@code BPF_F_TEST_XDP_LIVE_FRAMES}): the frames are handed to the
     * program as real ones, XDP_TX and XDP_REDIRECT transmit them; no data out. {@code batchSize}
     * 0 means the kernel default (64). Needs {@link #withIngress} to pick the device.
     *
     * <p>Where the kernel refuses live-frame test runs with EPERM (found by the first live run of
     * the process, then remembered; said once on standard error), every live run sends through an
     * AF_PACKET socket bound to the ingress interface instead ({@link PacketSocketTx}, opened in
     * the namespace of the thread of the first such run): {@code repeat} copies of the frame when
     * the program is {@value #PLAIN_TX_PROGRAM} (it only returns XDP_TX), otherwise the program is
     * run once per repetition without live frames and the frame it leaves is sent when it returns
     * XDP_TX (other verdicts send nothing: XDP_REDIRECT and XDP_PASS are not followed). Into a
     * veth pair these frames reach the peer even when the peer has no XDP program, and a full
     * ring holds them back instead of dropping them. The rate differs (docs/gen.md).
     */
    public TestRun withLiveFrames(int batchSize) {
        this.flags |= BPF_F_TEST_XDP_LIVE_FRAMES;
        this.batchSize = batchSize;
        return this;
    }

    /**
     * Live frames through the AF_PACKET fallback even where the kernel takes live-frame test
     * runs (for tests of the fallback, and to compare it). Implies {@link #withLiveFrames}.
     */
    public TestRun withLiveFramesBySocket(int batchSize) {
        forceSocket = true;
        return withLiveFrames(batchSize);
    }

    /**
     * Whether this process found the kernel refusing live-frame test runs (false also while no
     * live run was tried yet).
     */
    public static boolean liveFramesRefused() {
        return liveFrames == 2;
    }

    /** Whether this run's live frames go through the AF_PACKET fallback (as far as known yet). */
    public boolean sendsBySocket() {
        return (flags & BPF_F_TEST_XDP_LIVE_FRAMES) != 0 && (forceSocket || liveFrames == 2);
    }

    /** Native copy of heap packets (see {@link #run(MemorySegment, int, int)}), grown on demand. */
    private MemorySegment dataIn;

    /** Runs once; returns the program's return code (XDP_PASS, ...). */
    public int run(MemorySegment packet, int length) { return run(packet, length, 1); }

    /**
     * Runs {@code repeat} times on the same packet; returns the return code of the last run. A
     * heap segment is copied into a native buffer first (the kernel reads native memory).
     */
    public int run(MemorySegment packet, int length, int repeat) {
        if (!program.object().loaded()) {
            throw new IllegalStateException("test run of " + program.name() + ": its object is closed");
        }
        if (!packet.isNative()) {
            if (dataIn == null || dataIn.byteSize() < length) {
                dataIn = arena.allocate(Math.max(length, 4096), 64);
            }
            MemorySegment.copy(packet, 0, dataIn, 0, length);
            packet = dataIn;
        }
        boolean live = (flags & BPF_F_TEST_XDP_LIVE_FRAMES) != 0;
        if (live && (forceSocket || liveFrames == 2)) {
            return runBySocket(packet, length, repeat);
        }
        opts.set(JAVA_LONG, 0, OPTS_SIZE);
        opts.set(ADDRESS, OPTS_DATA_IN, packet);
        opts.set(JAVA_INT, OPTS_DATA_SIZE_IN, length);
        opts.set(ADDRESS, OPTS_DATA_OUT, live ? MemorySegment.NULL : dataOut);
        opts.set(JAVA_INT, OPTS_DATA_SIZE_OUT, live ? 0 : (int) dataOut.byteSize());
        if (withCtx) {
            ctx.set(JAVA_INT, XDP_MD_DATA_END, length);
            opts.set(ADDRESS, OPTS_CTX_IN, ctx);
            opts.set(JAVA_INT, OPTS_CTX_SIZE_IN, XDP_MD_SIZE);
        } else {
            opts.set(ADDRESS, OPTS_CTX_IN, MemorySegment.NULL);
            opts.set(JAVA_INT, OPTS_CTX_SIZE_IN, 0);
        }
        opts.set(ADDRESS, OPTS_CTX_OUT, MemorySegment.NULL);
        opts.set(JAVA_INT, OPTS_CTX_SIZE_OUT, 0);
        opts.set(JAVA_INT, OPTS_RETVAL, 0);
        opts.set(JAVA_INT, OPTS_REPEAT, repeat);
        opts.set(JAVA_INT, OPTS_DURATION, 0);
        opts.set(JAVA_INT, OPTS_FLAGS, flags);
        opts.set(JAVA_INT, OPTS_CPU, 0);
        opts.set(JAVA_INT, OPTS_BATCH_SIZE, live ? batchSize : 0);
        int rc = Native.progTestRun(progFd, opts);
        if (live && liveFrames == 0) {
            if (rc == -EPERM && Native.geteuid() == 0) {
                refused();
            } else {
                liveFrames = 1;
            }
        }
        if (rc < 0) {
            if (live && liveFrames == 2) {
                return runBySocket(packet, length, repeat);
            }
            throw KernelException.of("bpf_prog_test_run_opts(prog=" + program.name() + ", size=" + length
                    + ", repeat=" + repeat + (live ? ", LIVE_FRAMES" : "") + ")", rc);
        }
        return opts.get(JAVA_INT, OPTS_RETVAL);
    }

    /** Records the refusal and says it, once per process (threads may find it at once). */
    private static synchronized void refused() {
        if (liveFrames != 2) {
            liveFrames = 2;
            System.err.println("xdpml: this kernel refuses live-frame test runs (BPF_F_TEST_XDP_LIVE_FRAMES: EPERM):"
                    + " sending through an AF_PACKET socket instead");
        }
    }

    /**
     * The live run by the AF_PACKET fallback (see {@link #withLiveFrames}); returns 0 as a live
     * run does.
     */
    private int runBySocket(MemorySegment packet, int length, int repeat) {
        openSocket();
        sendQueued(); // what was queued goes first
        long count = Integer.toUnsignedLong(repeat);
        if (PLAIN_TX_PROGRAM.equals(program.name())) {
            socket.sendCopies(packet, length, count);
            return 0;
        }
        for (long r = 0; r < count; r++) {
            queueRunOnce(packet, length);
        }
        sendQueued();
        return 0;
    }

    private void openSocket() {
        if (!withCtx) {
            throw new IllegalStateException("live frames of " + program.name() + " need withIngress (the interface to send out of)");
        }
        if (socket == null) {
            socket = PacketSocketTx.open(ingressIfindex);
            slotLengths = new int[PacketSocketTx.BATCH];
        }
    }

    /** Runs a program other than xdpml_tx once without live frames and queues what it leaves on XDP_TX. */
    private void queueRunOnce(MemorySegment packet, int length) {
        int savedFlags = flags;
        flags &= ~BPF_F_TEST_XDP_LIVE_FRAMES;
        try {
            if (run(packet, length, 1) == XDP_TX) {
                queueCopy(dataOut, dataOutLength());
            }
        } finally {
            flags = savedFlags;
        }
    }

    private void queueCopy(MemorySegment frame, int length) {
        MemorySegment.copy(frame, 0, socket.slot(queued, length), 0, length);
        slotLengths[queued++] = length;
        if (queued == PacketSocketTx.BATCH) {
            sendQueued();
        }
    }

    /**
     * Where live frames go by the AF_PACKET fallback ({@link #sendsBySocket()}): queues what one
     * live run of {@code frame} would send, to go out with up to 63 more in one {@code sendmmsg}
     * at {@link #sendQueued()} (or when 64 are queued, or before the next {@link #run}); returns
     * false and does nothing where live runs are real test runs (or not known yet: then
     * {@link #run} the frame, which finds out). For senders of distinct frames (one run each),
     * which otherwise pay a system call per frame. {@code frame} may be a heap segment.
     */
    public boolean queueLive(MemorySegment frame, int length) {
        if (!sendsBySocket()) {
            return false;
        }
        openSocket();
        if (PLAIN_TX_PROGRAM.equals(program.name())) {
            queueCopy(frame, length);
        } else {
            queueRunOnce(frame, length);
        }
        return true;
    }

    /** Sends what {@link #queueLive} queued (nothing when nothing is). */
    public void sendQueued() {
        if (queued > 0) {
            int n = queued;
            queued = 0;
            socket.sendSlots(slotLengths, n);
        }
    }

    /** The kernel's average duration per repetition of the last run, in ns. */
    public long durationNanos() { return Integer.toUnsignedLong(opts.get(JAVA_INT, OPTS_DURATION)); }

    /** The data-out buffer (the packet as the program left it). */
    public MemorySegment dataOut() { return dataOut; }

    /** Bytes of {@link #dataOut()} written by the last run. */
    public int dataOutLength() { return opts.get(JAVA_INT, OPTS_DATA_SIZE_OUT); }

    /** Frees the native buffers. */
    @Override
    public void close() {
        try {
            if (socket != null) {
                sendQueued(); // may throw (a link gone: PacketSocketTx's stall): the socket and arena are closed all the same
            }
        } finally {
            if (socket != null) socket.close();
            if (arena.scope().isAlive()) arena.close();
        }
    }
}
