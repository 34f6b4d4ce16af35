package io.xdpml.xsk;

import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.KernelException;
import io.xdpml.kernel.Native;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * One AF_XDP socket bound to one receive queue of one interface, with a UMEM of its own and its
 * four rings (FILL, RX, and when configured TX, COMPLETION). Open it in the interface's network
 * namespace (on a {@link io.xdpml.kernel.NetworkNamespace} thread); it may then be used from any
 * one thread at a time (receive and transmit are not thread-safe).
 *
 * <p>Binding: {@link XskBindMode#AUTO} asks for zero-copy and, when the driver refuses (veth:
 * EOPNOTSUPP), rebuilds the socket in copy mode; {@link #zeroCopy()} says which is in use and
 * {@link #zeroCopyFallback()} why zero-copy was not.
 *
 * <p>Receive: {@link #receive(XskFrameHandler)} hands up to {@code batchSize} frames to the
 * handler in place and then gives their buffers back to the FILL ring. Transmit: {@link #send}
 * copies a frame into a free TX buffer and queues it; {@link #flush()} kicks the kernel;
 * completed buffers are recycled by {@link #completeTx()} (also called by {@code send} when it
 * runs out). No call on these paths allocates.
 */
public final class XskSocket implements AutoCloseable {
    private final int fd;
    private final int ifindex;
    private final int queue;
    private final XskConfig config;
    private final Umem umem;
    private final XskRing.Producer fill;
    private final XskRing.Consumer rx;
    private final XskRing.Producer tx;
    private final XskRing.Consumer completion;
    private final boolean zeroCopy;
    private final String zeroCopyFallback;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment pollfd;
    private final XskFrame frame;
    private final MemorySegment umemMemory;
    /** Free TX chunk addresses (a stack). */
    private final long[] txFree;
    private int txFreeCount;
    private long received;
    /** Keeps the touch loop's loads from being optimised away (see {@link #handle}). */
    private long touchSink;
    private long sent;
    private boolean closed;

    private XskSocket(Parts p, int ifindex, int queue, XskConfig config, Umem umem, String zeroCopyFallback) {
        this.fd = p.fd;
        this.fill = p.fill;
        this.rx = p.rx;
        this.tx = p.tx;
        this.completion = p.completion;
        this.zeroCopy = p.zeroCopy;
        this.ifindex = ifindex;
        this.queue = queue;
        this.config = config;
        this.umem = umem;
        this.zeroCopyFallback = zeroCopyFallback;
        this.umemMemory = umem.memory();
        this.frame = new XskFrame(umemMemory);
        this.pollfd = arena.allocate(XskAbi.POLLFD_SIZE, 8);
        pollfd.set(JAVA_INT, 0, fd);
        this.txFree = new long[config.txFrames()];
        for (int i = 0; i < config.txFrames(); i++) {
            txFree[txFreeCount++] = umem.chunkAddress(config.fillRingSize() + i);
        }
    }

    /** Opens a socket on queue {@code queue} of the named interface (calling thread's namespace). */
    public static XskSocket open(String ifname, int queue, XskConfig config) {
        return open(Interfaces.indexOf(ifname), queue, config);
    }

    /** Opens a socket on queue {@code queue} of interface {@code ifindex} (calling thread's namespace). */
    public static XskSocket open(int ifindex, int queue, XskConfig config) {
        Umem umem = Umem.allocate(config.frameSize(), config.frameCount(), config.hugePages());
        try {
            String fallback = null;
            Parts parts;
            if (config.bindMode() == XskBindMode.COPY) {
                parts = Parts.create(ifindex, queue, config, umem, XskAbi.XDP_COPY);
            } else {
                try {
                    parts = Parts.create(ifindex, queue, config, umem, XskAbi.XDP_ZEROCOPY);
                } catch (KernelException e) {
                    if (config.bindMode() == XskBindMode.ZERO_COPY || !e.call().startsWith("bind(")) throw e;
                    fallback = e.getMessage();
                    parts = Parts.create(ifindex, queue, config, umem, XskAbi.XDP_COPY);
                }
            }
            return new XskSocket(parts, ifindex, queue, config, umem, fallback);
        } catch (RuntimeException | Error e) {
            umem.close();
            throw e;
        }
    }

    /** The socket descriptor (what goes into an XSKMAP). */
    public int fd() { return fd; }

    /** The interface index bound. */
    public int ifindex() { return ifindex; }

    /** The queue bound. */
    public int queue() { return queue; }

    /**
     * Where the program feeding this socket puts each frame's metadata ({@link XskProgram#register}
     * says; {@link MetadataLayout#BEFORE_FRAME} until then). Set it before receiving.
     */
    public void metadataLayout(MetadataLayout layout) {
        frame.metadataInFrame = layout == MetadataLayout.IN_FRAME;
    }

    /**
     * The longest packet this socket takes with the metadata in front of it
     * ({@link MetadataLayout#IN_FRAME}), 0 for no limit: in copy mode the kernel copies a frame into
     * a chunk after XDP_PACKET_HEADROOM and drops a longer one (rx_dropped), and the 16 bytes count;
     * in zero-copy mode the packet is already in a chunk, the metadata goes into its headroom.
     */
    public int inFrameMetadataRoom() {
        return zeroCopy ? 0 : config.frameSize() - XskAbi.XDP_PACKET_HEADROOM - XskMetadata.SIZE;
    }

    /** The layout {@link #metadataLayout(MetadataLayout)} set. */
    public MetadataLayout metadataLayout() {
        return frame.metadataInFrame ? MetadataLayout.IN_FRAME : MetadataLayout.BEFORE_FRAME;
    }

    /** The configuration. */
    public XskConfig config() { return config; }

    /** The UMEM (huge pages or not: {@link Umem#hugePages()}). */
    public Umem umem() { return umem; }

    /** Whether the socket runs in zero-copy mode (false: copy mode). */
    public boolean zeroCopy() { return zeroCopy; }

    /** "zero-copy" or "copy". */
    public String modeName() { return zeroCopy ? "zero-copy" : "copy"; }

    /** Why zero-copy was asked for and not used (the refused bind), or null. */
    public String zeroCopyFallback() { return zeroCopyFallback; }

    /** Frames handed to handlers so far. */
    public long received() { return received; }

    /** Frames queued for transmit so far. */
    public long sent() { return sent; }

    /**
     * Hands up to {@code batchSize} received frames to {@code handler}, in ring order, then gives
     * their buffers back to the FILL ring. Returns the number handled, 0 when none was ready (it
     * does not block). If the handler throws, the frames handled so far, the throwing one
     * included, are still returned to the kernel.
     */
    public int receive(XskFrameHandler handler) {
        int n = rx.available(config.batchSize());
        if (n == 0) {
            if (config.needWakeup() && fill.needsWakeup()) kickFill();
            return 0;
        }
        return handle(n, handler);
    }

    /**
     * The per-frame loop, apart from {@link #receive}: a busy-polling caller makes receive's own
     * profile mostly empty polls, and C2 then compiled the loop's memory accesses as cold calls
     * (measured: 80 -> 40 ns per frame, docs/xsk.md). Here the profile is the loop's alone.
     */
    private int handle(int n, XskFrameHandler handler) {
        XskRing.Consumer rx = this.rx;
        XskRing.Producer fill = this.fill;
        fill.free(n); // always room: the FILL ring holds every receive frame
        int cons = rx.next();
        int prod = fill.next();
        MemorySegment ring = rx.memory;
        MemorySegment fillRing = fill.memory;
        long chunkMask = -(long) config.frameSize();
        XskFrame f = frame;
        XskMetadata meta = f.metadata();
        // entry offsets with constant shifts (16-byte descriptors, 8-byte addresses)
        long rxDesc = rx.descOffset;
        int rxMask = rx.mask;
        long fillDesc = fill.descOffset;
        int fillMask = fill.mask;
        // Touch every frame's first byte before any handler runs: the kernel has just written the
        // frames on another CPU, so each first access misses; in this tight loop the CPU overlaps
        // the misses, in the handler loop (too long for its out-of-order window) it does not.
        // Measured with the UMEM on huge pages: 33 -> 30 ns per frame drained (docs/xsk.md).
        {
            long t = 0;
            for (int i = 0; i < n; i++) {
                long d = rxDesc + ((long) ((cons + i) & rxMask) << 4);
                t += umemMemory.get(JAVA_BYTE, ring.get(JAVA_LONG, d));
            }
            touchSink = t;
        }
        int done = 0;
        try {
            while (done < n) {
                long d = rxDesc + ((long) ((cons + done) & rxMask) << 4);
                long addr = ring.get(JAVA_LONG, d + XskAbi.DESC_ADDR);
                int len = ring.get(JAVA_INT, d + XskAbi.DESC_LEN);
                f.wrap(addr, len, queue);
                fillRing.set(JAVA_LONG, fillDesc + ((long) ((prod + done) & fillMask) << 3), addr & chunkMask);
                done++;
                handler.onFrame(f);
                if (meta.read) meta.clear();
            }
        } finally {
            rx.release(done);
            fill.submit(done);
            received += done;
        }
        return n;
    }

    /**
     * Like {@link #receive(XskFrameHandler)}, but when nothing is ready waits up to
     * {@code timeoutMillis} (in poll) for frames first.
     */
    public int receive(XskFrameHandler handler, int timeoutMillis) {
        int n = receive(handler);
        if (n > 0 || timeoutMillis == 0) return n;
        if (!waitReadable(timeoutMillis)) return 0;
        return receive(handler);
    }

    /** Waits up to {@code timeoutMillis} (-1 forever) until the RX ring has frames; false on timeout. */
    public boolean waitReadable(int timeoutMillis) {
        pollfd.set(JAVA_SHORT, 4, XskAbi.POLLIN);
        pollfd.set(JAVA_SHORT, 6, (short) 0);
        int rc = Native.xskPoll(pollfd, 1, timeoutMillis);
        if (rc < 0) {
            int err = Native.errno();
            if (err == XskAbi.EINTR) return false;
            throw new KernelException("poll(AF_XDP fd=" + fd + ")", err);
        }
        return rc > 0;
    }

    private void kickFill() {
        long rc = Native.recvfromKick(fd, XskAbi.MSG_DONTWAIT);
        if (rc < 0) {
            int err = Native.errno();
            // ENETDOWN: the link is down (ip link set down, a driver reconfiguring): frames come back with it
            if (err != XskAbi.EAGAIN && err != XskAbi.EINTR && err != XskAbi.EBUSY && err != XskAbi.ENOBUFS && err != XskAbi.ENETDOWN) {
                throw new KernelException("recvfrom(AF_XDP wakeup, fd=" + fd + ")", err);
            }
        }
    }

    /**
     * Copies {@code length} bytes of {@code src} from {@code srcOffset} into a free TX buffer and
     * queues it (published to the kernel at once; {@link #flush()} makes it send). Returns false,
     * queuing nothing, when no buffer or ring slot is free even after {@link #completeTx()}.
     */
    public boolean send(MemorySegment src, long srcOffset, int length) {
        if (tx == null) throw new IllegalStateException("socket opened without a TX ring (txRingSize 0)");
        if (length <= 0 || length > config.frameSize()) {
            throw new IllegalArgumentException("frame length must be 1.." + config.frameSize() + ", got " + length);
        }
        if (txFreeCount == 0 && completeTx() == 0) return false;
        if (tx.free(1) == 0) return false;
        long addr = txFree[--txFreeCount];
        MemorySegment.copy(src, srcOffset, umemMemory, addr, length);
        int idx = tx.next();
        long d = tx.entry(idx);
        tx.memory.set(JAVA_LONG, d + XskAbi.DESC_ADDR, addr);
        tx.memory.set(JAVA_INT, d + XskAbi.DESC_LEN, length);
        tx.memory.set(JAVA_INT, d + XskAbi.DESC_OPTIONS, 0);
        tx.submit(1);
        sent++;
        return true;
    }

    /**
     * Asks the kernel to transmit what is queued (a {@code sendto} when the TX ring wants a
     * wakeup, always without need_wakeup); returns the frames still queued in the TX ring.
     */
    public int flush() {
        if (tx == null) return 0;
        int outstanding = tx.outstanding();
        if (outstanding > 0 && (!config.needWakeup() || tx.needsWakeup())) {
            long rc = Native.sendtoKick(fd, XskAbi.MSG_DONTWAIT);
            if (rc < 0) {
                int err = Native.errno();
                if (err != XskAbi.EAGAIN && err != XskAbi.EBUSY && err != XskAbi.ENOBUFS && err != XskAbi.EINTR
                        && err != XskAbi.ENETDOWN) { // the link is down: what is queued goes when it is up
                    throw new KernelException("sendto(AF_XDP kick, fd=" + fd + ")", err);
                }
            }
            outstanding = tx.outstanding();
        }
        return outstanding;
    }

    /** Recycles the buffers of transmitted frames from the COMPLETION ring; returns how many. */
    public int completeTx() {
        if (completion == null) return 0;
        int n = completion.available(completion.size);
        if (n == 0) return 0;
        int cons = completion.next();
        MemorySegment ring = completion.memory;
        long chunkMask = -(long) config.frameSize();
        for (int i = 0; i < n; i++) {
            txFree[txFreeCount++] = ring.get(JAVA_LONG, completion.entry(cons + i)) & chunkMask;
        }
        completion.release(n);
        return n;
    }

    /** Frames waiting in the RX ring (published by the kernel, not yet received). */
    public int rxPending() {
        return rx.producerIndex() - rx.next();
    }

    /** TX buffers not in flight. */
    public int txFreeFrames() { return txFreeCount; }

    /** The kernel's counters for this socket. */
    public XskStatistics statistics() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(XskAbi.STATISTICS_SIZE, 8);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, XskAbi.STATISTICS_SIZE);
            if (Native.getsockopt(fd, XskAbi.SOL_XDP, XskAbi.XDP_STATISTICS, s, len) != 0) {
                throw new KernelException("getsockopt(XDP_STATISTICS, fd=" + fd + ")", Native.errno());
            }
            return new XskStatistics(s.get(JAVA_LONG, 0), s.get(JAVA_LONG, 8), s.get(JAVA_LONG, 16),
                    s.get(JAVA_LONG, 24), s.get(JAVA_LONG, 32), s.get(JAVA_LONG, 40));
        }
    }

    /** Closes the socket (removing it from any XSKMAP), unmaps its rings and the UMEM. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        fill.unmap();
        rx.unmap();
        if (tx != null) tx.unmap();
        if (completion != null) completion.unmap();
        Native.xskClose(fd);
        umem.close();
        arena.close();
    }

    @Override
    public String toString() {
        return "XskSocket[ifindex=" + ifindex + ", queue=" + queue + ", " + modeName() + "]";
    }

    /** The socket and its rings, set up for one bind mode. */
    private record Parts(int fd, XskRing.Producer fill, XskRing.Consumer rx, XskRing.Producer tx,
                         XskRing.Consumer completion, boolean zeroCopy) {

        static Parts create(int ifindex, int queue, XskConfig config, Umem umem, short modeFlag) {
            int fd = Native.xskSocket(XskAbi.AF_XDP, XskAbi.SOCK_RAW | XskAbi.SOCK_CLOEXEC, 0);
            if (fd < 0) throw new KernelException("socket(AF_XDP, SOCK_RAW)", Native.errno());
            XskRing.Producer fill = null;
            XskRing.Consumer rx = null;
            XskRing.Producer tx = null;
            XskRing.Consumer completion = null;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment reg = a.allocate(XskAbi.UMEM_REG_SIZE, 8);
                reg.set(JAVA_LONG, XskAbi.UMEM_REG_ADDR, umem.memory().address());
                reg.set(JAVA_LONG, XskAbi.UMEM_REG_LEN, umem.memory().byteSize());
                reg.set(JAVA_INT, XskAbi.UMEM_REG_CHUNK_SIZE, config.frameSize());
                reg.set(JAVA_INT, XskAbi.UMEM_REG_HEADROOM, 0);
                reg.set(JAVA_INT, XskAbi.UMEM_REG_FLAGS, 0);
                setsockopt(a, fd, XskAbi.XDP_UMEM_REG, reg, "XDP_UMEM_REG");
                int compSize = Math.max(config.txRingSize(), 64);
                setInt(a, fd, XskAbi.XDP_UMEM_FILL_RING, config.fillRingSize(), "XDP_UMEM_FILL_RING");
                // bind needs a completion ring even for receive-only sockets
                setInt(a, fd, XskAbi.XDP_UMEM_COMPLETION_RING, compSize, "XDP_UMEM_COMPLETION_RING");
                setInt(a, fd, XskAbi.XDP_RX_RING, config.rxRingSize(), "XDP_RX_RING");
                if (config.txRingSize() > 0) setInt(a, fd, XskAbi.XDP_TX_RING, config.txRingSize(), "XDP_TX_RING");

                MemorySegment off = a.allocate(XskAbi.MMAP_OFFSETS_SIZE, 8);
                MemorySegment len = a.allocate(JAVA_INT);
                len.set(JAVA_INT, 0, XskAbi.MMAP_OFFSETS_SIZE);
                if (Native.getsockopt(fd, XskAbi.SOL_XDP, XskAbi.XDP_MMAP_OFFSETS, off, len) != 0) {
                    throw new KernelException("getsockopt(XDP_MMAP_OFFSETS)", Native.errno());
                }
                fill = new XskRing.Producer("FILL", fd, XskAbi.XDP_UMEM_PGOFF_FILL_RING, off, XskAbi.MMAP_OFFSETS_FILL,
                        config.fillRingSize(), XskAbi.ADDR_SIZE);
                completion = new XskRing.Consumer("COMPLETION", fd, XskAbi.XDP_UMEM_PGOFF_COMPLETION_RING, off,
                        XskAbi.MMAP_OFFSETS_COMPLETION, compSize, XskAbi.ADDR_SIZE);
                rx = new XskRing.Consumer("RX", fd, XskAbi.XDP_PGOFF_RX_RING, off, XskAbi.MMAP_OFFSETS_RX,
                        config.rxRingSize(), XskAbi.DESC_SIZE);
                if (config.txRingSize() > 0) {
                    tx = new XskRing.Producer("TX", fd, XskAbi.XDP_PGOFF_TX_RING, off, XskAbi.MMAP_OFFSETS_TX,
                            config.txRingSize(), XskAbi.DESC_SIZE);
                }
                // every receive frame starts in the FILL ring
                int n = fill.free(config.fillRingSize());
                int prod = fill.next();
                for (int i = 0; i < n; i++) {
                    fill.memory.set(JAVA_LONG, fill.entry(prod + i), umem.chunkAddress(i));
                }
                fill.submit(n);

                MemorySegment sxdp = a.allocate(XskAbi.SOCKADDR_SIZE, 4);
                short flags = (short) (modeFlag | (config.needWakeup() ? XskAbi.XDP_USE_NEED_WAKEUP : 0));
                sxdp.set(JAVA_SHORT, XskAbi.SOCKADDR_FAMILY, (short) XskAbi.AF_XDP);
                sxdp.set(JAVA_SHORT, XskAbi.SOCKADDR_FLAGS, flags);
                sxdp.set(JAVA_INT, XskAbi.SOCKADDR_IFINDEX, ifindex);
                sxdp.set(JAVA_INT, XskAbi.SOCKADDR_QUEUE_ID, queue);
                if (bindRetryingBusy(fd, sxdp) != 0) {
                    throw new KernelException("bind(AF_XDP, ifindex=" + ifindex + ", queue=" + queue + ", flags="
                            + bindFlagNames(flags) + ")", Native.errno());
                }
                MemorySegment opts = a.allocate(JAVA_INT);
                len.set(JAVA_INT, 0, 4);
                if (Native.getsockopt(fd, XskAbi.SOL_XDP, XskAbi.XDP_OPTIONS, opts, len) != 0) {
                    throw new KernelException("getsockopt(XDP_OPTIONS)", Native.errno());
                }
                boolean zc = (opts.get(JAVA_INT, 0) & XskAbi.XDP_OPTIONS_ZEROCOPY) != 0;
                return new Parts(fd, fill, rx, tx, completion, zc);
            } catch (RuntimeException | Error e) {
                for (XskRing r : new XskRing[] {fill, rx, tx, completion}) {
                    if (r != null) r.unmap();
                }
                Native.xskClose(fd);
                throw e;
            }
        }

        /**
         * bind, retried for up to a second on EBUSY: a socket closed on the same queue just before
         * releases the queue in deferred kernel work (xp_release_deferred), not in close().
         */
        private static int bindRetryingBusy(int fd, MemorySegment sxdp) {
            for (int attempt = 0; ; attempt++) {
                int rc = Native.xskBind(fd, sxdp, XskAbi.SOCKADDR_SIZE);
                if (rc == 0 || Native.errno() != XskAbi.EBUSY || attempt >= 100) return rc;
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return rc;
                }
            }
        }

        private static void setInt(Arena a, int fd, int name, int value, String what) {
            MemorySegment v = a.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, value);
            setsockopt(a, fd, name, v, what + "=" + value);
        }

        private static void setsockopt(Arena a, int fd, int name, MemorySegment v, String what) {
            if (Native.setsockopt(fd, XskAbi.SOL_XDP, name, v, (int) v.byteSize()) != 0) {
                throw new KernelException("setsockopt(SOL_XDP, " + what + ")", Native.errno());
            }
        }

        static String bindFlagNames(short flags) {
            StringBuilder b = new StringBuilder();
            if ((flags & XskAbi.XDP_COPY) != 0) b.append("COPY|");
            if ((flags & XskAbi.XDP_ZEROCOPY) != 0) b.append("ZEROCOPY|");
            if ((flags & XskAbi.XDP_USE_NEED_WAKEUP) != 0) b.append("USE_NEED_WAKEUP|");
            return b.isEmpty() ? "0" : b.substring(0, b.length() - 1);
        }
    }
}
