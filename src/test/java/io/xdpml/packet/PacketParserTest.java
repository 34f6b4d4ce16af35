package io.xdpml.packet;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PacketParserTest {
    private final PacketParser parser = new PacketParser();
    private final ParseSummary s = new ParseSummary();

    private ParseSummary parse(byte[] frame) {
        return parse(frame, frame.length);
    }

    private ParseSummary parse(byte[] frame, int length) {
        parser.parse(MemorySegment.ofArray(frame), length, s);
        return s;
    }

    @Test
    void ipv4Udp() {
        byte[] f = new FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1234, 53).payload(10).build();
        parse(f);
        assertThat(s.error()).isZero();
        assertThat(s.flags()).isEqualTo(ParseFlags.ETHERNET | ParseFlags.IPV4 | ParseFlags.UDP);
        assertThat(s.l3Offset()).isEqualTo(14);
        assertThat(s.l4Offset()).isEqualTo(34);
        assertThat(s.l4Protocol()).isEqualTo(17);
        assertThat(s.sourcePort()).isEqualTo(1234);
        assertThat(s.destinationPort()).isEqualTo(53);
    }

    @Test
    void threeStackedVlanTagsThenIpv6Tcp() {
        byte[] f = new FrameBuilder().ethernet().vlan(0x88a8, 1).vlan(0x8100, 2).vlan(0x8100, 3)
                .ipv6("2001:db8::1", "2001:db8::2").tcp(40000, 443, 0x02).build();
        parse(f);
        assertThat(s.error()).isZero();
        assertThat(s.vlanDepth()).isEqualTo(3);
        assertThat(s.flags()).isEqualTo(ParseFlags.ETHERNET | ParseFlags.VLAN | ParseFlags.IPV6 | ParseFlags.TCP);
        assertThat(s.l3Offset()).isEqualTo(14 + 12);
        assertThat(s.l4Offset()).isEqualTo(14 + 12 + 40);
        assertThat(s.destinationPort()).isEqualTo(443);
    }

    @Test
    void fiveVlanTagsAreTooDeep() {
        FrameBuilder b = new FrameBuilder().ethernet();
        for (int i = 0; i < 5; i++) {
            b.vlan(i);
        }
        parse(b.ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).build());
        assertThat(s.errorCounter()).isEqualTo(ParseCounter.VLAN_TOO_DEEP);
        assertThat(s.vlanDepth()).isEqualTo(4);
    }

    @Test
    void ipv6ExtensionChainIsWalked() {
        byte[] f = new FrameBuilder().ethernet().ipv6("::1", "::2")
                .ipv6Extension(Ipv6Header.HOP_BY_HOP, 0).ipv6Extension(Ipv6Header.ROUTING, 2)
                .ipv6Extension(Ipv6Header.AUTHENTICATION, 4).ipv6Extension(Ipv6Header.DESTINATION_OPTIONS, 1)
                .udp(5, 6).build();
        parse(f);
        assertThat(s.error()).isZero();
        assertThat(s.ipv6Extensions()).isEqualTo(4);
        assertThat(s.l4Offset()).isEqualTo(14 + 40 + 8 + 24 + 24 + 16);
        assertThat(s.has(ParseFlags.UDP)).isTrue();
    }

    @Test
    void nineExtensionHeadersAreTooDeep() {
        FrameBuilder b = new FrameBuilder().ethernet().ipv6("::1", "::2");
        for (int i = 0; i < 9; i++) {
            b.ipv6Extension(Ipv6Header.DESTINATION_OPTIONS, 0);
        }
        parse(b.udp(1, 2).build());
        assertThat(s.errorCounter()).isEqualTo(ParseCounter.IPV6_EXT_TOO_DEEP);
        assertThat(s.ipv6Extensions()).isEqualTo(8);
    }

    @Test
    void fragmentsFirstParsesTransportLaterDoesNot() {
        byte[] first = new FrameBuilder().ethernet()
                .ipv4(new byte[] {1, 1, 1, 1}, new byte[] {2, 2, 2, 2}, 0x2000, 64).udp(7, 8).payload(20).build();
        parse(first);
        assertThat(s.has(ParseFlags.FRAGMENT)).isTrue();
        assertThat(s.has(ParseFlags.UDP)).isTrue();
        byte[] later = new FrameBuilder().ethernet()
                .ipv4(new byte[] {1, 1, 1, 1}, new byte[] {2, 2, 2, 2}, 0x0003, 64).udp(7, 8).payload(20).build();
        parse(later);
        assertThat(s.flags()).isEqualTo(ParseFlags.ETHERNET | ParseFlags.IPV4 | ParseFlags.FRAGMENT
                | ParseFlags.LATER_FRAGMENT);
        assertThat(s.l4Offset()).isZero();
        byte[] v6later = new FrameBuilder().ethernet().ipv6("::1", "::2").ipv6Fragment(100, false).udp(1, 2).build();
        parse(v6later);
        assertThat(s.has(ParseFlags.LATER_FRAGMENT)).isTrue();
        assertThat(s.has(ParseFlags.UDP)).isFalse();
        byte[] v6first = new FrameBuilder().ethernet().ipv6("::1", "::2").ipv6Fragment(0, true).tcp(1, 2, 0x10).build();
        parse(v6first);
        assertThat(s.has(ParseFlags.FRAGMENT)).isTrue();
        assertThat(s.has(ParseFlags.TCP)).isTrue();
    }

    @Test
    void vxlanInnerFrameIsParsed() {
        byte[] f = new FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(50000, 4789).vxlan(0xabcdef)
                .ethernet().vlan(7).ipv4("10.1.1.1", "10.2.2.2").tcp(1111, 80, 0x18).payload(5).build();
        parse(f);
        assertThat(s.error()).isZero();
        assertThat(s.has(ParseFlags.VXLAN)).isTrue();
        assertThat(s.vni()).isEqualTo(0xabcdef);
        assertThat(s.vlanDepth()).isZero();
        assertThat(s.innerVlanDepth()).isEqualTo(1);
        assertThat(s.l4Protocol()).isEqualTo(6);
        assertThat(s.sourcePort()).isEqualTo(1111);
        assertThat(s.l3Offset()).isEqualTo(14 + 20 + 8 + 8 + 18);
        // another port is not VXLAN unless configured
        new PacketParser(8472).parse(MemorySegment.ofArray(f), f.length, s);
        assertThat(s.has(ParseFlags.VXLAN)).isFalse();
        assertThat(s.sourcePort()).isEqualTo(50000);
    }

    @Test
    void vxlanWithoutTheIFlagIsAnError() {
        byte[] f = new FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(50000, 4789).vxlan(1)
                .ethernet().ipv4("10.1.1.1", "10.2.2.2").udp(1, 2).build();
        f[14 + 20 + 8] = 0;
        parse(f);
        assertThat(s.errorCounter()).isEqualTo(ParseCounter.VXLAN_BAD_FLAGS);
        assertThat(s.has(ParseFlags.UDP)).isTrue();
    }

    @Test
    void everyTruncationGivesTheReasonOfTheLayerCut() {
        byte[] f = new FrameBuilder().ethernet().vlan(3).ipv4("1.2.3.4", "5.6.7.8").tcp(1, 2, 2).build();
        // cut inside each header
        assertThat(parse(f, 10).errorCounter()).isEqualTo(ParseCounter.ETH_TRUNCATED);
        assertThat(parse(f, 16).errorCounter()).isEqualTo(ParseCounter.VLAN_TRUNCATED);
        assertThat(parse(f, 30).errorCounter()).isEqualTo(ParseCounter.IPV4_TRUNCATED);
        assertThat(parse(f, 50).errorCounter()).isEqualTo(ParseCounter.TCP_TRUNCATED);
        assertThat(parse(f, f.length).error()).isZero();
        byte[] i6 = new FrameBuilder().ethernet().ipv6("::1", "::2").icmpv6Echo(1, 1).build();
        assertThat(parse(i6, 14 + 39).errorCounter()).isEqualTo(ParseCounter.IPV6_TRUNCATED);
        assertThat(parse(i6, 14 + 43).errorCounter()).isEqualTo(ParseCounter.ICMPV6_TRUNCATED);
        assertThat(parse(i6, 14 + 44).has(ParseFlags.ICMPV6)).isTrue();
        byte[] i4 = new FrameBuilder().ethernet().ipv4("1.1.1.1", "2.2.2.2").icmpEcho(1, 1).build();
        assertThat(parse(i4, 14 + 27).errorCounter()).isEqualTo(ParseCounter.ICMP_TRUNCATED);
        byte[] u = new FrameBuilder().ethernet().ipv4("1.1.1.1", "2.2.2.2").udp(1, 2).build();
        assertThat(parse(u, 14 + 27).errorCounter()).isEqualTo(ParseCounter.UDP_TRUNCATED);
    }

    @Test
    void ipLengthFieldsBoundTheHeadersNotThePadding() {
        // IPv4 total length says 20: the TCP header lies in "padding"
        byte[] f = new FrameBuilder().ethernet().ipv4("1.2.3.4", "5.6.7.8").tcp(1, 2, 2).build();
        f[14 + 2] = 0;
        f[14 + 3] = 20;
        assertThat(parse(f).errorCounter()).isEqualTo(ParseCounter.TCP_TRUNCATED);
        f[14 + 3] = 19;
        assertThat(parse(f).errorCounter()).isEqualTo(ParseCounter.IPV4_BAD_TOTAL_LENGTH);
        byte[] v6 = new FrameBuilder().ethernet().ipv6("::1", "::2").udp(1, 2).build();
        v6[14 + 5] = 4; // payload length 4 < UDP header
        assertThat(parse(v6).errorCounter()).isEqualTo(ParseCounter.UDP_TRUNCATED);
        v6[14 + 5] = 0; // zero: bounded by the frame
        assertThat(parse(v6).error()).isZero();
    }

    @Test
    void badVersionsIhlAndDataOffset() {
        byte[] f = new FrameBuilder().ethernet().ipv4("1.2.3.4", "5.6.7.8").tcp(1, 2, 2).build();
        byte[] g = f.clone();
        g[14] = 0x65;
        assertThat(parse(g).errorCounter()).isEqualTo(ParseCounter.IPV4_BAD_VERSION);
        g = f.clone();
        g[14] = 0x44;
        assertThat(parse(g).errorCounter()).isEqualTo(ParseCounter.IPV4_BAD_IHL);
        g = f.clone();
        g[14 + 20 + 12] = 0x40;
        assertThat(parse(g).errorCounter()).isEqualTo(ParseCounter.TCP_BAD_DATA_OFFSET);
        g = f.clone();
        g[14 + 20 + 12] = (byte) 0xf0; // 60-byte header in a 20-byte segment
        assertThat(parse(g).errorCounter()).isEqualTo(ParseCounter.TCP_TRUNCATED);
        byte[] v6 = new FrameBuilder().ethernet().ipv6("::1", "::2").udp(1, 2).build();
        v6[14] = 0x40;
        assertThat(parse(v6).errorCounter()).isEqualTo(ParseCounter.IPV6_BAD_VERSION);
    }

    @Test
    void ipv4OptionsMoveTheTransportHeader() {
        byte[] f = new FrameBuilder().ethernet().ipv4("1.2.3.4", "5.6.7.8").ipv4Options(8).udp(9, 10).build();
        parse(f);
        assertThat(s.error()).isZero();
        assertThat(s.l4Offset()).isEqualTo(14 + 28);
        assertThat(s.sourcePort()).isEqualTo(9);
    }

    @Test
    void nonIpFramesAreEthernetOnly() {
        byte[] arp = new FrameBuilder().ethernet().etherType(EthernetHeader.TYPE_ARP).payload(28).build();
        parse(arp);
        assertThat(s.flags()).isEqualTo(ParseFlags.ETHERNET);
        assertThat(s.error()).isZero();
    }

    @Test
    void countersFollowTheSummary() {
        ParseCounters c = new ParseCounters();
        byte[] v = new FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(1, 4789).vxlan(5)
                .ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(3, 4).build();
        c.count(parse(v));
        c.count(parse(Arrays.copyOf(v, 5)));
        assertThat(c.get(ParseCounter.PACKETS)).isEqualTo(2);
        assertThat(c.get(ParseCounter.IPV4)).isEqualTo(1); // once, though present twice
        assertThat(c.get(ParseCounter.UDP)).isEqualTo(1);
        assertThat(c.get(ParseCounter.VXLAN)).isEqualTo(1);
        assertThat(c.get(ParseCounter.ETH_TRUNCATED)).isEqualTo(1);
        assertThat(c.toJsonMap()).containsKeys("packets", "ethernet", "vlan", "ipv4", "ipv6", "tcp", "udp", "icmp",
                "icmpv6", "vxlan", "fragments", "errors");
    }

    @Test
    void parsingAtAnOffsetEqualsParsingTheSlice() {
        byte[] f = new FrameBuilder().ethernet().vlan(5).ipv6("::1", "::2").tcp(1, 2, 2).payload(3).build();
        byte[] buf = new byte[f.length + 100];
        System.arraycopy(f, 0, buf, 37, f.length);
        ParseSummary atOffset = new ParseSummary();
        parser.parse(MemorySegment.ofArray(buf), 37, f.length, atOffset);
        assertThat(atOffset.sameAs(parse(f))).isTrue();
        // the length bounds the frame even when the buffer goes on
        parser.parse(MemorySegment.ofArray(buf), 37, 30, atOffset);
        assertThat(atOffset.errorCounter()).isEqualTo(ParseCounter.IPV6_TRUNCATED);
    }
}
