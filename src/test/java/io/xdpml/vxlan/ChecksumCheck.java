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

    /**
     * Where the destination address of an IPv6 transport pseudo header is (RFC 8200 8.1): the final
     * destination. At a recipient that is the IPv6 header's, unless a Routing header still has
     * segments left: then the routing header's last element (type 0 and 2: the last address; type 4,
     * the segment routing header: Segment List[0]). -1 for another routing type with segments left.
     */
    static int pseudoDestination(byte[] f, int l3, int l4) {
        int nh = f[l3 + 6] & 0xff;
        int o = l3 + 40;
        while (o < l4 && (nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44)) {
            int len = nh == 44 ? 8 : nh == 51 ? ((f[o + 1] & 0xff) + 2) * 4 : ((f[o + 1] & 0xff) + 1) * 8;
            if (nh == 43 && f[o + 3] != 0) {
                int type = f[o + 2] & 0xff;
                return type == 4 ? o + 8 : type == 0 || type == 2 ? o + len - 16 : -1;
            }
            nh = f[o] & 0xff;
            o += len;
        }
        return l3 + 24;
    }

    /** Sum over a transport segment with its pseudo header; 0xffff when the checksum is right, -1: unknown. */
    static int transportSum(byte[] f, int l3, int l4, int end, int proto) {
        boolean v4 = (f[l3] & 0xf0) == 0x40;
        int dst = v4 ? l3 + 16 : pseudoDestination(f, l3, l4);
        if (dst < 0) {
            return -1;
        }
        long pseudo = sum(f, v4 ? l3 + 12 : l3 + 8, v4 ? 4 : 16, 0) + sum(f, dst, v4 ? 4 : 16, 0) + proto + (end - l4);
        return sum(f, l4, end - l4, pseudo);
    }

    /** Sets the TCP or UDP checksum of the segment at l4 (IP header at l3, ending at end) from scratch. */
    static void setTransport(byte[] f, int l3, int l4, int end, int proto) {
        int at = l4 + (proto == 6 ? 16 : 6);
        f[at] = 0;
        f[at + 1] = 0;
        int c = ~transportSum(f, l3, l4, end, proto) & 0xffff;
        if (proto == 17 && c == 0) {
            c = 0xffff;
        }
        f[at] = (byte) (c >>> 8);
        f[at + 1] = (byte) c;
    }

    /**
     * tshark's checksum verdicts on each frame (an independent decoder): the IPv4 header, TCP and UDP
     * statuses it reports, all layers, "1" Good, "0" Bad, "2" unverified; a line per frame:
     * {@code ip.checksum.status TAB tcp.checksum.status TAB udp.checksum.status}.
     */
    static java.util.List<String> tshark(java.util.List<byte[]> frames) throws Exception {
        java.nio.file.Path capture = java.nio.file.Files.createTempFile("xdpml-vxlan-csum", ".pcap");
        try {
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined();
                    io.xdpml.pcap.PcapWriter w = io.xdpml.pcap.PcapWriter.open(capture, 1)) {
                java.lang.foreign.MemorySegment buf = arena.allocate(16384);
                for (byte[] f : frames) {
                    MemorySegment.copy(f, 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, f.length);
                    w.write(0, buf, f.length, f.length);
                }
            }
            Process p = new ProcessBuilder("tshark", "-r", capture.toString(), "-o", "ip.check_checksum:TRUE", "-o",
                    "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-T", "fields", "-e", "ip.checksum.status",
                    "-e", "tcp.checksum.status", "-e", "udp.checksum.status")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            java.util.List<String> lines = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                    .lines().toList();
            assertThat(p.waitFor()).as("tshark exit").isZero();
            assertThat(lines).as("a line per frame").hasSize(frames.size());
            return lines;
        } finally {
            java.nio.file.Files.deleteIfExists(capture);
        }
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
            int t = transportSum(f, l3, l4, end, proto);
            if (t != 0xffff && t != -1) {
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
