package io.xdpml.flow;

import static io.xdpml.packet.Bytes.be16;
import static io.xdpml.packet.Bytes.u8;

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
    final MemorySegment key = MemorySegment.ofArray(new byte[FlowLayout.KEY_SIZE]);
    private final byte[] src = new byte[16];
    private final byte[] dst = new byte[16];
    private final MemorySegment srcSeg = MemorySegment.ofArray(src);
    private final MemorySegment dstSeg = MemorySegment.ofArray(dst);

    long length;
    long headerBytes;
    int tcpFlags;
    int tcpWindow;
    boolean fromA;

    /**
     * Fills the key and contribution from the frame and its parse; false when the packet has no
     * IP header (not tracked).
     */
    public boolean of(MemorySegment frame, long offset, long length, ParseSummary s) {
        if ((s.flags() & (ParseFlags.IPV4 | ParseFlags.IPV6)) == 0) {
            return false;
        }
        key.fill((byte) 0);
        java.util.Arrays.fill(src, (byte) 0);
        java.util.Arrays.fill(dst, (byte) 0);
        long l3 = offset + (s.l3Offset() & 0xfff);
        int version;
        int l3len;
        int ipproto;
        if ((u8(frame, l3) >>> 4) == 4) {
            version = 4;
            src[10] = src[11] = dst[10] = dst[11] = (byte) 0xff;
            MemorySegment.copy(frame, l3 + 12, srcSeg, 12, 4);
            MemorySegment.copy(frame, l3 + 16, dstSeg, 12, 4);
            l3len = (u8(frame, l3) & 0x0f) * 4;
            ipproto = u8(frame, l3 + 9);
        } else {
            version = 6;
            MemorySegment.copy(frame, l3 + 8, srcSeg, 0, 16);
            MemorySegment.copy(frame, l3 + 24, dstSeg, 0, 16);
            l3len = 40;
            ipproto = u8(frame, l3 + 6);
        }
        int proto = s.l4Protocol() != 0 ? s.l4Protocol() : ipproto;
        int sport = s.sourcePort();
        int dport = s.destinationPort();
        this.length = length;
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
        int c = compareAddresses();
        fromA = c < 0 || (c == 0 && sport <= dport);
        MemorySegment a = fromA ? srcSeg : dstSeg;
        MemorySegment b = fromA ? dstSeg : srcSeg;
        MemorySegment.copy(a, 0, key, FlowLayout.KEY_ADDR_A, 16);
        MemorySegment.copy(b, 0, key, FlowLayout.KEY_ADDR_B, 16);
        key.set(FlowLayout.U16, FlowLayout.KEY_PORT_A, (short) (fromA ? sport : dport));
        key.set(FlowLayout.U16, FlowLayout.KEY_PORT_B, (short) (fromA ? dport : sport));
        key.set(ValueLayout.JAVA_BYTE, FlowLayout.KEY_PROTOCOL, (byte) proto);
        key.set(ValueLayout.JAVA_BYTE, FlowLayout.KEY_IP_VERSION, (byte) version);
        int vlan = s.vlanDepth() != 0 ? be16(frame, offset + 14) & 0x0fff : 0;
        key.set(FlowLayout.U16, FlowLayout.KEY_VLAN, (short) vlan);
        key.set(FlowLayout.U32, FlowLayout.KEY_VNI, s.vni());
        return true;
    }

    /** Lexicographic, as two big-endian unsigned words (xdpml_addr_cmp). */
    private int compareAddresses() {
        int c = Long.compareUnsigned(srcSeg.get(BE64, 0), dstSeg.get(BE64, 0));
        if (c != 0) {
            return c < 0 ? -1 : 1;
        }
        c = Long.compareUnsigned(srcSeg.get(BE64, 8), dstSeg.get(BE64, 8));
        return c == 0 ? 0 : (c < 0 ? -1 : 1);
    }

    /** The key of the last packet (valid until the next {@link #of}). */
    public MemorySegment key() {
        return key;
    }
}
