package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * An AF_PACKET raw socket bound to one interface: sends complete Ethernet frames and receives
 * every frame (ETH_P_ALL). Create it on a {@link NetworkNamespace}'s thread to bind an interface
 * of that namespace. Not thread-safe; send/receive allocate nothing.
 */
public final class PacketSocket implements AutoCloseable {
    static final int AF_PACKET = 17;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    /** htons(ETH_P_ALL = 0x0003). */
    static final int ETH_P_ALL_BE = 0x0300;
    static final int MSG_DONTWAIT = 0x40;
    static final int EAGAIN = 11;
    static final int EINTR = 4;

    /**
     * struct sockaddr_ll (20 bytes): sll_family u16@0, sll_protocol be16@2, sll_ifindex i32@4,
     * sll_hatype u16@8, sll_pkttype u8@10, sll_halen u8@11, sll_addr[8]@12.
     */
    static final int SLL_SIZE = 20;
    static final int SLL_FAMILY = 0;
    static final int SLL_PROTOCOL = 2;
    static final int SLL_IFINDEX = 4;

    /** struct pollfd (8 bytes): fd@0 events s16@4 revents s16@6. */
    static final int POLLFD_SIZE = 8;
    static final int POLLFD_FD = 0;
    static final int POLLFD_EVENTS = 4;
    static final int POLLFD_REVENTS = 6;
    static final short POLLIN = 1;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment pollfd;
    private final int ifindex;
    private int fd;

    private PacketSocket(int fd, int ifindex) {
        this.fd = fd;
        this.ifindex = ifindex;
        this.pollfd = arena.allocate(POLLFD_SIZE, 8);
        pollfd.set(JAVA_INT, POLLFD_FD, fd);
        pollfd.set(JAVA_SHORT, POLLFD_EVENTS, POLLIN);
    }

    /** Opens a socket bound to interface {@code ifindex} (of the calling thread's namespace). */
    public static PacketSocket open(int ifindex) {
        int fd = Native.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, ETH_P_ALL_BE);
        if (fd < 0) throw new KernelException("socket(AF_PACKET, SOCK_RAW, ETH_P_ALL)", Native.errno());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sll = a.allocate(SLL_SIZE, 4);
            sll.set(JAVA_SHORT, SLL_FAMILY, (short) AF_PACKET);
            sll.set(JAVA_SHORT, SLL_PROTOCOL, (short) ETH_P_ALL_BE);
            sll.set(JAVA_INT, SLL_IFINDEX, ifindex);
            if (Native.bind(fd, sll, SLL_SIZE) != 0) {
                int err = Native.errno();
                Native.close(fd);
                throw new KernelException("bind(AF_PACKET, ifindex=" + ifindex + ")", err);
            }
        }
        return new PacketSocket(fd, ifindex);
    }

    /** Opens a socket bound to the named interface. */
    public static PacketSocket open(String ifname) { return open(Interfaces.indexOf(ifname)); }

    static final int ENOBUFS = 105;

    /** The bound interface. */
    public int ifindex() { return ifindex; }

    /** Transmits {@code length} bytes of {@code frame} (a complete Ethernet frame). */
    public void send(MemorySegment frame, int length) {
        long n = Native.send(fd, frame, length, 0);
        // ENOBUFS: the device's queue is full for a moment (a sender faster than the receiver's
        // softirq on a loaded machine): wait for it to drain, up to ~100 ms, rather than fail
        for (int i = 0; n < 0 && Native.errno() == ENOBUFS && i < 1000; i++) {
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            n = Native.send(fd, frame, length, 0);
        }
        if (n != length) {
            throw new KernelException("send(AF_PACKET, ifindex=" + ifindex + ", length=" + length + ")",
                    n < 0 ? Native.errno() : 0);
        }
    }

    /**
     * Receives one frame into {@code buf}, waiting up to {@code timeoutMillis} (-1 forever);
     * returns its length (truncated to the buffer), or -1 on timeout.
     */
    public int receive(MemorySegment buf, int timeoutMillis) {
        while (true) {
            long n = Native.recv(fd, buf, buf.byteSize(), MSG_DONTWAIT);
            if (n >= 0) return (int) n;
            int err = Native.errno();
            if (err != EAGAIN && err != EINTR) throw new KernelException("recv(AF_PACKET, ifindex=" + ifindex + ")", err);
            int rc = Native.poll(pollfd, 1, timeoutMillis);
            if (rc == 0) return -1;
            if (rc < 0 && Native.errno() != EINTR) throw new KernelException("poll(AF_PACKET)", Native.errno());
        }
    }

    /** Closes the socket. Idempotent. */
    @Override
    public void close() {
        if (fd >= 0) {
            Native.close(fd);
            fd = -1;
        }
        if (arena.scope().isAlive()) arena.close();
    }
}
