package io.xdpml.packet;

/**
 * The parse counters, in the order and with the ids of {@code enum xdpml_counter} in
 * {@code bpf/include/xdpml/counters.h} (a test holds the two together). Protocol counters count
 * packets that carry the protocol in any layer; error counters count packets by the reason their
 * parse stopped.
 */
public enum ParseCounter {
    PACKETS(0, "packets", "XDPML_C_PACKETS"),
    ETHERNET(1, "ethernet", "XDPML_C_ETHERNET"),
    VLAN(2, "vlan", "XDPML_C_VLAN"),
    IPV4(3, "ipv4", "XDPML_C_IPV4"),
    IPV6(4, "ipv6", "XDPML_C_IPV6"),
    TCP(5, "tcp", "XDPML_C_TCP"),
    UDP(6, "udp", "XDPML_C_UDP"),
    ICMP(7, "icmp", "XDPML_C_ICMP"),
    ICMPV6(8, "icmpv6", "XDPML_C_ICMPV6"),
    VXLAN(9, "vxlan", "XDPML_C_VXLAN"),
    FRAGMENTS(10, "fragments", "XDPML_C_FRAGMENTS"),

    ETH_TRUNCATED(16, "eth_truncated", "XDPML_E_ETH_TRUNCATED"),
    VLAN_TRUNCATED(17, "vlan_truncated", "XDPML_E_VLAN_TRUNCATED"),
    VLAN_TOO_DEEP(18, "vlan_too_deep", "XDPML_E_VLAN_TOO_DEEP"),
    IPV4_TRUNCATED(19, "ipv4_truncated", "XDPML_E_IPV4_TRUNCATED"),
    IPV4_BAD_VERSION(20, "ipv4_bad_version", "XDPML_E_IPV4_BAD_VERSION"),
    IPV4_BAD_IHL(21, "ipv4_bad_ihl", "XDPML_E_IPV4_BAD_IHL"),
    IPV4_BAD_TOTAL_LENGTH(22, "ipv4_bad_total_length", "XDPML_E_IPV4_BAD_TOTAL_LENGTH"),
    IPV6_TRUNCATED(23, "ipv6_truncated", "XDPML_E_IPV6_TRUNCATED"),
    IPV6_BAD_VERSION(24, "ipv6_bad_version", "XDPML_E_IPV6_BAD_VERSION"),
    IPV6_EXT_TRUNCATED(25, "ipv6_ext_truncated", "XDPML_E_IPV6_EXT_TRUNCATED"),
    IPV6_EXT_TOO_DEEP(26, "ipv6_ext_too_deep", "XDPML_E_IPV6_EXT_TOO_DEEP"),
    TCP_TRUNCATED(27, "tcp_truncated", "XDPML_E_TCP_TRUNCATED"),
    TCP_BAD_DATA_OFFSET(28, "tcp_bad_data_offset", "XDPML_E_TCP_BAD_DATA_OFFSET"),
    UDP_TRUNCATED(29, "udp_truncated", "XDPML_E_UDP_TRUNCATED"),
    ICMP_TRUNCATED(30, "icmp_truncated", "XDPML_E_ICMP_TRUNCATED"),
    ICMPV6_TRUNCATED(31, "icmpv6_truncated", "XDPML_E_ICMPV6_TRUNCATED"),
    VXLAN_TRUNCATED(32, "vxlan_truncated", "XDPML_E_VXLAN_TRUNCATED"),
    VXLAN_BAD_FLAGS(33, "vxlan_bad_flags", "XDPML_E_VXLAN_BAD_FLAGS"),
    HEADER_TOO_DEEP(34, "header_too_deep", "XDPML_E_HEADER_TOO_DEEP");

    /** Slots in the kernel's per-CPU counter value ({@code XDPML_COUNTER_MAX}). */
    public static final int SLOTS = 64;
    /** Id of the first error reason ({@code XDPML_E_FIRST}). */
    public static final int FIRST_ERROR = 16;

    private static final ParseCounter[] BY_ID = new ParseCounter[SLOTS];

    static {
        for (ParseCounter c : values()) {
            BY_ID[c.id] = c;
        }
    }

    private final int id;
    private final String jsonName;
    private final String cName;

    ParseCounter(int id, String jsonName, String cName) {
        this.id = id;
        this.jsonName = jsonName;
        this.cName = cName;
    }

    /** Index in the kernel's counter array, and the value of a summary's error field. */
    public int id() {
        return id;
    }

    /** Name in {@code xdpml inspect --json}. */
    public String jsonName() {
        return jsonName;
    }

    /** Name of the enumerator in counters.h. */
    public String cName() {
        return cName;
    }

    public boolean isError() {
        return id >= FIRST_ERROR;
    }

    /** The counter with this id, or null. */
    public static ParseCounter byId(int id) {
        return id >= 0 && id < SLOTS ? BY_ID[id] : null;
    }
}
