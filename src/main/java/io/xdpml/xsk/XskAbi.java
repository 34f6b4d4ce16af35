package io.xdpml.xsk;

/**
 * The AF_XDP kernel ABI ({@code linux/if_xdp.h}, {@code sys/socket.h}, {@code sys/mman.h}) as
 * constants: option names, flags, and struct layouts as offset constants.
 */
final class XskAbi {
    private XskAbi() {}

    static final int AF_XDP = 44;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_XDP = 283;

    // setsockopt/getsockopt names (SOL_XDP)
    static final int XDP_MMAP_OFFSETS = 1;
    static final int XDP_RX_RING = 2;
    static final int XDP_TX_RING = 3;
    static final int XDP_UMEM_REG = 4;
    static final int XDP_UMEM_FILL_RING = 5;
    static final int XDP_UMEM_COMPLETION_RING = 6;
    static final int XDP_STATISTICS = 7;
    static final int XDP_OPTIONS = 8;

    // sockaddr_xdp.sxdp_flags
    static final short XDP_SHARED_UMEM = 1;
    static final short XDP_COPY = 2;
    static final short XDP_ZEROCOPY = 4;
    static final short XDP_USE_NEED_WAKEUP = 8;

    /** Ring flags word: the kernel wants a syscall to make progress. */
    static final int XDP_RING_NEED_WAKEUP = 1;
    /** struct xdp_options.flags. */
    static final int XDP_OPTIONS_ZEROCOPY = 1;

    // mmap page offsets of the four rings
    static final long XDP_PGOFF_RX_RING = 0L;
    static final long XDP_PGOFF_TX_RING = 0x80000000L;
    static final long XDP_UMEM_PGOFF_FILL_RING = 0x100000000L;
    static final long XDP_UMEM_PGOFF_COMPLETION_RING = 0x180000000L;

    /**
     * struct xdp_umem_reg (32 bytes): addr u64@0, len u64@8, chunk_size u32@16, headroom u32@20,
     * flags u32@24, tx_metadata_len u32@28 (zero: older kernels read 28 bytes plus padding).
     */
    static final int UMEM_REG_SIZE = 32;
    static final int UMEM_REG_ADDR = 0;
    static final int UMEM_REG_LEN = 8;
    static final int UMEM_REG_CHUNK_SIZE = 16;
    static final int UMEM_REG_HEADROOM = 20;
    static final int UMEM_REG_FLAGS = 24;

    /**
     * struct xdp_mmap_offsets (128 bytes): four struct xdp_ring_offset {producer u64@0,
     * consumer u64@8, desc u64@16, flags u64@24} for rx@0, tx@32, fill@64, completion@96.
     */
    static final int MMAP_OFFSETS_SIZE = 128;
    static final int MMAP_OFFSETS_RX = 0;
    static final int MMAP_OFFSETS_TX = 32;
    static final int MMAP_OFFSETS_FILL = 64;
    static final int MMAP_OFFSETS_COMPLETION = 96;
    static final int RING_OFFSET_PRODUCER = 0;
    static final int RING_OFFSET_CONSUMER = 8;
    static final int RING_OFFSET_DESC = 16;
    static final int RING_OFFSET_FLAGS = 24;

    /** struct xdp_desc (16 bytes), the RX and TX ring entry: addr u64@0, len u32@8, options u32@12. */
    static final int DESC_SIZE = 16;
    static final int DESC_ADDR = 0;
    static final int DESC_LEN = 8;
    static final int DESC_OPTIONS = 12;
    /** FILL and COMPLETION ring entries: a u64 UMEM address. */
    static final int ADDR_SIZE = 8;

    /**
     * struct sockaddr_xdp (16 bytes): sxdp_family u16@0, sxdp_flags u16@2, sxdp_ifindex u32@4,
     * sxdp_queue_id u32@8, sxdp_shared_umem_fd u32@12.
     */
    static final int SOCKADDR_SIZE = 16;
    static final int SOCKADDR_FAMILY = 0;
    static final int SOCKADDR_FLAGS = 2;
    static final int SOCKADDR_IFINDEX = 4;
    static final int SOCKADDR_QUEUE_ID = 8;

    /** struct xdp_statistics (48 bytes): six u64 counters. */
    static final int STATISTICS_SIZE = 48;

    // poll, send/recv
    static final int POLLFD_SIZE = 8;
    static final short POLLIN = 1;
    static final short POLLOUT = 4;
    static final int MSG_DONTWAIT = 0x40;

    // mmap
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final int MAP_PRIVATE = 2;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_POPULATE = 0x8000;
    static final int MAP_HUGETLB = 0x40000;

    // errno
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int EBUSY = 16;
    static final int ENETDOWN = 100;
    static final int ENOBUFS = 105;
    static final int EOPNOTSUPP = 95;

    /** The kernel's XDP_PACKET_HEADROOM: in copy mode a frame starts this far into its chunk. */
    static final int XDP_PACKET_HEADROOM = 256;
}
