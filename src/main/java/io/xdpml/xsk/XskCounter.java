package io.xdpml.xsk;

/** The redirect stage's counters ({@code enum xdpml_xsk_counter} in bpf/include/xdpml/xsk.h), in index order. */
public enum XskCounter {
    /** Packets that reached the sample stage: not dropped by an earlier stage, and the model's drops when they are sampled too. */
    SEEN,
    /** Packets chosen by the 1-in-N sampling (all when N <= 1). */
    SAMPLED,
    /** Sampled packets redirected to a socket. */
    REDIRECTED,
    /** Sampled packets whose queue had no socket (given the other action). */
    NO_SOCKET,
    /**
     * Sampled packets without room for metadata: redirected without it ({@link MetadataLayout#BEFORE_FRAME});
     * with it in front of the frame ({@link MetadataLayout#IN_FRAME}) not redirected but passed on, also
     * when too long for the sockets' frames with it ({@link XskSocket#inFrameMetadataRoom()}).
     */
    META_FAILED,
    /** Packets dropped by the blocks stage (closed-loop mitigation): their source or flow is blocked. */
    BLOCKED,
    /** Mirror hand-off: sampled packets copied into the mirror ring buffer (and passed on). */
    MIRRORED,
    /** Mirror hand-off: sampled packets not copied because the ring was full (Java behind); still passed on. */
    MIRROR_LOST,
    /** Sampled packets over the rate cap of the path to Java: not handed over, passed on. */
    CAPPED,
    /** Flows' first packets (of each direction) not sampled but copied to Java (mirror delivery, the first-packet pick: deliver.h). */
    FIRST_PICKED,
    /** Flows' first packets (of each direction) over the first-packet pick's rate per CPU: not copied. */
    FIRST_CAPPED,
    /** Flows' first packets not copied because the mirror ring was full. */
    FIRST_LOST,
    /** Of {@link #BLOCKED}: packets the parse stopped short of what Linux reaches (an IPv6 extension chain, a header past the parser's reach, a fifth VLAN tag) while blocks exist. */
    BLOCKED_UNREADABLE;

    /** Slots in the kernel's counter array ({@code XDPML_XC_MAX}). */
    public static final int SLOTS = 16;
}
