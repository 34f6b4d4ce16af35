package io.xdpml.pcap;

/**
 * Link-layer header types (LINKTYPE_* values of the tcpdump.org registry) that this project
 * knows by name. Values are plain {@code int}s, as they appear in capture files.
 */
public final class LinkType {
    /** BSD loopback: 4-byte address family in the byte order of the capturing host. */
    public static final int NULL = 0;
    /** IEEE 802.3 Ethernet (10/100/1000...). */
    public static final int ETHERNET = 1;
    /** Raw IP as DLT_RAW on most BSDs and old Linux captures (value 12 written into files). */
    public static final int RAW_12 = 12;
    /** Raw IP as DLT_RAW on OpenBSD (value 14 written into files). */
    public static final int RAW_14 = 14;
    /** Raw IPv4 or IPv6, version told by the first nibble. */
    public static final int RAW = 101;
    /** IEEE 802.11 wireless (named for messages only; not framed). */
    public static final int IEEE802_11 = 105;
    /** OpenBSD loopback: 4-byte address family in network byte order. */
    public static final int LOOP = 108;
    /** Linux "cooked" capture v1 (16-byte header). */
    public static final int LINUX_SLL = 113;
    /** IEEE 802.11 with radiotap header (named for messages only; not framed). */
    public static final int IEEE802_11_RADIOTAP = 127;
    /** Raw IPv4. */
    public static final int IPV4 = 228;
    /** Raw IPv6. */
    public static final int IPV6 = 229;
    /** Linux "cooked" capture v2 (20-byte header). */
    public static final int LINUX_SLL2 = 276;

    private LinkType() {}

    /** The constant's name, e.g. {@code "ETHERNET"}, or {@code "LINKTYPE_147"} for an unnamed value. */
    public static String name(int linkType) {
        return switch (linkType) {
            case NULL -> "NULL";
            case ETHERNET -> "ETHERNET";
            case RAW_12, RAW_14, RAW -> "RAW";
            case IEEE802_11 -> "IEEE802_11";
            case LOOP -> "LOOP";
            case LINUX_SLL -> "LINUX_SLL";
            case IEEE802_11_RADIOTAP -> "IEEE802_11_RADIOTAP";
            case IPV4 -> "IPV4";
            case IPV6 -> "IPV6";
            case LINUX_SLL2 -> "LINUX_SLL2";
            default -> "LINKTYPE_" + linkType;
        };
    }
}
