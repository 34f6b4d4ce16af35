package io.xdpml.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * What the parser found in one packet; a reusable, mutable holder (one per thread, no
 * allocation per packet). The kernel writes the same record ({@code struct xdpml_parse_summary},
 * host byte order) and {@link #readFrom} reads it.
 *
 * <pre>
 *  0       4       6    7    8       10      12   13   14      16      18      20      24
 *  +-------+-------+----+----+-------+-------+----+----+-------+-------+-------+-------+
 *  | flags | error |vlan|ivln| l3_off| l4_off|l4p |ext | sport | dport |  pad  |  vni  |
 *  +-------+-------+----+----+-------+-------+----+----+-------+-------+-------+-------+
 * </pre>
 */
public final class ParseSummary {
    public static final int SIZE = 24;
    public static final int FLAGS_OFFSET = 0;
    public static final int ERROR_OFFSET = 4;
    public static final int VLAN_DEPTH_OFFSET = 6;
    public static final int INNER_VLAN_DEPTH_OFFSET = 7;
    public static final int L3_OFFSET_OFFSET = 8;
    public static final int L4_OFFSET_OFFSET = 10;
    public static final int L4_PROTO_OFFSET = 12;
    public static final int IPV6_EXT_OFFSET = 13;
    public static final int SPORT_OFFSET = 14;
    public static final int DPORT_OFFSET = 16;
    public static final int VNI_OFFSET = 20;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    int flags;
    int error;
    int vlanDepth;
    int innerVlanDepth;
    int l3Offset;
    int l4Offset;
    int l4Protocol;
    int ipv6Extensions;
    int sourcePort;
    int destinationPort;
    int vni;

    void clear() {
        flags = 0;
        error = 0;
        vlanDepth = 0;
        innerVlanDepth = 0;
        l3Offset = 0;
        l4Offset = 0;
        l4Protocol = 0;
        ipv6Extensions = 0;
        sourcePort = 0;
        destinationPort = 0;
        vni = 0;
    }

    /** Reads the kernel's record. */
    public ParseSummary readFrom(MemorySegment s) {
        flags = s.get(U32, FLAGS_OFFSET);
        error = s.get(U16, ERROR_OFFSET) & 0xffff;
        vlanDepth = Bytes.u8(s, VLAN_DEPTH_OFFSET);
        innerVlanDepth = Bytes.u8(s, INNER_VLAN_DEPTH_OFFSET);
        l3Offset = s.get(U16, L3_OFFSET_OFFSET) & 0xffff;
        l4Offset = s.get(U16, L4_OFFSET_OFFSET) & 0xffff;
        l4Protocol = Bytes.u8(s, L4_PROTO_OFFSET);
        ipv6Extensions = Bytes.u8(s, IPV6_EXT_OFFSET);
        sourcePort = s.get(U16, SPORT_OFFSET) & 0xffff;
        destinationPort = s.get(U16, DPORT_OFFSET) & 0xffff;
        vni = s.get(U32, VNI_OFFSET);
        return this;
    }

    /** {@link ParseFlags} of the protocols seen, in any layer. */
    public int flags() {
        return flags;
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** 0, or the {@link ParseCounter#id()} of the reason the parse stopped. */
    public int error() {
        return error;
    }

    /**
     * Whether the parse stopped at one of the parser's own limits, not at a fault of the packet: an
     * IPv6 extension chain longer than the parser walks, a header past its reach, a fifth VLAN tag
     * (at any layer). What lies beyond is unknown here and reached by Linux. As
     * {@code xdpml_parse_stopped_short} (parse.h).
     */
    public boolean stoppedShort() {
        return error == ParseCounter.IPV6_EXT_TOO_DEEP.id() || error == ParseCounter.HEADER_TOO_DEEP.id()
                || error == ParseCounter.VLAN_TOO_DEEP.id();
    }

    /** The error reason, or null. */
    public ParseCounter errorCounter() {
        return error == 0 ? null : ParseCounter.byId(error);
    }

    public int vlanDepth() {
        return vlanDepth;
    }

    public int innerVlanDepth() {
        return innerVlanDepth;
    }

    /** Offset of the innermost IP header; 0 when none. */
    public int l3Offset() {
        return l3Offset;
    }

    /** Offset of the innermost transport header; 0 when none. */
    public int l4Offset() {
        return l4Offset;
    }

    public int l4Protocol() {
        return l4Protocol;
    }

    public int ipv6Extensions() {
        return ipv6Extensions;
    }

    public int sourcePort() {
        return sourcePort;
    }

    public int destinationPort() {
        return destinationPort;
    }

    public int vni() {
        return vni;
    }

    /** Field-by-field equality with another summary (no allocation). */
    public boolean sameAs(ParseSummary o) {
        return flags == o.flags && error == o.error && vlanDepth == o.vlanDepth
                && innerVlanDepth == o.innerVlanDepth && l3Offset == o.l3Offset && l4Offset == o.l4Offset
                && l4Protocol == o.l4Protocol && ipv6Extensions == o.ipv6Extensions
                && sourcePort == o.sourcePort && destinationPort == o.destinationPort && vni == o.vni;
    }

    @Override
    public String toString() {
        ParseCounter e = errorCounter();
        return "flags=0x" + Integer.toHexString(flags) + " error=" + (e == null ? error : e.jsonName())
                + " vlan=" + vlanDepth + "/" + innerVlanDepth + " l3@" + l3Offset + " l4@" + l4Offset
                + " proto=" + l4Protocol + " ext=" + ipv6Extensions + " ports=" + sourcePort + ">"
                + destinationPort + " vni=" + vni;
    }
}
