package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Frames out of an interface through an AF_PACKET socket: the fallback of a live-frames
 * {@link TestRun} where the kernel refuses {@code BPF_F_TEST_XDP_LIVE_FRAMES} (EPERM). A
 * {@code SOCK_RAW} socket of protocol 0 (it receives nothing) bound to the interface, with
 * {@code PACKET_QDISC_BYPASS} (straight to the driver's transmit, as XDP_TX is), frames handed to
 * the kernel {@link #BATCH} at a time by {@code sendmmsg} ({@link PacketSocket} sends one frame per
 * call and receives too). Into a veth pair the frames reach the
 * peer whether or not it has an XDP program (unlike XDP_TX). Opened in the calling thread's
 * network namespace. Nothing is allocated per frame: the message vector, its iovecs and the
 * per-slot copies are allocated once. Not thread-safe.
 *
 * <p>When the driver refuses a frame for lack of room ({@code ENOBUFS}/{@code EAGAIN}, a full veth
 * ring) the rest of the batch is offered again after a yield, so a frame handed in is sent, where
 * XDP_TX into a full ring drops it. A frame longer than the interface takes
 * ({@code EMSGSIZE}) is dropped, as XDP_TX drops it, and counted in {@link #tooLong()}.
 */
final class PacketSocketTx implements AutoCloseable {
    /** Messages per sendmmsg (a veth peer's ring holds 256 frames). */
    static final int BATCH = 64;
    static final int PACKET_QDISC_BYPASS = 20;
    static final int EMSGSIZE = 90;
    /**
     * struct mmsghdr (64 bytes): msghdr { name@0 namelen@8 iov@16 iovlen@24 control@32
     * controllen@40 flags@48 } then msg_len@56.
     */
    static final int MMSGHDR_SIZE = 64;
    static final int MSG_IOV = 16;
    static final int MSG_IOVLEN = 24;
    /** struct iovec: base@0 len@8. */
    static final int IOVEC_SIZE = 16;

    private final Arena arena = Arena.ofShared();
    private final int fd;
    private final int ifindex;
    private final MemorySegment msgs;
    private final MemorySegment iovs;
    /** msgs from message i on, for the retry of a batch's tail (made once: no slice per call). */
    private final MemorySegment[] msgsFrom = new MemorySegment[BATCH];
    /** Slot i of {@link #slots}. */
    private final MemorySegment[] slotSegs = new MemorySegment[BATCH];
    /** One frame copy per slot, for frames that differ within a batch ({@link #slot}). */
    private MemorySegment slots;
    private int slotSize;
    /** What the iovecs point at now for {@link #sendCopies} (so they are rewritten only on change). */
    private long copiesAddress = -1;
    private int copiesLength = -1;
    private long tooLong;
    private long noBufs;
    /** The errno of the last send the driver refused for want of room (the stall's error). */
    private int lastErrno;

    private PacketSocketTx(int fd, int ifindex) {
        this.fd = fd;
        this.ifindex = ifindex;
        this.msgs = arena.allocate((long) MMSGHDR_SIZE * BATCH, 8);
        this.iovs = arena.allocate((long) IOVEC_SIZE * BATCH, 8);
        for (int i = 0; i < BATCH; i++) {
            msgs.set(ADDRESS, (long) MMSGHDR_SIZE * i + MSG_IOV, iovs.asSlice((long) IOVEC_SIZE * i, IOVEC_SIZE));
            msgs.set(JAVA_LONG, (long) MMSGHDR_SIZE * i + MSG_IOVLEN, 1);
            msgsFrom[i] = msgs.asSlice((long) MMSGHDR_SIZE * i);
        }
    }

    /** A socket sending out of {@code ifindex} of the calling thread's namespace. */
    static PacketSocketTx open(int ifindex) {
        int fd = Native.socket(PacketSocket.AF_PACKET, PacketSocket.SOCK_RAW | PacketSocket.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new KernelException("socket(AF_PACKET, SOCK_RAW, 0)", Native.errno());
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(JAVA_INT);
            one.set(JAVA_INT, 0, 1);
            if (Native.setsockopt(fd, PacketRing.SOL_PACKET, PACKET_QDISC_BYPASS, one, 4) < 0) {
                throw new KernelException("setsockopt(AF_PACKET, PACKET_QDISC_BYPASS)", Native.errno());
            }
            MemorySegment sll = a.allocate(PacketSocket.SLL_SIZE, 4);
            sll.fill((byte) 0); // protocol 0: the socket receives nothing
            sll.set(JAVA_SHORT, PacketSocket.SLL_FAMILY, (short) PacketSocket.AF_PACKET);
            sll.set(JAVA_INT, PacketSocket.SLL_IFINDEX, ifindex);
            if (Native.bind(fd, sll, PacketSocket.SLL_SIZE) < 0) {
                throw new KernelException("bind(AF_PACKET, ifindex=" + ifindex + ")", Native.errno());
            }
            return new PacketSocketTx(fd, ifindex);
        } catch (RuntimeException e) {
            Native.close(fd);
            throw e;
        }
    }

    /** The interface it sends out of. */
    int ifindex() {
        return ifindex;
    }

    /** Frames dropped as longer than the interface takes (EMSGSIZE). */
    long tooLong() {
        return tooLong;
    }

    /**
     * sendmmsg calls the driver answered ENOBUFS (no room: a veth peer's full ring), each followed
     * by a retry of the frames it had not taken.
     */
    long noBufs() {
        return noBufs;
    }

    /** Sends {@code count} copies of {@code frame} (a native segment), {@link #BATCH} per call. */
    void sendCopies(MemorySegment frame, int length, long count) {
        if (frame.address() != copiesAddress || length != copiesLength) {
            for (int i = 0; i < BATCH; i++) {
                iovs.set(ADDRESS, (long) IOVEC_SIZE * i, frame);
                iovs.set(JAVA_LONG, (long) IOVEC_SIZE * i + 8, length);
            }
            copiesAddress = frame.address();
            copiesLength = length;
        }
        for (long left = count; left > 0; ) {
            int n = (int) Math.min(left, BATCH);
            sendAll(n);
            left -= n;
        }
    }

    /**
     * The buffer of batch slot {@code i} (0 .. BATCH-1), at least {@code size} bytes: fill slots
     * 0..n-1 with frames, then {@link #sendSlots(int)}.
     */
    MemorySegment slot(int i, int size) {
        if (slots == null || size > slotSize) { // rare: slots of 4096 bytes hold any frame a test run takes whole
            int newSize = Math.max(size, 4096);
            MemorySegment grown = arena.allocate((long) newSize * BATCH, 64);
            for (int s = 0; s < BATCH; s++) {
                if (slots != null) { // frames already in the slots stay
                    MemorySegment.copy(slots, (long) slotSize * s, grown, (long) newSize * s, slotSize);
                }
                slotSegs[s] = grown.asSlice((long) newSize * s, newSize);
            }
            slots = grown;
            slotSize = newSize;
        }
        return slotSegs[i];
    }

    /** Sends slots 0..n-1 with their lengths. */
    void sendSlots(int[] lengths, int n) {
        for (int i = 0; i < n; i++) {
            iovs.set(ADDRESS, (long) IOVEC_SIZE * i, slotSegs[i]);
            iovs.set(JAVA_LONG, (long) IOVEC_SIZE * i + 8, lengths[i]);
        }
        copiesAddress = -1;
        sendAll(n);
    }

    /**
     * How long the driver may take no frame at all before the send gives up: a full veth ring empties
     * in microseconds, a link that is down (or whose peer is) never does, and every send to it is
     * answered ENOBUFS.
     */
    static final long STALL_NANOS = 2_000_000_000L;

    /**
     * Sends messages 0..n-1 of the vector, again from the first unsent one while the driver has no
     * room; fails when it has taken none for {@link #STALL_NANOS}.
     */
    private void sendAll(int n) {
        long stalledSince = 0;
        for (int done = 0; done < n; ) {
            int d = sendFrom(done, n - done);
            if (d > 0) {
                done += d;
                stalledSince = 0;
                continue;
            }
            long now = System.nanoTime();
            if (stalledSince == 0) {
                stalledSince = now;
            } else if (now - stalledSince > STALL_NANOS) {
                throw new KernelException("sendmmsg(AF_PACKET, ifindex=" + ifindex + "): the interface took no frame for "
                        + STALL_NANOS / 1_000_000_000L + " s (is it or its peer down?)", lastErrno);
            }
        }
    }

    /**
     * One sendmmsg of messages {@code from .. from+n-1}: returns how many are done (sent, or
     * dropped as too long); 0 after a yield when the driver had no room.
     */
    private int sendFrom(int from, int n) {
        int r = Native.sendmmsg(fd, msgsFrom[from], n, 0);
        if (r > 0) {
            return r;
        }
        int errno = Native.errno();
        if (errno == PacketSocket.ENOBUFS || errno == PacketSocket.EAGAIN || errno == PacketSocket.EINTR) {
            lastErrno = errno;
            if (errno == PacketSocket.ENOBUFS) {
                noBufs++;
            }
            Thread.onSpinWait();
            Thread.yield();
            return 0;
        }
        if (errno == EMSGSIZE) {
            tooLong++;
            return 1;
        }
        throw new KernelException("sendmmsg(AF_PACKET, ifindex=" + ifindex + ", " + n + " frames)", errno);
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            Native.close(fd);
            arena.close();
        }
    }
}
