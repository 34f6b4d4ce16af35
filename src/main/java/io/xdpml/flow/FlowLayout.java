package io.xdpml.flow;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Byte layouts of {@code struct xdpml_flow_key} and {@code struct xdpml_flow} (bpf/include/xdpml/
 * flow.h), host byte order. FlowLayoutTest holds every offset against the compiled object's BTF.
 *
 * <pre>
 * xdpml_flow_key (44 bytes)
 *   0 addr_a[16]  16 addr_b[16]  32 port_a u16  34 port_b u16  36 protocol u8  37 ip_version u8
 *  38 vlan u16    40 vni u32 (inside VXLAN: the VNI | {@link #KEY_TUNNELLED}; else 0)
 *
 * xdpml_flow (304 bytes)
 *   0 first_ns  8 last_ns  16 dir[0] (80 bytes)  96 dir[1] (80 bytes)
 * 176 iat_sum_us  184 iat_sum_sq  192 iat_min_us u32  196 iat_max_us u32  200 tcp_flags u32[8]
 * 232 len.mean s64  240 len.mad  248 iat.mean  256 iat.mad  264 dir_run.mean  272 dir_run.mad
 * 280 initiator_is_a u8  281 closing u8  282 sampled u8  283 verdict u8  284 verdict_gen u32
 * 288 exported_ns  296 untimed
 *
 * xdpml_flow_record (368 bytes, in the ring buffer)
 *   0 time_ns  8 reason u32  12 pad  16 key (44)  60 pad  64 flow (304)
 *
 * xdpml_flow_dir (80 bytes, at 16 + 80 * direction)
 *   0 packets  8 bytes  16 len_sum_sq  24 header_bytes  32 iat_sum_us  40 iat_sum_sq  48 last_ns
 *  56 len_min u32  60 len_max u32  64 iat_min_us u32  68 iat_max_us u32  72 init_window u16
 *  74 data_packets u16  76 untimed u32
 * </pre>
 */
public final class FlowLayout {
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    // struct xdpml_flow_key
    public static final int KEY_SIZE = 44;
    public static final int KEY_ADDR_A = 0;
    public static final int KEY_ADDR_B = 16;
    public static final int KEY_PORT_A = 32;
    public static final int KEY_PORT_B = 34;
    public static final int KEY_PROTOCOL = 36;
    public static final int KEY_IP_VERSION = 37;
    public static final int KEY_VLAN = 38;
    public static final int KEY_VNI = 40;
    /**
     * {@code XDPML_FLOW_TUNNELLED}: set in the key's vni for a flow inside VXLAN, VNI 0 included, so
     * that it never shares the key of the native flow of the same 5-tuple (since 2026-12-06).
     */
    public static final int KEY_TUNNELLED = 1 << 24;

    // struct xdpml_flow
    public static final int FLOW_SIZE = 304;
    public static final int FIRST_NS = 0;
    public static final int LAST_NS = 8;
    public static final int DIR = 16;
    public static final int DIR_SIZE = 80;
    public static final int IAT_SUM_US = 176;
    public static final int IAT_SUM_SQ = 184;
    public static final int IAT_MIN_US = 192;
    public static final int IAT_MAX_US = 196;
    public static final int TCP_FLAGS = 200;
    public static final int RUN_LEN = 232;
    public static final int RUN_IAT = 248;
    public static final int RUN_DIR = 264;
    public static final int RUN_MEAN = 0;
    public static final int RUN_MAD = 8;
    public static final int INITIATOR_IS_A = 280;
    public static final int CLOSING = 281;
    public static final int SAMPLED = 282;
    /** Cached class + 1 of the classify pipeline's flow mode; 0: none. */
    public static final int VERDICT = 283;
    /**
     * Bits 0-21: the generation (modulo 2^22) of the model that gave {@link #VERDICT}; bits 22-31:
     * that class's confidence in thousandths.
     */
    public static final int VERDICT_GEN = 284;

    /** The confidence (0 to 1) of the class cached in flow state {@code s} ({@link #VERDICT_GEN}'s bits 22-31, thousandths). */
    public static double cachedConfidence(MemorySegment s) {
        return (s.get(U32, VERDICT_GEN) >>> 22) / 1000.0;
    }
    public static final int EXPORTED_NS = 288;
    /**
     * Packets (the first excepted) in neither the flow's intervals nor its running statistics: counted
     * while its class was cached ({@link FlowUpdater#updateCached}); u64.
     */
    public static final int UNTIMED = 296;

    /** {@code closing} bits (XDPML_CLOSE_*). */
    public static final int CLOSE_FIN_FWD = 1;
    public static final int CLOSE_FIN_BWD = 2;
    public static final int CLOSE_RST = 4;
    public static final int CLOSE_ENDED = 8;

    // struct xdpml_flow_record
    public static final int RECORD_SIZE = 368;
    public static final int RECORD_TIME_NS = 0;
    public static final int RECORD_REASON = 8;
    public static final int RECORD_KEY = 16;
    public static final int RECORD_FLOW = 64;

    // struct xdpml_flow_dir, relative to DIR + DIR_SIZE * direction
    public static final int D_PACKETS = 0;
    public static final int D_BYTES = 8;
    public static final int D_LEN_SUM_SQ = 16;
    public static final int D_HEADER_BYTES = 24;
    public static final int D_IAT_SUM_US = 32;
    public static final int D_IAT_SUM_SQ = 40;
    public static final int D_LAST_NS = 48;
    public static final int D_LEN_MIN = 56;
    public static final int D_LEN_MAX = 60;
    public static final int D_IAT_MIN_US = 64;
    public static final int D_IAT_MAX_US = 68;
    public static final int D_INIT_WINDOW = 72;
    /** Packets with bytes past the transport header (the IP packet's stated length, so no padding), saturating at 65,535. */
    public static final int D_DATA_PACKETS = 74;
    /** Packets of the direction (its first excepted) not in its intervals, as {@link #UNTIMED}; u32, saturating. */
    public static final int D_UNTIMED = 76;

    public static final int FWD = 0;
    public static final int BWD = 1;

    /**
     * The places of {@link #TCP_FLAGS}'s eight u32 counters (packets of the flow, both ways, with the flag),
     * in the TCP header's bit order: FIN 0x01 at 0 ... CWR 0x80 at 7.
     */
    public static final int FLAG_FIN = 0;
    public static final int FLAG_SYN = 1;
    public static final int FLAG_RST = 2;
    public static final int FLAG_PSH = 3;
    public static final int FLAG_ACK = 4;
    public static final int FLAG_URG = 5;
    public static final int FLAG_ECE = 6;
    public static final int FLAG_CWR = 7;

    private FlowLayout() {}

    public static long dirOffset(int direction) {
        return DIR + (long) DIR_SIZE * direction;
    }

    public static long u64(MemorySegment s, long off) {
        return s.get(U64, off);
    }

    public static long u32(MemorySegment s, long off) {
        return s.get(U32, off) & 0xffff_ffffL;
    }

    public static int u16(MemorySegment s, long off) {
        return s.get(U16, off) & 0xffff;
    }

    /** The offset of the counter of TCP flag {@code flag} ({@link #FLAG_FIN} ... {@link #FLAG_CWR}). */
    public static long tcpFlagOffset(int flag) {
        return TCP_FLAGS + 4L * flag;
    }

    /** Packets of flow state {@code s} (both ways) with TCP flag {@code flag} ({@link #FLAG_FIN} ... {@link #FLAG_CWR}). */
    public static long tcpFlagCount(MemorySegment s, int flag) {
        return u32(s, tcpFlagOffset(flag));
    }

    /** The TCP flags seen in flow state {@code s} (either way), as the header's bits: FIN 0x01 ... CWR 0x80. */
    public static int tcpFlagsSeen(MemorySegment s) {
        int bits = 0;
        for (int flag = FLAG_FIN; flag <= FLAG_CWR; flag++) {
            if (tcpFlagCount(s, flag) != 0) {
                bits |= 1 << flag;
            }
        }
        return bits;
    }

    /** The VXLAN VNI of a flow key (0 for a flow outside VXLAN), without {@link #KEY_TUNNELLED}. */
    public static int keyVni(MemorySegment key) {
        return key.get(U32, KEY_VNI) & (KEY_TUNNELLED - 1);
    }

    /** Whether a flow key is of a flow inside VXLAN (whatever its VNI, 0 included). */
    public static boolean keyTunnelled(MemorySegment key) {
        return (key.get(U32, KEY_VNI) & KEY_TUNNELLED) != 0;
    }
}
