package io.xdpml.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseFlags;
import io.xdpml.packet.ParseSummary;
import java.lang.foreign.MemorySegment;

/** Checks a forwarded frame's checksums from scratch: inner IPv4 header, inner TCP/UDP, outer UDP. */
final class ChecksumCheck {
    private ChecksumCheck() {}

    static int sum(byte[] b, int off, int len, long start) {
        long s = start;
        for (int i = 0; i + 1 < len; i += 2) {
            s += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            s += (b[off + len - 1] & 0xff) << 8;
        }
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    /** Sum over a transport segment with its pseudo header; 0xffff when the checksum is right. */
    static int transportSum(byte[] f, int l3, int l4, int end, int proto) {
        boolean v4 = (f[l3] & 0xf0) == 0x40;
        long pseudo = sum(f, v4 ? l3 + 12 : l3 + 8, v4 ? 8 : 32, 0) + proto + (end - l4);
        return sum(f, l4, end - l4, pseudo);
    }

    static int ipEnd(byte[] f, int l3) {
        boolean v4 = (f[l3] & 0xf0) == 0x40;
        int len = ((f[l3 + (v4 ? 2 : 4)] & 0xff) << 8) | (f[l3 + (v4 ? 3 : 5)] & 0xff);
        return l3 + (v4 ? len : 40 + len);
    }

    /** Asserts what {@link #firstInvalid} says: every checksum of the frame is right. */
    static void assertValid(byte[] f, int port, String what) {
        assertThat(firstInvalid(f, port)).as(what).isNull();
    }

    /** The first wrong checksum of the frame, or null when all are right (or nothing to check). */
    static String firstInvalid(byte[] f, int port) {
        PacketParser p = new PacketParser(port);
        ParseSummary s = new ParseSummary();
        p.parse(MemorySegment.ofArray(f), f.length, s);
        if (s.error() != 0 || !(s.has(ParseFlags.IPV4) || s.has(ParseFlags.IPV6))) {
            return "parse error or no IP";
        }
        int l3 = s.l3Offset();
        boolean v4 = (f[l3] & 0xf0) == 0x40;
        if (v4) {
            if (sum(f, l3, (f[l3] & 0x0f) * 4, 0) != 0xffff) {
                return "inner IPv4 header checksum";
            }
        }
        int end = ipEnd(f, l3);
        if (end > f.length || s.has(ParseFlags.FRAGMENT) || s.l4Offset() <= l3) {
            return null; // truncated capture or no transport header: nothing more to check
        }
        int proto = s.l4Protocol();
        int l4 = s.l4Offset();
        if (proto == 6 || (proto == 17 && (f[l4 + 6] != 0 || f[l4 + 7] != 0))) {
            if (transportSum(f, l3, l4, end, proto) != 0xffff) {
                return "inner transport checksum";
            }
        }
        if (s.has(ParseFlags.VXLAN)) {
            int outer = 14 + 4 * s.vlanDepth();
            boolean ov4 = (f[outer] & 0xf0) == 0x40;
            int ol4 = outer + (ov4 ? (f[outer] & 0x0f) * 4 : 40);
            int oend = ipEnd(f, outer);
            if (!ov4 && f[outer + 6] != 17) {
                return null; // outer IPv6 extension headers: not generated here
            }
            if (oend <= f.length && (f[ol4 + 6] != 0 || f[ol4 + 7] != 0)) {
                if (transportSum(f, outer, ol4, oend, 17) != 0xffff) {
                    return "outer UDP checksum";
                }
            }
        }
        return null;
    }
}
