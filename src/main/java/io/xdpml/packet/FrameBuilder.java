package io.xdpml.packet;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * Builds well-formed Ethernet frames layer by layer, outermost first, for tests, benchmarks and
 * the traffic generator. Length fields (IPv4 total length, IPv6 payload length, UDP length) and
 * checksums (IPv4 header, TCP, UDP, ICMP, ICMPv6) are filled in by {@link #build()}.
 *
 * <pre>{@code
 * byte[] f = new FrameBuilder().ethernet().vlan(10).ipv4("10.0.0.1", "10.0.0.2")
 *         .udp(1234, 53).payload(18).build();
 * }</pre>
 *
 * Not for the hot path: it allocates.
 */
public final class FrameBuilder {
    private static final byte[] DEFAULT_DST_MAC = {0x02, 0, 0, 0, 0, 0x02};
    private static final byte[] DEFAULT_SRC_MAC = {0x02, 0, 0, 0, 0, 0x01};

    private byte[] buf = new byte[256];
    private int pos;
    /** Fix-ups, applied innermost first: kind, header offset, enclosing IP header offset. */
    private int[] fixups = new int[48];
    private int nfix;
    private int lastIp = -1;
    private int typeField = -1;
    private int nextProtocolField = -1;
    private int padTo;

    private static final int FIX_IPV4 = 1;
    private static final int FIX_IPV6 = 2;
    private static final int FIX_UDP = 3;
    private static final int FIX_TCP = 4;
    private static final int FIX_ICMP = 5;
    private static final int FIX_ICMPV6 = 6;

    public FrameBuilder ethernet() {
        return ethernet(DEFAULT_DST_MAC, DEFAULT_SRC_MAC);
    }

    public FrameBuilder ethernet(byte[] dst, byte[] src) {
        put(dst);
        put(src);
        typeField = pos;
        u16(0);
        return this;
    }

    /** An 802.1Q tag (TPID 0x8100). */
    public FrameBuilder vlan(int vid) {
        return vlan(EthernetHeader.TYPE_VLAN, vid);
    }

    /** A VLAN tag with the given TPID (0x8100, 0x88a8 or 0x9100). */
    public FrameBuilder vlan(int tpid, int vid) {
        setType(tpid);
        u16(vid & 0x0fff);
        typeField = pos;
        u16(0);
        return this;
    }

    /** Sets the pending EtherType explicitly (for non-IP payloads). */
    public FrameBuilder etherType(int type) {
        setType(type);
        typeField = -1;
        return this;
    }

    public FrameBuilder ipv4(String src, String dst) {
        return ipv4(address(src, 4), address(dst, 4), 0, 64);
    }

    /** @param fragment the 16-bit flags/fragment-offset field (e.g. 0x2000 = MF) */
    public FrameBuilder ipv4(byte[] src, byte[] dst, int fragment, int ttl) {
        setType(EthernetHeader.TYPE_IPV4);
        int h = pos;
        u8(0x45);
        u8(0);
        u16(0); // total length: fix-up
        u16(0x1234);
        u16(fragment);
        u8(ttl);
        u8(0); // protocol: set by the next layer
        u16(0); // checksum: fix-up
        put(src);
        put(dst);
        fixup(FIX_IPV4, h, lastIp);
        lastIp = h;
        return this;
    }

    /** IPv4 options (padded to 4 bytes) after the last IPv4 header; adjusts its IHL. */
    public FrameBuilder ipv4Options(int bytes) {
        int padded = (bytes + 3) & ~3;
        buf[lastIp] = (byte) (0x40 | ((20 + padded) / 4));
        for (int i = 0; i < padded; i++) {
            u8(1); // NOP
        }
        return this;
    }

    public FrameBuilder ipv6(String src, String dst) {
        return ipv6(address(src, 16), address(dst, 16));
    }

    public FrameBuilder ipv6(byte[] src, byte[] dst) {
        setType(EthernetHeader.TYPE_IPV6);
        int h = pos;
        u32(0x6000_0000);
        u16(0); // payload length: fix-up
        u8(59); // next header: set by the next layer
        u8(64);
        put(src);
        put(dst);
        fixup(FIX_IPV6, h, lastIp);
        lastIp = h;
        return this;
    }

    /** An IPv6 extension header of type 0, 43, 60 (size in 8-byte units beyond the first 8) or 51. */
    public FrameBuilder ipv6Extension(int type, int lengthUnits) {
        setProtocol(type);
        int h = pos;
        u8(59);
        u8(lengthUnits);
        int size = type == Ipv6Header.AUTHENTICATION ? (lengthUnits + 2) * 4 : (lengthUnits + 1) * 8;
        pad(size - 2);
        nextProtocolField = h;
        return this;
    }

    /** An IPv6 fragment header; offset in 8-byte units. */
    public FrameBuilder ipv6Fragment(int offsetUnits, boolean more) {
        setProtocol(Ipv6Header.FRAGMENT);
        int h = pos;
        u8(59);
        u8(0);
        u16((offsetUnits << 3) | (more ? 1 : 0));
        u32(0xabcd);
        nextProtocolField = h;
        return this;
    }

    public FrameBuilder tcp(int sport, int dport, int flags) {
        return tcp(sport, dport, flags, 1000, 0);
    }

    /** A TCP header with sequence number {@code seq} and acknowledgment number {@code ack}. */
    public FrameBuilder tcp(int sport, int dport, int flags, int seq, int ack) {
        setProtocol(TransportHeaders.PROTO_TCP);
        int h = pos;
        u16(sport);
        u16(dport);
        u32(seq);
        u32(ack);
        u8(5 << 4);
        u8(flags);
        u16(65535);
        u16(0);
        u16(0);
        fixup(FIX_TCP, h, lastIp);
        return this;
    }

    public FrameBuilder udp(int sport, int dport) {
        setProtocol(TransportHeaders.PROTO_UDP);
        int h = pos;
        u16(sport);
        u16(dport);
        u16(0);
        u16(0);
        fixup(FIX_UDP, h, lastIp);
        return this;
    }

    public FrameBuilder icmpEcho(int id, int seq) {
        return icmp(8, 0, (id & 0xffff) << 16 | (seq & 0xffff));
    }

    /** An ICMP (IPv4) header of any type and code, the 4 bytes after the checksum being {@code rest}. */
    public FrameBuilder icmp(int type, int code, int rest) {
        setProtocol(TransportHeaders.PROTO_ICMP);
        int h = pos;
        u8(type);
        u8(code);
        u16(0);
        u32(rest);
        fixup(FIX_ICMP, h, lastIp);
        return this;
    }

    public FrameBuilder icmpv6Echo(int id, int seq) {
        return icmpv6(128, 0, (id & 0xffff) << 16 | (seq & 0xffff));
    }

    /** An ICMPv6 header of any type and code, the 4 bytes after the checksum being {@code rest}. */
    public FrameBuilder icmpv6(int type, int code, int rest) {
        setProtocol(TransportHeaders.PROTO_ICMPV6);
        int h = pos;
        u8(type);
        u8(code);
        u16(0);
        u32(rest);
        fixup(FIX_ICMPV6, h, lastIp);
        return this;
    }

    /** A VXLAN header (flags with I set); follow it with {@link #ethernet()} for the inner frame. */
    public FrameBuilder vxlan(int vni) {
        u8(TransportHeaders.VXLAN_FLAG_VNI_VALID);
        pad(3);
        u8(vni >>> 16);
        u8(vni >>> 8);
        u8(vni);
        u8(0);
        lastIp = -1;
        return this;
    }

    /** n payload bytes (a counting pattern). */
    public FrameBuilder payload(int n) {
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[pos++] = (byte) i;
        }
        return this;
    }

    public FrameBuilder payload(byte[] bytes) {
        put(bytes);
        return this;
    }

    /** Pads the frame with zeros to at least n bytes (lengths and checksums are not affected). */
    public FrameBuilder padTo(int n) {
        this.padTo = n;
        return this;
    }

    /** The finished frame. */
    public byte[] build() {
        int end = pos;
        for (int i = nfix - 1; i >= 0; i--) {
            int kind = fixups[i * 3];
            int h = fixups[i * 3 + 1];
            int ip = fixups[i * 3 + 2];
            int ipEnd = end; // every layer, inner ones included, ends with the frame
            switch (kind) {
                case FIX_IPV4 -> {
                    put16(h + 2, ipEnd - h);
                    put16(h + 10, 0);
                    put16(h + 10, checksum(0, h, (buf[h] & 0x0f) * 4));
                }
                case FIX_IPV6 -> put16(h + 4, ipEnd - h - 40);
                case FIX_UDP -> {
                    put16(h + 4, ipEnd - h);
                    int c = transportChecksum(ip, h, ipEnd, TransportHeaders.PROTO_UDP, h + 6);
                    put16(h + 6, c == 0 ? 0xffff : c);
                }
                case FIX_TCP -> transportChecksum(ip, h, ipEnd, TransportHeaders.PROTO_TCP, h + 16);
                case FIX_ICMP -> {
                    put16(h + 2, 0);
                    put16(h + 2, checksum(0, h, ipEnd - h));
                }
                case FIX_ICMPV6 -> transportChecksum(ip, h, ipEnd, TransportHeaders.PROTO_ICMPV6, h + 2);
                default -> throw new IllegalStateException();
            }
        }
        int size = Math.max(end, padTo);
        return Arrays.copyOf(buf, size);
    }

    private int transportChecksum(int ip, int h, int end, int proto, int csumOff) {
        put16(csumOff, 0);
        int sum = 0;
        if (ip >= 0 && (buf[ip] & 0xf0) == 0x40) {
            sum = partial(sum, ip + 12, 8);
        } else if (ip >= 0) {
            sum = partial(sum, ip + 8, 32);
        }
        sum += proto + (end - h);
        sum = partial(sum, h, end - h);
        int c = fold(sum);
        put16(csumOff, c);
        return c;
    }

    private int checksum(int sum, int off, int len) {
        return fold(partial(sum, off, len));
    }

    private int partial(int sum, int off, int len) {
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((buf[off + i] & 0xff) << 8) | (buf[off + i + 1] & 0xff);
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        if ((len & 1) != 0) {
            sum += (buf[off + len - 1] & 0xff) << 8;
        }
        return sum;
    }

    private static int fold(int sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return ~sum & 0xffff;
    }

    private void setType(int type) {
        if (typeField >= 0) {
            put16(typeField, type);
            typeField = -1;
        }
    }

    /** Protocol of the last IP header, or next-header of the last IPv6 extension header. */
    private void setProtocol(int proto) {
        if (nextProtocolField >= 0 && nextProtocolField > lastIp) {
            buf[nextProtocolField] = (byte) proto;
        } else if (lastIp >= 0) {
            if ((buf[lastIp] & 0xf0) == 0x40) {
                buf[lastIp + 9] = (byte) proto;
            } else {
                buf[lastIp + 6] = (byte) proto;
            }
        }
        nextProtocolField = -1;
    }

    private void fixup(int kind, int h, int ip) {
        if ((nfix + 1) * 3 > fixups.length) {
            fixups = Arrays.copyOf(fixups, fixups.length * 2);
        }
        fixups[nfix * 3] = kind;
        fixups[nfix * 3 + 1] = h;
        fixups[nfix * 3 + 2] = ip;
        nfix++;
    }

    private static byte[] address(String a, int len) {
        try {
            byte[] b = InetAddress.getByName(a).getAddress();
            if (b.length != len) {
                throw new IllegalArgumentException("not an IPv" + (len == 4 ? 4 : 6) + " address: " + a);
            }
            return b;
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("bad address: " + a, e);
        }
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
        }
    }

    private void put(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    private void pad(int n) {
        ensure(n);
        pos += n;
    }

    private void u8(int v) {
        ensure(1);
        buf[pos++] = (byte) v;
    }

    private void u16(int v) {
        ensure(2);
        put16(pos, v);
        pos += 2;
    }

    private void u32(int v) {
        u16(v >>> 16);
        u16(v);
    }

    private void put16(int off, int v) {
        buf[off] = (byte) (v >>> 8);
        buf[off + 1] = (byte) v;
    }
}
