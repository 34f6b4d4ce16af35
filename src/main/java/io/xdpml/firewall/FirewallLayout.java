package io.xdpml.firewall;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Byte layouts of the structs in {@code bpf/include/xdpml/firewall.h} (little-endian host order,
 * as the kernel stores them). FirewallHeaderTest checks sizes and offsets against the object's BTF.
 */
public final class FirewallLayout {
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** struct xdpml_fw_prefix_key (LPM trie key). */
    public static final int PREFIX_KEY_SIZE = 24;
    public static final int PREFIX_KEY_PREFIXLEN = 0;
    public static final int PREFIX_KEY_GEN = 4;
    public static final int PREFIX_KEY_KIND = 5;
    public static final int PREFIX_KEY_FAMILY = 6;
    public static final int PREFIX_KEY_ADDR = 8;
    /** Bits of the key before the address: generation, kind, family, pad. */
    public static final int PREFIX_KEY_FIXED_BITS = 32;

    /** struct xdpml_fw_rule_key (LPM trie key). */
    public static final int RULE_KEY_SIZE = 20;
    public static final int RULE_KEY_PREFIXLEN = 0;
    public static final int RULE_KEY_GEN = 4;
    public static final int RULE_KEY_PROTO = 5;
    public static final int RULE_KEY_SRC_SET = 8;
    public static final int RULE_KEY_DST_SET = 12;
    public static final int RULE_KEY_PORT = 16;
    /** Bits of the key before the port. */
    public static final int RULE_KEY_FIXED_BITS = 96;

    /** struct xdpml_fw_rule. */
    public static final int RULE_SIZE = 8;
    public static final int RULE_SLOT = 0;
    public static final int RULE_ACTION = 4;

    /** struct xdpml_fw_config. */
    public static final int CONFIG_SIZE = 144;
    public static final int CONFIG_DEFAULT_ACTION = 0;
    public static final int CONFIG_MALFORMED_PASS = 1;
    public static final int CONFIG_CONNTRACK = 2;
    public static final int CONFIG_CT_STRICT = 3;
    public static final int CONFIG_HAS_DENY_SRC = 4;
    public static final int CONFIG_HAS_DENY_DST = 5;
    public static final int CONFIG_HAS_ALLOW_SRC = 6;
    public static final int CONFIG_HAS_ALLOW_DST = 7;
    public static final int CONFIG_HAS_RULES = 8;
    public static final int CONFIG_SYN_COOKIES = 9;
    public static final int CONFIG_TUNNEL_CHECK = 10;
    public static final int CONFIG_TIMEOUT_SYN = 16;
    public static final int CONFIG_TIMEOUT_EST = 24;
    public static final int CONFIG_TIMEOUT_FIN = 32;
    public static final int CONFIG_TIMEOUT_UDP = 40;
    public static final int CONFIG_RATE_PPS = 48;
    public static final int CONFIG_RATE_CAP = 56;
    public static final int CONFIG_SYN_PPS = 64;
    public static final int CONFIG_SYN_CAP = 72;
    public static final int CONFIG_RULE_COUNT = 80;
    public static final int CONFIG_FLOOD_PPS = 88;
    public static final int CONFIG_FLOOD_CAP = 96;
    public static final int CONFIG_STAMP = 104;
    public static final int CONFIG_BARE_PPS = 112;
    public static final int CONFIG_BARE_CAP = 120;
    public static final int CONFIG_ICMP_PPS = 128;
    public static final int CONFIG_ICMP_CAP = 136;

    /** struct xdpml_fw_ct_key and struct xdpml_fw_ct. */
    public static final int CT_KEY_SIZE = 44;
    public static final int CT_KEY_ADDR_A = 0;
    public static final int CT_KEY_ADDR_B = 16;
    public static final int CT_KEY_PORT_A = 32;
    public static final int CT_KEY_PORT_B = 34;
    public static final int CT_KEY_PROTO = 36;
    public static final int CT_KEY_FAMILY = 37;
    public static final int CT_KEY_VNI = 40;
    /**
     * XDPML_FW_TUNNELLED: set in a conntrack or rate key's VNI word for a packet inside VXLAN, VNI 0
     * included, so that it never shares the native packet's connection or bucket (since 2026-12-06;
     * before, the word was the raw VNI, 0 for native and VNI 0 alike).
     */
    public static final int KEY_TUNNELLED = 1 << 24;
    /** 24 bytes since 2026-12-06 (the sequence ends); 16 before. */
    public static final int CT_SIZE = 24;
    public static final int CT_LAST_NS = 0;
    public static final int CT_STATE = 8;
    public static final int CT_INITIATOR_IS_A = 9;
    public static final int CT_FIN_SEEN = 10;
    public static final int CT_SEQ_KNOWN = 11;
    public static final int CT_NEXT_SEQ = 16;

    /** The key VNI word of a packet with VNI {@code vni}, through VXLAN or not (xdpml_fw_key_vni). */
    public static int keyVni(int vni, boolean tunnelled) {
        return tunnelled ? vni | KEY_TUNNELLED : vni;
    }

    /**
     * What a conntrack key's VNI word names: "vni N" for a connection inside VXLAN (VNI 0 included),
     * "" for a native one. A program loaded before 2026-12-06 wrote the raw VNI, unmarked: a non-zero
     * one is shown as it is.
     */
    public static String vniLabel(int word) {
        if ((word & KEY_TUNNELLED) != 0) {
            return "vni " + (word & (KEY_TUNNELLED - 1));
        }
        return word != 0 ? "vni " + word : "";
    }

    /** struct xdpml_fw_rate_key and struct xdpml_fw_rate (two buckets: level, last_ns). */
    public static final int RATE_KEY_SIZE = 24;
    public static final int RATE_KEY_FAMILY = 16;
    public static final int RATE_KEY_VNI = 20;
    public static final int RATE_SIZE = 32;

    /** struct xdpml_fw_measure_key and struct xdpml_fw_measure (xdpml_fw_measures). */
    public static final int MEASURE_KEY_SIZE = 20;
    public static final int MEASURE_KEY_VICTIM = 0;
    public static final int MEASURE_KEY_PROTO = 16;
    public static final int MEASURE_KEY_KIND = 17;
    public static final int MEASURE_KEY_PORT = 18;
    public static final int MEASURE_SIZE = 56;
    public static final int MEASURE_EXPIRES_NS = 8;
    public static final int MEASURE_HITS = 16;
    public static final int MEASURE_PPS = 24;
    public static final int MEASURE_CAP = 32;
    public static final int MEASURE_LEVEL = 40;
    public static final int MEASURE_LAST_NS = 48;

    /** enum xdpml_fw_measure_kind. */
    public static final int M_PORT_DROP = 1;
    public static final int M_SYN_LIMIT = 2;
    public static final int M_UDP_LIMIT = 3;
    public static final int M_BARE_SYN = 4;

    /** struct xdpml_fw_verdict. */
    public static final int VERDICT_REASON = 0;
    public static final int VERDICT_SLOT = 4;

    /** struct xdpml_fw_counters. */
    public static final int COUNTERS_SIZE = 8 * FirewallCounter.SLOTS;

    /** The rule slot of a packet no rule decided. */
    public static final int NO_RULE = -1;

    public static final int PASS = 0;
    public static final int DROP = 1;

    /** enum xdpml_fw_kind. */
    public static final int DENY_SRC = 0;
    public static final int DENY_DST = 1;
    public static final int ALLOW_SRC = 2;
    public static final int ALLOW_DST = 3;
    public static final int RULE_SRC = 4;
    public static final int RULE_DST = 5;

    /** enum xdpml_fw_ct_state. */
    public static final int CT_SYN_SENT = 1;
    public static final int CT_SYN_RECV = 2;
    public static final int CT_ESTABLISHED = 3;
    public static final int CT_FIN_WAIT = 4;
    public static final int CT_CLOSED = 5;
    public static final int CT_UDP = 6;

    /** Nano-tokens per token of the integer token buckets. */
    public static final long NS_PER_TOKEN = 1_000_000_000L;

    private FirewallLayout() {}

    public static String ctStateName(int state) {
        return switch (state) {
            case CT_SYN_SENT -> "syn_sent";
            case CT_SYN_RECV -> "syn_recv";
            case CT_ESTABLISHED -> "established";
            case CT_FIN_WAIT -> "fin_wait";
            case CT_CLOSED -> "closed";
            case CT_UDP -> "udp";
            default -> "state" + state;
        };
    }

    static int u8(MemorySegment s, long off) {
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, off));
    }
}
