package io.xdpml.packet;

/**
 * IPv6 fixed header (RFC 8200) and the extension headers the parser walks.
 *
 * <pre>
 *  0       4               12                              31
 *  +-------+---------------+--------------------------------+
 *  |version| traffic class |          flow label            |   0
 *  +-------+---------------+-------+-------------+----------+
 *  |        payload length         | next header | hop limit|   4
 *  +-------------------------------+-------------+----------+
 *  |                 source address (16 bytes)              |   8
 *  |              destination address (16 bytes)            |  24
 *  +--------------------------------------------------------+
 *  extension header: | next header | length | ...
 *    hop-by-hop (0), routing (43), destination options (60): (length + 1) * 8 bytes
 *    authentication (51): (length + 2) * 4 bytes;  fragment (44): 8 bytes,
 *    fragment offset in the upper 13 bits of bytes 2-3
 * </pre>
 */
public final class Ipv6Header {
    public static final int LENGTH = 40;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int SOURCE_OFFSET = 8;
    public static final int DESTINATION_OFFSET = 24;

    public static final int HOP_BY_HOP = 0;
    public static final int ROUTING = 43;
    public static final int FRAGMENT = 44;
    public static final int AUTHENTICATION = 51;
    public static final int DESTINATION_OPTIONS = 60;

    public static final int FRAGMENT_HEADER_LENGTH = 8;
    public static final int FRAGMENT_OFFSET_FIELD = 2;
    public static final int FRAGMENT_OFFSET_MASK = 0xfff8;

    private Ipv6Header() {}

    /** True for the extension headers the parser walks past. */
    public static boolean isExtension(int nextHeader) {
        return nextHeader == HOP_BY_HOP || nextHeader == ROUTING || nextHeader == DESTINATION_OPTIONS
                || nextHeader == AUTHENTICATION || nextHeader == FRAGMENT;
    }
}
