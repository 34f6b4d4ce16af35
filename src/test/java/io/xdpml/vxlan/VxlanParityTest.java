package io.xdpml.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.firewall.Prefix;
import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseFlags;
import io.xdpml.packet.ParseSummary;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.PcapFormatException;
import io.xdpml.testing.FrameFuzzer;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One truth, two implementations: the gateway program (BPF_PROG_TEST_RUN: its action, its
 * data_out and its counters) and JavaVxlanGateway on the same packets, the VXLAN captures of
 * the shared data and seeded random VXLAN frames, under every mode. Every packet's action,
 * reason and output bytes must be identical, and so must the counters. Forwarded packets must
 * also carry valid checksums (checked here from scratch).
 */
class VxlanParityTest {
    static final byte[] MAC_D = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    static final byte[] MAC_S = {0x02, 0x66, 0x77, (byte) 0x88, (byte) 0x99, (byte) 0xaa};

    /** The option sets compared: modes crossed with the egress outcomes. */
    static List<VxlanOptions> modes(List<Prefix> allow, List<NatEntry> nat) {
        VxlanOptions base = VxlanOptions.defaults().withNat(nat);
        return List.of(
                base.withAllowlist(allow),
                base.withAllowlist(allow).withMode(true, true, true).withEthernet(MAC_D, MAC_S),
                base.withAllowlist(allow).withMode(false, false, true),
                base.withMode(false, false, false).withEthernet(MAC_D, MAC_S),
                base.withAllowlist(allow).withEgress(true, false).withVnis(Set.of(42)),
                base.withAllowlist(allow).withEgress(false, true).withMode(false, true, true).withVnis(Set.of(7, 42)));
    }

    /** A kernel program and its Java twin; egress: an interface in the DEVMAP (lo), no AF_XDP socket. */
    static final class Pair implements AutoCloseable {
        final VxlanProgram kernel;
        final JavaVxlanGateway twin;
        final TestRun run;
        final Arena arena = Arena.ofConfined();
        final MemorySegment buf = arena.allocate(16384);
        int packets;
        int forwarded;
        int natApplied;
        int checked;

        Pair(VxlanOptions o) {
            this(o, true);
        }

        /** @param egress lo in the DEVMAP, else the DEVMAP left empty */
        Pair(VxlanOptions o, boolean egress) {
            kernel = VxlanProgram.load(o, true);
            if (egress) {
                kernel.setEgress(1);
            }
            twin = new JavaVxlanGateway(o, egress, false);
            run = kernel.program().testRun();
        }

        VxlanResult packet(byte[] frame) {
            MemorySegment.copy(frame, 0, buf, ValueLayout.JAVA_BYTE, 0, frame.length);
            int action = run.run(buf, frame.length);
            byte[] out = run.dataOut().asSlice(0, run.dataOutLength()).toArray(ValueLayout.JAVA_BYTE);
            VxlanResult j = twin.process(frame);
            packets++;
            String what = "packet " + packets + " " + FrameFuzzerHex.hex(frame);
            assertThat(kernel.lastAction()).as("action recorded, " + what).isEqualTo(action);
            assertThat(kernel.lastReason()).as("reason, " + what).isEqualTo(j.reason());
            assertThat(action).as("action, " + what).isEqualTo(j.action());
            assertThat(FrameFuzzerHex.hex(out)).as("bytes out, " + what).isEqualTo(FrameFuzzerHex.hex(j.frame()));
            if (j.reason() == VxlanCounter.TO_DEVMAP || j.reason() == VxlanCounter.TO_XSK) {
                forwarded++;
                if (ChecksumCheck.firstInvalid(frame, kernel.options().port()) == null) {
                    ChecksumCheck.assertValid(out, kernel.options().port(), what);
                    checked++;
                }
            }
            return j;
        }

        void assertSameCounters() {
            assertThat(kernel.counters()).isEqualTo(twin.counters());
            natApplied = (int) twin.counter(VxlanCounter.NAT_APPLIED);
        }

        @Override
        public void close() {
            run.close();
            kernel.close();
            arena.close();
        }
    }

    static List<byte[]> captureFrames(Path capture) throws Exception {
        List<byte[]> out = new ArrayList<>();
        int max = TestRun.maxTestRunFrame();
        EthernetFramer framer = new EthernetFramer();
        try (CaptureReader r = CaptureReader.open(capture)) {
            try {
                while (r.next()) {
                    int length = framer.frame(r);
                    if (length >= 14) {
                        out.add(framer.frameSegment().asSlice(0, Math.min(length, max)).toArray(ValueLayout.JAVA_BYTE));
                    }
                }
            } catch (PcapFormatException damaged) {
                // the frames before the damage
            }
        }
        return out;
    }

    /** Allow every other inner source seen; NAT every other inner (destination, port) seen, some by port only. */
    static Object[] tablesFor(List<byte[]> frames) {
        PacketParser parser = new PacketParser();
        ParseSummary s = new ParseSummary();
        Set<String> sources = new LinkedHashSet<>();
        Set<String> dests = new LinkedHashSet<>();
        List<Prefix> allow = new ArrayList<>();
        List<NatEntry> nat = new ArrayList<>();
        Set<Integer> portOnly = new LinkedHashSet<>();
        for (byte[] f : frames) {
            parser.parse(MemorySegment.ofArray(f), f.length, s);
            int inner = parser.innerOffset();
            if (!s.has(ParseFlags.VXLAN) || s.error() != 0 || s.l3Offset() <= inner) {
                continue;
            }
            int l3 = s.l3Offset();
            boolean v4 = (f[l3] & 0xf0) == 0x40;
            int n = v4 ? 4 : 16;
            byte[] src = java.util.Arrays.copyOfRange(f, l3 + (v4 ? 12 : 8), l3 + (v4 ? 12 : 8) + n);
            byte[] dst = java.util.Arrays.copyOfRange(f, l3 + (v4 ? 16 : 24), l3 + (v4 ? 16 : 24) + n);
            if (sources.add(java.util.Arrays.toString(src)) && sources.size() % 2 == 1) {
                allow.add(new Prefix(v4 ? 4 : 6, src, v4 ? 32 : 128));
            }
            if (s.l4Offset() > l3 && (s.l4Protocol() == 6 || s.l4Protocol() == 17)
                    && dests.add(java.util.Arrays.toString(dst) + s.destinationPort()) && dests.size() % 2 == 1) {
                byte[] to = v4 ? new byte[] {10, 9, 8, (byte) dests.size()} : new byte[16];
                if (!v4) {
                    to[0] = 0x20;
                    to[1] = 0x01;
                    to[15] = (byte) dests.size();
                }
                boolean byPort = dests.size() % 4 == 1 && portOnly.add(s.destinationPort() * 8 + n);
                nat.add(new NatEntry(v4 ? 4 : 6, byPort ? null : dst, s.destinationPort(), to, 7000 + dests.size()));
            }
        }
        return new Object[] {allow, nat};
    }

    static Stream<Arguments> captures() {
        return Stream.of("tunnel/ndpi-vxlan.pcap", "tunnel/tcpdump-vxlan.pcap").map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("captures")
    @SuppressWarnings("unchecked")
    void kernelAndJavaAgreeOnTheVxlanCaptures(String name) throws Exception {
        TestData.assumeBpf();
        List<byte[]> frames = captureFrames(TestData.capture(name));
        Object[] t = tablesFor(frames);
        int forwarded = 0;
        for (VxlanOptions o : modes((List<Prefix>) t[0], (List<NatEntry>) t[1])) {
            try (Pair p = new Pair(o)) {
                for (byte[] f : frames) {
                    p.packet(f);
                }
                p.assertSameCounters();
                assertThat(p.kernel.counter(VxlanCounter.VXLAN)).as("VXLAN packets in " + name).isPositive();
                forwarded += p.forwarded;
            }
        }
        assertThat(forwarded).as("forwarded packets over all modes").isPositive();
    }

    /** Seeded random VXLAN frames: v4/v6 inner, TCP/UDP/ICMP, DF, zero UDP checksums; plus fuzzed junk. */
    static List<byte[]> randomFrames(long seed, int n) {
        Random r = new Random(seed);
        List<byte[]> out = new ArrayList<>();
        FrameFuzzer fuzz = new FrameFuzzer(seed, 300);
        for (int i = 0; i < n; i++) {
            FrameBuilder b = new FrameBuilder().ethernet();
            boolean tagged = r.nextInt(8) == 0;
            if (tagged) {
                b.vlan(100);
            }
            boolean outerV6 = r.nextInt(4) == 0;
            boolean outerFragment = r.nextInt(12) == 0; // a first fragment: dropped (outer_frag)
            if (outerV6) {
                b.ipv6("fd00::1", "fd00::2");
                if (outerFragment) {
                    b.ipv6Extension(60, r.nextInt(2)).ipv6Fragment(0, true);
                }
            } else {
                b.ipv4(new byte[] {(byte) 192, 0, 2, 1}, new byte[] {(byte) 192, 0, 2, 2}, outerFragment ? 0x2000 : 0, 64);
            }
            b.udp(40000 + r.nextInt(100), r.nextInt(10) == 0 ? 4790 : 4789).vxlan(r.nextInt(10) == 0 ? 43 : 42).ethernet();
            if (r.nextInt(12) == 0) {
                b.vlan(200); // inner tag: dropped (inner_vlan)
            }
            boolean v6 = r.nextInt(3) == 0;
            if (v6) {
                b.ipv6("2001:db8::" + (1 + r.nextInt(4)), "2001:db8:1::" + (1 + r.nextInt(4)));
            } else {
                byte[] src = {10, 0, 0, (byte) (1 + r.nextInt(4))};
                byte[] dst = {10, 1, 0, (byte) (1 + r.nextInt(4))};
                b.ipv4(src, dst, r.nextBoolean() ? 0x4000 : (r.nextInt(10) == 0 ? 0x2000 : 0), 64);
            }
            int k = r.nextInt(10);
            if (k < 5) {
                b.udp(1000 + r.nextInt(3), 53 + r.nextInt(3));
            } else if (k < 9) {
                b.tcp(1000 + r.nextInt(3), 80 + r.nextInt(3), 0x10);
            } else if (v6) {
                b.icmpv6Echo(1, 1);
            } else {
                b.icmpEcho(1, 1);
            }
            int payload = r.nextInt(64);
            byte[] f = b.payload(payload).build();
            if (k < 5 && !v6 && !tagged && !outerV6 && r.nextInt(4) == 0) {
                // IPv4 UDP checksums of 0 (none), inner and outer: they stay 0 through NAT
                f[f.length - payload - 2] = 0;
                f[f.length - payload - 1] = 0;
                f[40] = 0;
                f[41] = 0;
            }
            if (r.nextInt(6) == 0) {
                f = java.util.Arrays.copyOf(f, Math.max(14, f.length - r.nextInt(40))); // truncated
            }
            out.add(f);
            if (r.nextInt(5) == 0) {
                out.add(fuzz.next());
            }
        }
        return out;
    }

    @Test
    void kernelAndJavaAgreeOnSeededRandomVxlanFrames() {
        TestData.assumeBpf();
        List<Prefix> allow = List.of(Prefix.parse("10.0.0.0/31"), Prefix.parse("10.1.0.3/32"), Prefix.parse("2001:db8::/126"),
                Prefix.parse("2001:db8:1::4/128"));
        List<NatEntry> nat = List.of(
                new NatEntry(4, new byte[] {10, 1, 0, 1}, 53, new byte[] {(byte) 172, 16, 0, 1}, 5353),
                new NatEntry(4, null, 80, new byte[] {(byte) 172, 16, 0, 2}, 8080),
                new NatEntry(4, new byte[] {10, 1, 0, 2}, 80, new byte[] {(byte) 172, 16, 0, 3}, 8081),
                new NatEntry(6, null, 54, Prefix.parse("2001:db8:ff::9/128").address(), 5454),
                new NatEntry(6, Prefix.parse("2001:db8:1::2/128").address(), 81, Prefix.parse("2001:db8:ff::a/128").address(), 81));
        List<byte[]> frames = randomFrames(20261122L, 3000);
        for (VxlanOptions o : modes(allow, nat)) {
            try (Pair p = new Pair(o)) {
                for (byte[] f : frames) {
                    p.packet(f);
                }
                p.assertSameCounters();
                assertThat(p.checked).as("forwarded frames whose checksums were checked").isGreaterThanOrEqualTo(p.forwarded / 2);
                if (!o.egressXsk()) {
                    assertThat(p.natApplied).as("NAT applied").isGreaterThan(50);
                    assertThat(p.forwarded).as("forwarded").isGreaterThan(100);
                }
            }
        }
    }

    /** A frame of the dedicated tests: outer IPv4 (fragment bits given) to 4789, VNI, inner IPv4 UDP to 10.1.0.1:53. */
    static byte[] vxlanFrame(int outerFragment, int vni, boolean innerVlan) {
        FrameBuilder b = new FrameBuilder().ethernet().ipv4(new byte[] {(byte) 192, 0, 2, 1}, new byte[] {(byte) 192, 0, 2, 2},
                outerFragment, 64).udp(40000, 4789).vxlan(vni).ethernet();
        if (innerVlan) {
            b.vlan(200);
        }
        return b.ipv4(new byte[] {10, 0, 0, 1}, new byte[] {10, 1, 0, 1}, 0, 64).udp(1000, 53).payload(16).build();
    }

    static VxlanOptions dedicated() {
        return VxlanOptions.defaults().withAllowlist(List.of(Prefix.parse("10.0.0.1/32")))
                .withNat(List.of(new NatEntry(4, new byte[] {10, 1, 0, 1}, 53, new byte[] {(byte) 172, 16, 0, 1}, 5353)));
    }

    @Test
    void anInnerVlanTagIsDropped() {
        TestData.assumeBpf();
        for (VxlanOptions o : List.of(dedicated(), dedicated().withMode(false, false, false))) {
            try (Pair p = new Pair(o)) {
                assertThat(p.packet(vxlanFrame(0, 42, false)).reason()).isEqualTo(VxlanCounter.TO_DEVMAP);
                VxlanResult r = p.packet(vxlanFrame(0, 42, true));
                assertThat(r.reason()).isEqualTo(VxlanCounter.INNER_VLAN);
                assertThat(r.action()).isEqualTo(VxlanResult.XDP_DROP);
                p.assertSameCounters();
                assertThat(p.kernel.counter(VxlanCounter.INNER_VLAN)).isEqualTo(1);
            }
        }
    }

    @Test
    void aFragmentedOuterPacketIsDroppedAndAnInnerFragmentIsNot() {
        TestData.assumeBpf();
        for (VxlanOptions o : List.of(dedicated(), dedicated().withMode(false, false, false))) {
            try (Pair p = new Pair(o)) {
                VxlanResult r = p.packet(vxlanFrame(0x2000, 42, false)); // outer MF: was REDIRECTED, NAT skipped
                assertThat(r.reason()).isEqualTo(VxlanCounter.OUTER_FRAG);
                assertThat(r.action()).isEqualTo(VxlanResult.XDP_DROP);
                byte[] inner = new FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(40000, 4789).vxlan(42).ethernet()
                        .ipv4(new byte[] {10, 0, 0, 1}, new byte[] {10, 1, 0, 1}, 0x2000, 64).udp(1000, 53).payload(16).build();
                byte[] v6 = new FrameBuilder().ethernet().vlan(100).ipv6("fd00::1", "fd00::2").ipv6Extension(0, 0)
                        .ipv6Fragment(0, true).udp(40000, 4789).vxlan(42).ethernet().ipv4(new byte[] {10, 0, 0, 1},
                                new byte[] {10, 1, 0, 1}, 0, 64).udp(1000, 53).payload(16).build();
                assertThat(p.packet(v6).reason()).as("outer IPv6 fragment header").isEqualTo(VxlanCounter.OUTER_FRAG);
                assertThat(p.packet(inner).reason()).as("an inner fragment: forwarded, without NAT, as before")
                        .isEqualTo(VxlanCounter.TO_DEVMAP);
                p.assertSameCounters();
                assertThat(p.kernel.counter(VxlanCounter.OUTER_FRAG)).isEqualTo(2);
                assertThat(p.kernel.counter(VxlanCounter.NAT_APPLIED)).isZero();
            }
        }
    }

    /**
     * A packet is counted handed (to_devmap, to_xsk, bytes) only when bpf_redirect_map answered
     * XDP_REDIRECT: with no egress in the DEVMAP and no AF_XDP socket in the XSKMAP the helper answers
     * XDP_ABORTED, and each egress setting names that failure (err_redirect; with the fallback or
     * --egress xsk, err_xsk) and drops, handing nothing. (What the kernel fails to send after a
     * handed packet is another matter: VxlanVethTest.aRedirectTheKernelFailsAfterTheProgramReturned...)
     */
    @Test
    void aRedirectIsCountedOnlyWhenTheHelperAnswersRedirect() {
        TestData.assumeBpf();
        record Case(VxlanOptions options, boolean egress, VxlanCounter reason, int action) {}
        for (Case c : List.of(new Case(dedicated(), true, VxlanCounter.TO_DEVMAP, VxlanResult.XDP_REDIRECT),
                new Case(dedicated(), false, VxlanCounter.ERR_REDIRECT, VxlanResult.XDP_DROP),
                new Case(dedicated().withEgress(false, true), true, VxlanCounter.TO_DEVMAP, VxlanResult.XDP_REDIRECT),
                new Case(dedicated().withEgress(false, true), false, VxlanCounter.ERR_XSK, VxlanResult.XDP_DROP),
                new Case(dedicated().withEgress(true, false), true, VxlanCounter.ERR_XSK, VxlanResult.XDP_DROP),
                new Case(dedicated().withMode(false, false, false).withEgress(true, true), false, VxlanCounter.ERR_XSK,
                        VxlanResult.XDP_DROP))) {
            try (Pair p = new Pair(c.options(), c.egress())) {
                for (int i = 0; i < 3; i++) {
                    VxlanResult r = p.packet(vxlanFrame(0, 42, false));
                    assertThat(r.reason()).as(c.toString()).isEqualTo(c.reason());
                    assertThat(r.action()).as(c.toString()).isEqualTo(c.action());
                }
                p.assertSameCounters();
                boolean handed = c.action() == VxlanResult.XDP_REDIRECT;
                assertThat(p.kernel.counter(VxlanCounter.HANDED)).as(c.toString()).isEqualTo(handed ? 3 : 0);
                assertThat(p.kernel.counter(VxlanCounter.TO_DEVMAP) + p.kernel.counter(VxlanCounter.TO_XSK)).as(c.toString())
                        .isEqualTo(handed ? 3 : 0);
                assertThat(p.kernel.counter(VxlanCounter.BYTES) > 0).as(c.toString()).isEqualTo(handed);
                assertThat(p.kernel.counter(c.reason())).as(c.toString()).isEqualTo(3);
            }
        }
    }

    static final byte[] RH_SRC = Prefix.parse("2001:db8::1/128").address();
    static final byte[] RH_NEXT = Prefix.parse("2001:db8:1::1/128").address();
    static final byte[] RH_FINAL = Prefix.parse("2001:db8:1::99/128").address();

    /**
     * Outer IPv4 (UDP checksum 0) to 4789, VNI 42, inner IPv6 {@link #RH_SRC} -> {@link #RH_NEXT} with a
     * Routing header of {@code type} (4: a segment routing header, Segment List [RH_FINAL, RH_NEXT];
     * 0: the deprecated type 0, addresses [RH_FINAL]) and {@code segmentsLeft}, then TCP or UDP from
     * port 1000 to {@code port}. The transport checksum is RFC 8200 8.1's, from scratch: over the final
     * destination RH_FINAL while segments are left, else over the header's destination.
     */
    static byte[] sourceRouted(int type, int segmentsLeft, int proto, int port) {
        FrameBuilder b = new FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(40000, 4789).vxlan(42).ethernet()
                .ipv6(RH_SRC, RH_NEXT).ipv6Extension(43, type == 4 ? 4 : 2);
        byte[] f = (proto == 6 ? b.tcp(1000, port, 0x18) : b.udp(1000, port)).payload(12).build();
        int l3 = 14 + 20 + 8 + 8 + 14;
        int rh = l3 + 40;
        f[rh + 2] = (byte) type;
        f[rh + 3] = (byte) segmentsLeft;
        if (type == 4) {
            f[rh + 4] = 1; // Last Entry
            System.arraycopy(RH_FINAL, 0, f, rh + 8, 16);
            System.arraycopy(RH_NEXT, 0, f, rh + 24, 16);
        } else {
            System.arraycopy(RH_FINAL, 0, f, rh + 8, 16);
        }
        int l4 = rh + (type == 4 ? 40 : 24);
        ChecksumCheck.setTransport(f, l3, l4, f.length, proto);
        f[40] = 0; // the outer UDP checksum, over the inner frame changed above: none
        f[41] = 0;
        return f;
    }

    /**
     * With a Routing header whose Segments Left is not 0, the transport checksum covers the final
     * destination in that header (RFC 8200 8.1), not the IPv6 header's destination the NAT matched
     * and rewrote; the NAT added the address change to the checksum all the same, and the packet
     * left with a wrong one (tshark: Bad). Such a packet's transport peer is not the address the NAT
     * means (its header destination is only the next waypoint), so it is not rewritten: dropped as
     * nat_source_routed. With no segments left the header's destination is final: NAT as always.
     * Checksums judged twice, from scratch (ChecksumCheck, RFC 8200 8.1) and by tshark.
     */
    @Test
    void aSourceRoutedIpv6PacketToANatEntryIsDroppedNotRewrittenWithAWrongChecksum() throws Exception {
        TestData.assumeBpf();
        VxlanOptions o = VxlanOptions.defaults().withAllowlist(List.of(Prefix.parse("2001:db8::1/128")))
                .withNat(List.of(new NatEntry(6, RH_NEXT, 80, Prefix.parse("2001:db8:ff::9/128").address(), 8080),
                        new NatEntry(6, null, 53, Prefix.parse("2001:db8:ff::a/128").address(), 5353)));
        for (VxlanOptions mode : List.of(o, o.withMode(false, false, false))) {
            try (Pair p = new Pair(mode)) {
                List<byte[]> in = new ArrayList<>();
                List<byte[]> out = new ArrayList<>();
                int refused = 0;
                for (int type : new int[] {4, 0}) {
                    for (int proto : new int[] {6, 17}) {
                        for (int left : new int[] {1, 0}) {
                            byte[] f = sourceRouted(type, left, proto, proto == 6 ? 80 : 53);
                            assertThat(ChecksumCheck.firstInvalid(f, 4789)).as("input, from scratch").isNull();
                            in.add(f);
                            VxlanResult r = p.packet(f);
                            String what = "type " + type + ", proto " + proto + ", segments left " + left;
                            if (left > 0) {
                                assertThat(r.reason()).as(what).isEqualTo(VxlanCounter.NAT_SOURCE_ROUTED);
                                assertThat(r.action()).as(what).isEqualTo(VxlanResult.XDP_DROP);
                                refused++;
                            } else {
                                assertThat(r.reason()).as(what).isEqualTo(VxlanCounter.TO_DEVMAP);
                                ChecksumCheck.assertValid(r.frame(), 4789, what);
                                out.add(r.frame());
                            }
                        }
                    }
                    // no NAT entry for the port: forwarded untouched, its checksum still right
                    byte[] f = sourceRouted(type, 1, 6, 22);
                    in.add(f);
                    VxlanResult r = p.packet(f);
                    assertThat(r.reason()).isEqualTo(VxlanCounter.TO_DEVMAP);
                    out.add(r.frame());
                }
                p.assertSameCounters();
                assertThat(p.kernel.counter(VxlanCounter.NAT_SOURCE_ROUTED)).isEqualTo(refused);
                assertThat(p.kernel.counter(VxlanCounter.NAT_APPLIED)).isEqualTo(4);
                // tshark, the independent judge: every input and every packet that left Good, none Bad
                for (List<byte[]> frames : List.of(in, out)) {
                    assertThat(ChecksumCheck.tshark(frames)).allSatisfy(l -> {
                        assertThat(l.split("[\\t,]", -1)).doesNotContain("0");
                        assertThat(l).contains("1");
                    });
                }
            }
        }
    }

    /**
     * Outer IPv6 (after {@code vlans} tags) with destination-options headers of the given sizes (in
     * 8-byte units beyond the first 8), then UDP to 4789, VNI 42, inner IPv4 UDP 10.0.0.1 -> 10.1.0.1:53.
     */
    static byte[] behindOuterExtensions(int vlans, int... units) {
        FrameBuilder b = new FrameBuilder().ethernet();
        for (int i = 0; i < vlans; i++) {
            b.vlan(100 + i);
        }
        b.ipv6("fd00::1", "fd00::2");
        for (int u : units) {
            b.ipv6Extension(60, u);
        }
        return b.udp(40000, 4789).vxlan(42).ethernet().ipv4(new byte[] {10, 0, 0, 1}, new byte[] {10, 1, 0, 1}, 0, 64)
                .udp(1000, 53).payload(16).build();
    }

    /**
     * A packet whose parse stopped at the parser's own limits before it could tell whether it is
     * VXLAN was passed to the host (not_vxlan), which walks on, finds UDP to 4789 and, with a
     * VXLAN device, decapsulates what the allowlist and the VNI check never saw: it is dropped
     * (too_deep). One extension header less, or four VLAN tags, is read to the end and served.
     */
    @Test
    void aPacketTheParseCannotReadFarEnoughIsDroppedNotPassedToTheHost() {
        TestData.assumeBpf();
        int[] eight = {0, 0, 0, 0, 0, 0, 0, 0};
        int[] nine = {0, 0, 0, 0, 0, 0, 0, 0, 0};
        for (VxlanOptions o : List.of(dedicated(), dedicated().withMode(false, false, false).withVnis(Set.of(42)))) {
            try (Pair p = new Pair(o)) {
                assertThat(p.packet(behindOuterExtensions(0, eight)).reason()).as("8 extension headers: read to the end")
                        .isEqualTo(VxlanCounter.TO_DEVMAP);
                assertThat(p.packet(behindOuterExtensions(4, 0)).reason()).as("4 VLAN tags").isEqualTo(VxlanCounter.TO_DEVMAP);
                List<byte[]> unreadable = List.of(
                        behindOuterExtensions(0, nine), // was not_vxlan, passed: Linux walks 9 and decapsulates
                        behindOuterExtensions(1, nine),
                        behindOuterExtensions(0, 255, 0), // UDP header past XDPML_MAX_HDR_OFF (2048)
                        behindOuterExtensions(5, 0), // a fifth VLAN tag
                        new FrameBuilder().ethernet().ipv6("fd00::1", "fd00::2").ipv6Extension(0, 0).ipv6Extension(60, 0)
                                .ipv6Extension(43, 0).ipv6Extension(60, 0).ipv6Extension(60, 1).ipv6Extension(60, 0)
                                .ipv6Extension(60, 0).ipv6Extension(60, 0).ipv6Extension(51, 1).tcp(1000, 22, 0x02).build());
                for (byte[] f : unreadable) {
                    VxlanResult r = p.packet(f);
                    assertThat(r.reason()).as(FrameFuzzerHex.hex(f)).isEqualTo(VxlanCounter.TOO_DEEP);
                    assertThat(r.action()).isEqualTo(VxlanResult.XDP_DROP);
                }
                byte[] innerNine = new FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(40000, 4789).vxlan(42).ethernet()
                        .ipv6("2001:db8::1", "2001:db8:1::1").ipv6Extension(60, 0).ipv6Extension(60, 0).ipv6Extension(60, 0)
                        .ipv6Extension(60, 0).ipv6Extension(60, 0).ipv6Extension(60, 0).ipv6Extension(60, 0).ipv6Extension(60, 0)
                        .ipv6Extension(60, 0).udp(1000, 53).payload(8).build();
                assertThat(p.packet(innerNine).reason()).as("the inner frame too deep: a VXLAN packet, err_parse as before")
                        .isEqualTo(VxlanCounter.ERR_PARSE);
                byte[] plain = new FrameBuilder().ethernet().ipv6("fd00::1", "fd00::2").ipv6Extension(60, 0).tcp(1000, 22, 0x02).build();
                assertThat(p.packet(plain).reason()).as("the host's own traffic, read to the end").isEqualTo(VxlanCounter.NOT_VXLAN);
                p.assertSameCounters();
                assertThat(p.kernel.counter(VxlanCounter.TOO_DEEP)).isEqualTo(unreadable.size());
                assertThat(p.kernel.counter(VxlanCounter.NOT_VXLAN)).isEqualTo(1);
            }
        }
    }

    @Test
    void aVniNotServedIsDropped() {
        TestData.assumeBpf();
        for (VxlanOptions o : List.of(dedicated().withVnis(Set.of(42, 100)), dedicated().withMode(false, false, false).withVnis(Set.of(42)))) {
            try (Pair p = new Pair(o)) {
                assertThat(p.packet(vxlanFrame(0, 42, false)).reason()).isEqualTo(VxlanCounter.TO_DEVMAP);
                VxlanResult r = p.packet(vxlanFrame(0, 43, false)); // was forwarded, into whatever segment the sender chose
                assertThat(r.reason()).isEqualTo(VxlanCounter.OTHER_VNI);
                assertThat(r.action()).isEqualTo(VxlanResult.XDP_DROP);
                p.assertSameCounters();
                assertThat(p.kernel.counter(VxlanCounter.OTHER_VNI)).isEqualTo(1);
            }
        }
        try (Pair p = new Pair(dedicated())) { // no --vni: all served, as before
            assertThat(p.packet(vxlanFrame(0, 43, false)).reason()).isEqualTo(VxlanCounter.TO_DEVMAP);
        }
    }
}
