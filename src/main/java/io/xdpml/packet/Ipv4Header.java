package io.xdpml.packet;

/**
 * IPv4 header (RFC 791).
 *
 * <pre>
 *  0       4       8              16      19              31
 *  +-------+-------+---------------+-------------------------+
 *  |version|  IHL  |     TOS       |      total length       |   0
 *  +-------+-------+---------------+-----+-------------------+
 *  |        identification         |flags| fragment offset   |   4
 *  +---------------+---------------+-----+-------------------+
 *  |     TTL       |   protocol    |     header checksum     |   8
 *  +---------------+---------------+-------------------------+
 *  |                      source address                     |  12
 *  |                   destination address                   |  16
 *  +---------------------------------------------------------+
 * </pre>
 */
public final class Ipv4Header {
    public static final int MIN_LENGTH = 20;
    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int FRAGMENT_OFFSET = 6;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int SOURCE_OFFSET = 12;
    public static final int DESTINATION_OFFSET = 16;

    /** MF flag and the 13-bit fragment offset: non-zero on any fragment. */
    public static final int FRAGMENT_MASK = 0x3fff;
    /** The 13-bit fragment offset: non-zero on fragments after the first. */
    public static final int FRAGMENT_OFFSET_MASK = 0x1fff;

    private Ipv4Header() {}
}
