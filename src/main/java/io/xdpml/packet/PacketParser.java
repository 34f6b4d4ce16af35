package io.xdpml.packet;

import static io.xdpml.packet.Bytes.be16;
import static io.xdpml.packet.Bytes.u8;

import java.lang.foreign.MemorySegment;

/**
 * The reference parser: the Java twin of {@code bpf/include/xdpml/parse.h}, with identical
 * semantics (docs/parser.md), held to the kernel packet by packet in the tests. It reads the frame
 * in place and writes into a caller-owned {@link ParseSummary}: no allocation per packet. One
 * instance per thread.
 *
 * <p>Methods return {@code -1} when the parse stopped on an error (set in the summary), {@code 1}
 * when a VXLAN inner frame follows (its offset in {@link #inner}), {@code 0} otherwise, like the C
 * functions they mirror.
 */
public final class PacketParser {
    /** VLAN tags parsed per Ethernet frame ({@code XDPML_MAX_VLAN}). */
    public static final int MAX_VLAN = 4;
    /** IPv6 extension headers walked per IP header ({@code XDPML_MAX_IPV6_EXT}). */
    public static final int MAX_IPV6_EXT = 8;
    /** No header may start beyond this offset ({@code XDPML_MAX_HDR_OFF}). */
    public static final int MAX_HEADER_OFFSET = 2048;

    private final int vxlanPort;

    // per-packet state, reused
    private MemorySegment data;
    private long base;
    private long length;
    private int limit;
    private int inner;
    private ParseSummary s;

    public PacketParser() {
        this(TransportHeaders.VXLAN_DEFAULT_PORT);
    }

    /** @param vxlanPort UDP destination port decoded as VXLAN ({@code cfg_vxlan_port}; 0: none is) */
    public PacketParser(int vxlanPort) {
        this.vxlanPort = vxlanPort & 0xffff;
    }

    public int vxlanPort() {
        return vxlanPort;
    }

    /**
     * Parses a whole packet: the outer frame and, after VXLAN, the inner one.
     *
     * @param frame  the frame's bytes
     * @param length how many of them the packet has (what XDP's data_end would allow)
     * @param out    receives the result
     */
    public void parse(MemorySegment frame, long length, ParseSummary out) {
        parse(frame, 0, length, out);
    }

    /**
     * Parses the frame of {@code length} bytes at {@code offset} in {@code buffer} (a capture
     * held in memory, a UMEM): no slice needed.
     */
    public void parse(MemorySegment buffer, long offset, long length, ParseSummary out) {
        this.data = buffer;
        this.base = offset;
        this.length = Math.min(length, buffer.byteSize() - offset);
        this.limit = 0xffff;
        this.inner = 0;
        this.s = out;
        out.clear();
        if (parseEth(0, true) == 1) {
            parseEth(inner, false);
        }
        this.data = null;
        this.s = null;
    }

    /** After {@link #parse}: the offset of the VXLAN inner frame, 0 when there is none. */
    public int innerOffset() {
        return inner;
    }

    /** True when n bytes at off are inside the frame and the limit; else sets the error. */
    private boolean need(int off, int n, ParseCounter reason) {
        if (off > MAX_HEADER_OFFSET) {
            s.error = ParseCounter.HEADER_TOO_DEEP.id();
            return false;
        }
        if (off + n > limit || off + n > length) {
            s.error = reason.id();
            return false;
        }
        return true;
    }

    private void enterL3(int off) {
        s.l3Offset = off;
        s.l4Offset = 0;
        s.l4Protocol = 0;
        s.sourcePort = 0;
        s.destinationPort = 0;
    }

    private void shrinkLimit(int end) {
        if (end < limit) {
            limit = end;
        }
    }

    private int parseEth(int off, boolean outer) {
        if (!need(off, EthernetHeader.LENGTH, ParseCounter.ETH_TRUNCATED)) {
            return -1;
        }
        s.flags |= ParseFlags.ETHERNET;
        int type = be16(data, base + off + EthernetHeader.TYPE_OFFSET);
        off += EthernetHeader.LENGTH;
        int depth = 0;
        for (int i = 0; i <= MAX_VLAN; i++) {
            if (!EthernetHeader.isVlanType(type)) {
                break;
            }
            if (i == MAX_VLAN) {
                s.error = ParseCounter.VLAN_TOO_DEEP.id();
                return -1;
            }
            if (!need(off, EthernetHeader.VLAN_TAG_LENGTH, ParseCounter.VLAN_TRUNCATED)) {
                return -1;
            }
            s.flags |= ParseFlags.VLAN;
            type = be16(data, base + off + EthernetHeader.VLAN_TYPE_OFFSET);
            off += EthernetHeader.VLAN_TAG_LENGTH;
            depth++;
            if (outer) {
                s.vlanDepth = depth;
            } else {
                s.innerVlanDepth = depth;
            }
        }
        if (type == EthernetHeader.TYPE_IPV4) {
            return parseIpv4(off, outer);
        }
        if (type == EthernetHeader.TYPE_IPV6) {
            return parseIpv6(off, outer);
        }
        return 0;
    }

    private int parseIpv4(int off, boolean outer) {
        if (!need(off, Ipv4Header.MIN_LENGTH, ParseCounter.IPV4_TRUNCATED)) {
            return -1;
        }
        int vihl = u8(data, base + off);
        if ((vihl >>> 4) != 4) {
            s.error = ParseCounter.IPV4_BAD_VERSION.id();
            return -1;
        }
        int hlen = (vihl & 0x0f) * 4;
        if (hlen < Ipv4Header.MIN_LENGTH) {
            s.error = ParseCounter.IPV4_BAD_IHL.id();
            return -1;
        }
        if (!need(off, hlen, ParseCounter.IPV4_TRUNCATED)) {
            return -1;
        }
        int total = be16(data, base + off + Ipv4Header.TOTAL_LENGTH_OFFSET);
        if (total < hlen) {
            s.error = ParseCounter.IPV4_BAD_TOTAL_LENGTH.id();
            return -1;
        }
        s.flags |= ParseFlags.IPV4;
        enterL3(off);
        shrinkLimit(off + total);
        int frag = be16(data, base + off + Ipv4Header.FRAGMENT_OFFSET);
        int proto = u8(data, base + off + Ipv4Header.PROTOCOL_OFFSET);
        if ((frag & Ipv4Header.FRAGMENT_MASK) != 0) {
            s.flags |= ParseFlags.FRAGMENT;
            if ((frag & Ipv4Header.FRAGMENT_OFFSET_MASK) != 0) {
                s.flags |= ParseFlags.LATER_FRAGMENT;
                return 0;
            }
        }
        return parseL4(off + hlen, proto, outer);
    }

    private int parseIpv6(int off, boolean outer) {
        if (!need(off, Ipv6Header.LENGTH, ParseCounter.IPV6_TRUNCATED)) {
            return -1;
        }
        if ((u8(data, base + off) >>> 4) != 6) {
            s.error = ParseCounter.IPV6_BAD_VERSION.id();
            return -1;
        }
        s.flags |= ParseFlags.IPV6;
        enterL3(off);
        int payload = be16(data, base + off + Ipv6Header.PAYLOAD_LENGTH_OFFSET);
        if (payload != 0) { // zero: a jumbogram or unknown, the frame bounds it
            shrinkLimit(off + Ipv6Header.LENGTH + payload);
        }
        int nh = u8(data, base + off + Ipv6Header.NEXT_HEADER_OFFSET);
        off += Ipv6Header.LENGTH;
        for (int i = 0; i < MAX_IPV6_EXT; i++) {
            switch (nh) {
                case Ipv6Header.HOP_BY_HOP, Ipv6Header.ROUTING, Ipv6Header.DESTINATION_OPTIONS,
                        Ipv6Header.AUTHENTICATION -> {
                    if (!need(off, 2, ParseCounter.IPV6_EXT_TRUNCATED)) {
                        return -1;
                    }
                    int len = u8(data, base + off + 1);
                    len = nh == Ipv6Header.AUTHENTICATION ? (len + 2) * 4 : (len + 1) * 8;
                    nh = u8(data, base + off);
                    if (!need(off, len, ParseCounter.IPV6_EXT_TRUNCATED)) {
                        return -1;
                    }
                    off += len;
                    s.ipv6Extensions++;
                }
                case Ipv6Header.FRAGMENT -> {
                    if (!need(off, Ipv6Header.FRAGMENT_HEADER_LENGTH, ParseCounter.IPV6_EXT_TRUNCATED)) {
                        return -1;
                    }
                    int fo = be16(data, base + off + Ipv6Header.FRAGMENT_OFFSET_FIELD);
                    nh = u8(data, base + off);
                    off += Ipv6Header.FRAGMENT_HEADER_LENGTH;
                    s.ipv6Extensions++;
                    s.flags |= ParseFlags.FRAGMENT;
                    if ((fo & Ipv6Header.FRAGMENT_OFFSET_MASK) != 0) {
                        s.flags |= ParseFlags.LATER_FRAGMENT;
                        return 0;
                    }
                }
                default -> {
                    return parseL4(off, nh, outer);
                }
            }
        }
        if (Ipv6Header.isExtension(nh)) {
            s.error = ParseCounter.IPV6_EXT_TOO_DEEP.id();
            s.flags |= ParseFlags.CHAIN_CUT;
            return -1;
        }
        return parseL4(off, nh, outer);
    }

    private int parseL4(int off, int proto, boolean outer) {
        switch (proto) {
            case TransportHeaders.PROTO_TCP -> {
                if (!need(off, TransportHeaders.TCP_MIN_LENGTH, ParseCounter.TCP_TRUNCATED)) {
                    return -1;
                }
                int doff = u8(data, base + off + TransportHeaders.TCP_DATA_OFFSET_OFFSET) >>> 4;
                if (doff < 5) {
                    s.error = ParseCounter.TCP_BAD_DATA_OFFSET.id();
                    return -1;
                }
                if (!need(off, doff * 4, ParseCounter.TCP_TRUNCATED)) {
                    return -1;
                }
                s.flags |= ParseFlags.TCP;
            }
            case TransportHeaders.PROTO_UDP -> {
                if (!need(off, TransportHeaders.UDP_LENGTH, ParseCounter.UDP_TRUNCATED)) {
                    return -1;
                }
                s.flags |= ParseFlags.UDP;
            }
            case TransportHeaders.PROTO_ICMP -> {
                if (!need(off, TransportHeaders.ICMP_LENGTH, ParseCounter.ICMP_TRUNCATED)) {
                    return -1;
                }
                s.flags |= ParseFlags.ICMP;
                s.l4Offset = off;
                s.l4Protocol = proto;
                return 0;
            }
            case TransportHeaders.PROTO_ICMPV6 -> {
                if (!need(off, TransportHeaders.ICMPV6_LENGTH, ParseCounter.ICMPV6_TRUNCATED)) {
                    return -1;
                }
                s.flags |= ParseFlags.ICMPV6;
                s.l4Offset = off;
                s.l4Protocol = proto;
                return 0;
            }
            default -> {
                return 0;
            }
        }
        // TCP or UDP
        s.l4Offset = off;
        s.l4Protocol = proto;
        s.sourcePort = be16(data, base + off + TransportHeaders.SOURCE_PORT_OFFSET);
        s.destinationPort = be16(data, base + off + TransportHeaders.DESTINATION_PORT_OFFSET);
        if (proto == TransportHeaders.PROTO_UDP && outer && vxlanPort != 0 && s.destinationPort == vxlanPort) { // 0: no VXLAN
            off += TransportHeaders.UDP_LENGTH;
            if (!need(off, TransportHeaders.VXLAN_LENGTH, ParseCounter.VXLAN_TRUNCATED)) {
                return -1;
            }
            if ((u8(data, base + off) & TransportHeaders.VXLAN_FLAG_VNI_VALID) == 0) {
                s.error = ParseCounter.VXLAN_BAD_FLAGS.id();
                return -1;
            }
            s.flags |= ParseFlags.VXLAN;
            s.vni = (u8(data, base + off + 4) << 16) | (u8(data, base + off + 5) << 8) | u8(data, base + off + 6);
            inner = off + TransportHeaders.VXLAN_LENGTH;
            return 1;
        }
        return 0;
    }
}
