package io.xdpml.kernel;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * An AF_PACKET socket bound to one interface (every protocol) with a TPACKET_V3 receive ring: the
 * kernel copies the first {@code snaplen} bytes of each frame the interface hands the stack into
 * blocks of memory shared with Java, and frees its packet at once. Unlike {@link PacketSocket},
 * whose queue holds the packets themselves (and with them their pages: an XDP test run's page pool
 * stays alive until the reader gets to them), and which needs a system call per frame. A block is
 * handed over when it is full or after {@code retireMillis}. Frames that find no free block are
 * dropped and counted ({@link #statistics()}). Create it on a {@link NetworkNamespace}'s thread to
 * bind an interface of that namespace. Not thread-safe.
 */
public final class PacketRing implements AutoCloseable {
    static final int SOL_PACKET = 263;
    static final int PACKET_RX_RING = 5;
    static final int PACKET_STATISTICS = 6;
    static final int PACKET_VERSION = 10;
    static final int TPACKET_V3 = 2;
    static final int SOL_SOCKET = 1;
    static final int SO_ATTACH_FILTER = 26;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final int TP_STATUS_KERNEL = 0;
    static final int TP_STATUS_USER = 1;
    static final short POLLIN = 1;
    static final short POLLERR = 8;
    static final int EINTR = 4;
    /** Frame size of the request; TPACKET_V3 packs frames of any size into a block, but the kernel checks it. */
    static final int FRAME_SIZE = 2048;

    // struct tpacket_block_desc: version@0 offset_to_priv@4, struct tpacket_hdr_v1 at 8:
    // block_status@8 num_pkts@12 offset_to_first_pkt@16 blk_len@20 seq_num@24 ...
    static final int BLOCK_STATUS = 8;
    static final int BLOCK_NUM_PKTS = 12;
    static final int BLOCK_FIRST = 16;
    // struct tpacket3_hdr: tp_next_offset@0 tp_sec@4 tp_nsec@8 tp_snaplen@12 tp_len@16 tp_status@20 tp_mac(u16)@24
    static final int PKT_NEXT = 0;
    static final int PKT_SNAPLEN = 12;
    static final int PKT_LEN = 16;
    static final int PKT_MAC = 24;

    private static final VarHandle INT = JAVA_INT.varHandle();

    /** Called with each frame: its first {@code captured} bytes at {@code offset} of {@code memory}; {@code length} as it was. */
    @FunctionalInterface
    public interface FrameHandler {
        void frame(MemorySegment memory, long offset, int captured, int length);
    }

    /**
     * @param packets frames offered to the ring since the last call, dropped ones included
     * @param drops   frames dropped since the last call: no free block
     */
    public record Statistics(long packets, long drops) {}

    private final Arena arena = Arena.ofShared();
    private final MemorySegment pollfd;
    private final int ifindex;
    private final int blockSize;
    private final int blocks;
    private MemorySegment ring;
    private int fd;
    private int next;

    private PacketRing(int fd, int ifindex, MemorySegment ring, int blockSize, int blocks) {
        this.fd = fd;
        this.ifindex = ifindex;
        this.ring = ring;
        this.blockSize = blockSize;
        this.blocks = blocks;
        this.pollfd = arena.allocate(8, 8);
        pollfd.set(JAVA_INT, 0, fd);
        pollfd.set(JAVA_SHORT, 4, (short) (POLLIN | POLLERR));
    }

    /**
     * Opens the ring on interface {@code ifindex} (of the calling thread's namespace).
     *
     * @param snaplen      bytes of each frame copied (a socket filter cuts the rest), at least 64
     * @param blockSize    bytes per block, a multiple of the page size
     * @param blocks       blocks in the ring
     * @param retireMillis a block that is not full is handed over after this long
     */
    public static PacketRing open(int ifindex, int snaplen, int blockSize, int blocks, int retireMillis) {
        if (snaplen < 64 || blockSize < FRAME_SIZE || blockSize % Native.pageSize() != 0 || blocks < 1 || retireMillis < 1) {
            throw new IllegalArgumentException("bad ring: snaplen " + snaplen + ", block " + blockSize + " x " + blocks + ", retire "
                    + retireMillis + " ms");
        }
        // protocol 0: nothing is received before the bind says which interface and protocols
        int fd = Native.socket(PacketSocket.AF_PACKET, PacketSocket.SOCK_RAW | PacketSocket.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new KernelException("socket(AF_PACKET, SOCK_RAW)", Native.errno());
        }
        long size = (long) blockSize * blocks;
        MemorySegment ring = null;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, TPACKET_V3);
            check(Native.setsockopt(fd, SOL_PACKET, PACKET_VERSION, v, 4), "setsockopt(PACKET_VERSION, TPACKET_V3)");
            // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; } = { BPF_RET | BPF_K, 0, 0, snaplen }: keep snaplen bytes
            MemorySegment insn = a.allocate(8, 8);
            insn.set(JAVA_SHORT, 0, (short) 0x06);
            insn.set(JAVA_INT, 4, snaplen);
            // struct sock_fprog { u16 len; struct sock_filter *filter; }
            MemorySegment prog = a.allocate(16, 8);
            prog.set(JAVA_SHORT, 0, (short) 1);
            prog.set(JAVA_LONG, 8, insn.address());
            check(Native.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, prog, 16), "setsockopt(SO_ATTACH_FILTER)");
            // struct tpacket_req3: block_size, block_nr, frame_size, frame_nr, retire_blk_tov, sizeof_priv, feature_req_word
            MemorySegment req = a.allocate(28, 4);
            req.set(JAVA_INT, 0, blockSize);
            req.set(JAVA_INT, 4, blocks);
            req.set(JAVA_INT, 8, FRAME_SIZE);
            req.set(JAVA_INT, 12, blockSize / FRAME_SIZE * blocks);
            req.set(JAVA_INT, 16, retireMillis);
            check(Native.setsockopt(fd, SOL_PACKET, PACKET_RX_RING, req, 28), "setsockopt(PACKET_RX_RING, " + blocks + " x " + blockSize + ")");
            MemorySegment m = Native.mmap(size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (m.address() == -1L) {
                throw new KernelException("mmap(packet ring, " + size + " bytes)", Native.errno());
            }
            ring = m.reinterpret(size);
            MemorySegment sll = a.allocate(PacketSocket.SLL_SIZE, 4);
            sll.set(JAVA_SHORT, PacketSocket.SLL_FAMILY, (short) PacketSocket.AF_PACKET);
            sll.set(JAVA_SHORT, PacketSocket.SLL_PROTOCOL, (short) PacketSocket.ETH_P_ALL_BE);
            sll.set(JAVA_INT, PacketSocket.SLL_IFINDEX, ifindex);
            check(Native.bind(fd, sll, PacketSocket.SLL_SIZE), "bind(AF_PACKET, ifindex=" + ifindex + ")");
            return new PacketRing(fd, ifindex, ring, blockSize, blocks);
        } catch (RuntimeException e) {
            if (ring != null) {
                Native.munmap(ring, size);
            }
            Native.close(fd);
            throw e;
        }
    }

    /** Opens the ring on the named interface. */
    public static PacketRing open(String ifname, int snaplen, int blockSize, int blocks, int retireMillis) {
        return open(Interfaces.indexOf(ifname), snaplen, blockSize, blocks, retireMillis);
    }

    private static void check(int rc, String what) {
        if (rc != 0) {
            throw new KernelException(what, Native.errno());
        }
    }

    static final int PACKET_FANOUT = 18;
    /** PACKET_FANOUT_CPU: a frame goes to the group's socket of the CPU that received it. */
    public static final int FANOUT_CPU = 2;

    /**
     * Joins fanout group {@code group} (of the namespace) with {@code mode} (e.g. {@link #FANOUT_CPU}):
     * the group's sockets share the interface's frames, one frame to one socket, as a multi-threaded
     * libpcap tool (or Suricata's af-packet runmode) spreads its capture. Call after open, on every
     * socket of the group, with the same arguments.
     */
    public void joinFanout(int group, int mode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, (group & 0xffff) | (mode << 16));
            check(Native.setsockopt(fd, SOL_PACKET, PACKET_FANOUT, v, 4), "setsockopt(PACKET_FANOUT, group " + group + ")");
        }
    }

    /** The bound interface. */
    public int ifindex() {
        return ifindex;
    }

    /**
     * Hands every frame of the blocks the kernel has handed over to {@code handler}, in order, and
     * gives the blocks back. When none is ready, waits up to {@code timeoutMillis} for one (0: does
     * not wait). Returns the frames handed.
     */
    public int poll(FrameHandler handler, int timeoutMillis) {
        int frames = 0;
        boolean waited = false;
        while (true) {
            long base = (long) next * blockSize;
            if (((int) INT.getAcquire(ring, base + BLOCK_STATUS) & TP_STATUS_USER) == 0) {
                if (frames > 0 || waited || timeoutMillis == 0) {
                    return frames;
                }
                int rc = Native.poll(pollfd, 1, timeoutMillis);
                if (rc < 0 && Native.errno() != EINTR) {
                    throw new KernelException("poll(AF_PACKET ring)", Native.errno());
                }
                waited = true;
                continue;
            }
            int n = ring.get(JAVA_INT, base + BLOCK_NUM_PKTS);
            long p = base + Integer.toUnsignedLong(ring.get(JAVA_INT, base + BLOCK_FIRST));
            for (int i = 0; i < n; i++) {
                int captured = ring.get(JAVA_INT, p + PKT_SNAPLEN);
                int length = ring.get(JAVA_INT, p + PKT_LEN);
                int mac = ring.get(JAVA_SHORT, p + PKT_MAC) & 0xffff;
                handler.frame(ring, p + mac, captured, length);
                p += Integer.toUnsignedLong(ring.get(JAVA_INT, p + PKT_NEXT));
            }
            frames += n;
            INT.setRelease(ring, base + BLOCK_STATUS, TP_STATUS_KERNEL);
            next = (next + 1) % blocks;
        }
    }

    /** {@link Statistics} since the last call (PACKET_STATISTICS; reading resets the kernel's counters). */
    public Statistics statistics() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(12, 4); // struct tpacket_stats_v3: packets, drops, freeze_q_cnt
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, 12);
            check(Native.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, v, len), "getsockopt(PACKET_STATISTICS)");
            return new Statistics(Integer.toUnsignedLong(v.get(JAVA_INT, 0)), Integer.toUnsignedLong(v.get(JAVA_INT, 4)));
        }
    }

    /** Unmaps the ring and closes the socket. Idempotent. */
    @Override
    public void close() {
        if (fd >= 0) {
            Native.munmap(ring, (long) blockSize * blocks);
            Native.close(fd);
            fd = -1;
            ring = null;
        }
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
