package io.xdpml.pipeline;

import io.xdpml.packet.FrameBuilder;
import io.xdpml.packet.Ipv6Header;
import java.util.ArrayList;
import java.util.List;

/**
 * A small, fixed mix of frames that exercises every part of the parser: IPv4 and IPv6 with TCP,
 * UDP, ICMP and ICMPv6, QinQ and triple VLAN tags, IPv6 extension chains, first and later
 * fragments, VXLAN with an inner VLAN-tagged frame, ARP, and broken frames (a truncated TCP
 * header, a VXLAN header without its I flag, a fifth VLAN tag). Used by {@code xdpml demo} and
 * the live tests. Addresses are documentation ranges; nothing here is meant to be routed.
 */
public final class SampleTraffic {
    private SampleTraffic() {}

    public static List<byte[]> frames() {
        List<byte[]> f = new ArrayList<>();
        f.add(new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").tcp(40000, 80, 0x02).build());
        f.add(new FrameBuilder().ethernet().ipv4("198.51.100.2", "198.51.100.1").tcp(80, 40000, 0x12).payload(100).build());
        f.add(new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.53").udp(5353, 53).payload(30).build());
        f.add(new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").icmpEcho(7, 1).payload(56).build());
        f.add(new FrameBuilder().ethernet().ipv6("2001:db8::1", "2001:db8::2").tcp(50000, 443, 0x18).payload(200).build());
        f.add(new FrameBuilder().ethernet().ipv6("2001:db8::1", "2001:db8::2").icmpv6Echo(9, 2).payload(8).build());
        f.add(new FrameBuilder().ethernet().ipv6("2001:db8::1", "2001:db8::2").ipv6Extension(Ipv6Header.HOP_BY_HOP, 0)
                .ipv6Extension(Ipv6Header.DESTINATION_OPTIONS, 1).udp(1000, 2000).payload(12).build());
        f.add(new FrameBuilder().ethernet().vlan(0x88a8, 100).vlan(0x8100, 200).ipv4("203.0.113.1", "203.0.113.2")
                .udp(1234, 5678).payload(20).build());
        f.add(new FrameBuilder().ethernet().vlan(0x88a8, 1).vlan(0x8100, 2).vlan(0x8100, 3)
                .ipv6("2001:db8::10", "2001:db8::20").tcp(1, 2, 0x10).build());
        f.add(new FrameBuilder().ethernet().ipv4(new byte[] {(byte) 198, 51, 100, 7}, new byte[] {(byte) 198, 51, 100, 8},
                0x2000, 64).udp(4000, 4001).payload(64).build());
        f.add(new FrameBuilder().ethernet().ipv4(new byte[] {(byte) 198, 51, 100, 7}, new byte[] {(byte) 198, 51, 100, 8},
                0x0009, 64).payload(64).build());
        f.add(new FrameBuilder().ethernet().ipv6("2001:db8::7", "2001:db8::8").ipv6Fragment(0, true).udp(4000, 4001)
                .payload(32).build());
        f.add(new FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(49152, 4789).vxlan(4242).ethernet()
                .vlan(10).ipv4("10.10.0.1", "10.10.0.2").tcp(33000, 22, 0x02).build());
        f.add(new FrameBuilder().ethernet().etherType(0x0806).payload(28).build());
        byte[] cut = new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").tcp(1, 2, 0x02).build();
        f.add(java.util.Arrays.copyOf(cut, 14 + 20 + 10));
        byte[] badVxlan = new FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(49152, 4789).vxlan(1)
                .ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).build();
        badVxlan[14 + 20 + 8] = 0;
        f.add(badVxlan);
        FrameBuilder deep = new FrameBuilder().ethernet();
        for (int i = 0; i < 5; i++) {
            deep.vlan(i + 1);
        }
        f.add(deep.ipv4("198.51.100.1", "198.51.100.2").udp(1, 2).build());
        return f;
    }
}
