package io.xdpml.flow;

import static io.xdpml.packet.Bytes.be16;
import static io.xdpml.packet.Bytes.u8;

import io.xdpml.packet.Bytes;
import io.xdpml.packet.ParseFlags;
import io.xdpml.packet.ParseSummary;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The flow key and contribution of one parsed packet: the Java twin of {@code xdpml_flow_key_of}
 * and {@code struct xdpml_flow_packet} in flow.h. Reusable: one per thread, filled per packet.
 */
public final class FlowPacket {
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** The normalised key, in {@code struct xdpml_flow_key} layout. */
    final byte[] keyBytes = new byte[FlowLayout.KEY_SIZE];
    final MemorySegment key = MemorySegment.ofArray(keyBytes);

    long length;
    long normLength;
    long headerBytes;
    int tcpFlags;
    int tcpWindow;
    boolean fromA;

    /** IPv4 as ::ffff:a.b.c.d: the low word's upper half. */
    private static final long V4_MAPPED = 0x0000_ffff_0000_0000L;

    /**
     * Fills the key and contribution from the frame (at {@code offset} in {@code frame}) and its
     * parse; false when the packet has no IP header (not tracked). Addresses are handled as two
     * big-endian words each: numeric order on them is the byte order xdpml_addr_cmp compares.
     */
    public boolean of(MemorySegment frame, long offset, long length, ParseSummary s) {
        if ((s.flags() & (ParseFlags.IPV4 | ParseFlags.IPV6)) == 0) {
            return false;
        }
        long l3 = offset + (s.l3Offset() & 0xfff);
        long srcHi;
        long srcLo;
        long dstHi;
        long dstLo;
        int version;
        int l3len;
        int ipproto;
        if ((u8(frame, l3) >>> 4) == 4) {
            version = 4;
            srcHi = 0;
            dstHi = 0;
            srcLo = V4_MAPPED | (frame.get(Bytes.BE32, l3 + 12) & 0xffff_ffffL);
            dstLo = V4_MAPPED | (frame.get(Bytes.BE32, l3 + 16) & 0xffff_ffffL);
            l3len = (u8(frame, l3) & 0x0f) * 4;
            ipproto = u8(frame, l3 + 9);
        } else {
            version = 6;
            srcHi = frame.get(BE64, l3 + 8);
            srcLo = frame.get(BE64, l3 + 16);
            dstHi = frame.get(BE64, l3 + 24);
            dstLo = frame.get(BE64, l3 + 32);
            l3len = 40;
            ipproto = u8(frame, l3 + 6);
        }
        int proto = s.l4Protocol() != 0 ? s.l4Protocol() : ipproto;
        int sport = s.sourcePort();
        int dport = s.destinationPort();
        this.length = length;
        normLength = normalisedLength(frame, l3, version, length - (s.l3Offset() & 0xfff));
        tcpFlags = 0;
        tcpWindow = 0;
        if (s.l4Offset() != 0) {
            long l4 = offset + (s.l4Offset() & 0xfff);
            int l4len = s.l4Protocol() == 1 || s.l4Protocol() == 17 ? 8 : 4;
            if (s.l4Protocol() == 6) {
                l4len = (u8(frame, l4 + 12) >>> 4) * 4;
                tcpFlags = u8(frame, l4 + 13);
                tcpWindow = be16(frame, l4 + 14);
            }
            headerBytes = (s.l4Offset() & 0xfff) - (s.l3Offset() & 0xfff) + l4len;
        } else {
            headerBytes = l3len;
        }
        int vlan = s.vlanDepth() != 0 ? be16(frame, offset + 14) & 0x0fff : 0;
        int tunnel = (s.flags() & ParseFlags.VXLAN) != 0 ? FlowLayout.KEY_TUNNELLED : 0; // never the native flow's key
        fromA = writeKey(key, srcHi, srcLo, dstHi, dstLo, sport, dport, proto, version, vlan, s.vni() | tunnel);
        return true;
    }

    /**
     * Writes the canonical flow key ({@code struct xdpml_flow_key}): endpoint a is the lower
     * address (16 bytes, IPv4 as ::ffff:a.b.c.d, compared as unsigned big-endian), then the lower
     * port. {@code vni}: the key's word, {@link FlowLayout#KEY_TUNNELLED} included for a flow inside
     * VXLAN. Returns whether the source is endpoint a.
     */
    public static boolean writeKey(MemorySegment key, long srcHi, long srcLo, long dstHi, long dstLo, int sport, int dport, int proto,
            int version, int vlan, int vni) {
        int c = Long.compareUnsigned(srcHi, dstHi);
        if (c == 0) {
            c = Long.compareUnsigned(srcLo, dstLo);
        }
        boolean fromA = c < 0 || (c == 0 && sport <= dport);
        key.set(BE64, FlowLayout.KEY_ADDR_A, fromA ? srcHi : dstHi);
        key.set(BE64, FlowLayout.KEY_ADDR_A + 8, fromA ? srcLo : dstLo);
        key.set(BE64, FlowLayout.KEY_ADDR_B, fromA ? dstHi : srcHi);
        key.set(BE64, FlowLayout.KEY_ADDR_B + 8, fromA ? dstLo : srcLo);
        key.set(FlowLayout.U16, FlowLayout.KEY_PORT_A, (short) (fromA ? sport : dport));
        key.set(FlowLayout.U16, FlowLayout.KEY_PORT_B, (short) (fromA ? dport : sport));
        key.set(ValueLayout.JAVA_BYTE, FlowLayout.KEY_PROTOCOL, (byte) proto);
        key.set(ValueLayout.JAVA_BYTE, FlowLayout.KEY_IP_VERSION, (byte) version);
        key.set(FlowLayout.U16, FlowLayout.KEY_VLAN, (short) vlan);
        key.set(FlowLayout.U32, FlowLayout.KEY_VNI, vni);
        return fromA;
    }

    /**
     * 14 + the IP packet's length by its own header (IPv4 total length; IPv6 40 + payload length,
     * or the frame's rest for a jumbogram's 0), at most the frame's rest ({@code rest} bytes from
     * the IP header on): the frame's length on an untagged Ethernet link without padding, whatever
     * link it came over (flow.h, xdpml_flow_key_of).
     */
    static long normalisedLength(MemorySegment frame, long l3, int version, long rest) {
        long stated = version == 4 ? be16(frame, l3 + 2) : be16(frame, l3 + 4) + 40;
        if (version == 6 && stated == 40) {
            stated = rest;
        }
        return Math.min(14 + Math.min(stated, rest), 0xffff); // 16 bits in the kernel's xdpml_flow_packet
    }

    /** Frame length of the last packet. */
    public long length() {
        return length;
    }

    /**
     * The last packet's normalised length: what the models read as {@code packet_length} and the
     * flow's running length statistics ({@code hs_len_*}) average, so that VLAN tags, Ethernet
     * padding and a VXLAN outer header do not change them (docs/flows.md).
     */
    public long normLength() {
        return normLength;
    }

    /** Whether the last packet was sent by endpoint a of its key. */
    public boolean fromA() {
        return fromA;
    }

    /** The key of the last packet (valid until the next {@link #of}). */
    public MemorySegment key() {
        return key;
    }
}
