package io.xdpml.packet;

/**
 * Transport and tunnel header layouts: TCP, UDP, ICMP, ICMPv6, VXLAN.
 *
 * <pre>
 *  TCP  | src port | dst port | seq (4) | ack (4) | data offset(4 bits).. | flags | ...  min 20 bytes
 *  UDP  | src port | dst port | length | checksum |                              8 bytes
 *  ICMP | type | code | checksum | rest of header (4) |                         8 bytes
 *  ICMPv6 | type | code | checksum |                                           4 bytes
 *  VXLAN | flags (I = 0x08) | reserved (3) | VNI (3) | reserved |               8 bytes
 * </pre>
 */
public final class TransportHeaders {
    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int PROTO_ICMPV6 = 58;

    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;

    public static final int TCP_MIN_LENGTH = 20;
    public static final int TCP_DATA_OFFSET_OFFSET = 12;
    public static final int TCP_FLAGS_OFFSET = 13;
    public static final int UDP_LENGTH = 8;
    public static final int ICMP_LENGTH = 8;
    public static final int ICMPV6_LENGTH = 4;

    public static final int VXLAN_LENGTH = 8;
    public static final int VXLAN_FLAG_VNI_VALID = 0x08;
    public static final int VXLAN_VNI_OFFSET = 4;
    public static final int VXLAN_DEFAULT_PORT = 4789;
    /** The largest VNI (24 bits). */
    public static final int VXLAN_MAX_VNI = 0xffffff;

    private TransportHeaders() {}
}
