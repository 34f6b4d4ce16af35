package io.xdpml.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.TestRun;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseSummary;
import io.xdpml.packet.PayloadEntropy;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.testing.FrameFuzzer;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One truth, two implementations: the payload entropy entropy.h computes in XDP (xdp_entropy.bpf.c,
 * run with BPF_PROG_TEST_RUN, last_entropy in .bss) against
 * {@link PayloadEntropy} on the Java parser's summary, for every Ethernet packet of every shared
 * capture and of testdata/detect, built payloads of every length from 0 to 100 in four patterns
 * (both kernel paths: with and without 64 bytes of frame after the payload's start), built frames
 * of the paths the definition names (VXLAN, IPv6 extension headers and fragment, IPv4 options,
 * ICMPv6; whole and truncated) and 20,000 fuzzed frames: the same integer and the same byte count for every packet, at the prefixes 64 and 16.
 */
class PayloadEntropyParityTest {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT;

    @Test
    void kernelEntropyEqualsJavaOnEveryPacketPrefix64() throws Exception {
        compare(64);
    }

    @Test
    void kernelEntropyEqualsJavaOnEveryPacketPrefix16() throws Exception {
        compare(16);
    }

    private void compare(int prefix) throws Exception {
        TestData.assumeBpf();
        List<Path> captures = new ArrayList<>(TestData.captures());
        try (Stream<Path> s = Files.list(TestData.dataDir().resolve("detect"))) {
            s.filter(p -> p.toString().endsWith(".pcap")).sorted().forEach(captures::add);
        }
        try (BpfObject o = BpfObject.openResource(Pipelines.ENTROPY); Arena arena = Arena.ofConfined()) {
            o.setConstant("cfg_vxlan_port", 4789);
            o.setConstant("cfg_entropy_prefix", prefix);
            o.load();
            MemorySegment last = o.variable("last_entropy");
            PacketParser parser = new PacketParser(4789);
            ParseSummary summary = new ParseSummary();
            PayloadEntropy java = new PayloadEntropy(prefix);
            MemorySegment pkt = arena.allocate(TestRun.maxTestRunFrame(), 64);
            List<String> mismatches = new ArrayList<>();
            long[] n = new long[4]; // compared, with payload, full prefix, non-zero entropy
            try (TestRun run = o.program(Pipelines.get("parse-entropy").program()).testRun()) {
                // built: every payload length from 0 to 100 (odd and even, shorter and longer than the
                // prefix, with and without 64 bytes of frame after the payload's start: Ethernet padding),
                // in four patterns: one byte repeated, distinct bytes, two bytes alternating, a small random alphabet
                java.util.Random rnd = new java.util.Random(15);
                for (int len = 0; len <= 100; len++) {
                    for (int pattern = 0; pattern < 4; pattern++) {
                        byte[] payload = new byte[len];
                        for (int i = 0; i < len; i++) {
                            payload[i] = (byte) switch (pattern) {
                                case 0 -> 0x41;
                                case 1 -> i;
                                case 2 -> i & 1;
                                default -> rnd.nextInt(5);
                            };
                        }
                        for (int pad : new int[] {0, 128}) {
                            byte[] f = new io.xdpml.packet.FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2)
                                    .payload(payload).padTo(42 + len + pad).build();
                            MemorySegment.copy(MemorySegment.ofArray(f), 0, pkt, 0, f.length);
                            check(run, pkt, f.length, last, parser, summary, java, n, mismatches, "built payload " + len + "/" + pattern + "/" + pad);
                        }
                    }
                }
                // the paths the definition names, each with a 100-byte payload of 5 values and one truncated to 30 bytes:
                // VXLAN (inner UDP, inner TCP behind a tag, inner ARP: no payload, see below), IPv6 extension headers,
                // a first IPv6 fragment, IPv4 options, ICMPv6 echo
                byte[] body = new byte[100];
                for (int i = 0; i < body.length; i++) {
                    body[i] = (byte) rnd.nextInt(5);
                }
                java.util.Map<String, byte[]> shapes = new java.util.LinkedHashMap<>();
                shapes.put("vxlan/udp", new io.xdpml.packet.FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(49152, 4789)
                        .vxlan(42).ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).payload(body).build());
                shapes.put("vxlan/vlan/tcp", new io.xdpml.packet.FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(49152, 4789)
                        .vxlan(42).ethernet().vlan(10).ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2, 0x18).payload(body).build());
                shapes.put("vxlan/arp", new io.xdpml.packet.FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(49152, 4789)
                        .vxlan(42).ethernet().etherType(0x0806).payload(body).build());
                shapes.put("ipv6/hbh/dst/tcp", new io.xdpml.packet.FrameBuilder().ethernet().ipv6("2001:db8::1", "2001:db8::2")
                        .ipv6Extension(io.xdpml.packet.Ipv6Header.HOP_BY_HOP, 0)
                        .ipv6Extension(io.xdpml.packet.Ipv6Header.DESTINATION_OPTIONS, 1).tcp(1, 2, 0x18).payload(body).build());
                shapes.put("ipv6/fragment0/udp", new io.xdpml.packet.FrameBuilder().ethernet().ipv6("2001:db8::1", "2001:db8::2")
                        .ipv6Fragment(0, true).udp(1, 2).payload(body).build());
                shapes.put("ipv4-options/udp", new io.xdpml.packet.FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").ipv4Options(8)
                        .udp(1, 2).payload(body).build());
                shapes.put("icmpv6-echo", new io.xdpml.packet.FrameBuilder().ethernet().ipv6("2001:db8::1", "2001:db8::2")
                        .icmpv6Echo(1, 2).payload(body).build());
                // a non-IP frame has no payload, natively or inside VXLAN (before 2026-12-06 the VXLAN one took the outer
                // UDP's: the VXLAN header and the inner frame), also behind outer VLAN tags and over IPv6
                java.util.Map<String, byte[]> noPayload = new java.util.LinkedHashMap<>();
                noPayload.put("arp", new io.xdpml.packet.FrameBuilder().ethernet().etherType(0x0806).payload(body).build());
                noPayload.put("vxlan/arp", shapes.remove("vxlan/arp"));
                noPayload.put("vlan/vxlan/arp", new io.xdpml.packet.FrameBuilder().ethernet().vlan(7).ipv4("192.0.2.1", "192.0.2.2")
                        .udp(49152, 4789).vxlan(42).ethernet().etherType(0x0806).payload(body).build());
                noPayload.put("ipv6/vxlan/arp", new io.xdpml.packet.FrameBuilder().ethernet().ipv6("2001:db8::1", "2001:db8::2")
                        .udp(49152, 4789).vxlan(42).ethernet().etherType(0x0806).payload(body).build());
                for (var e : noPayload.entrySet()) {
                    byte[] f = e.getValue();
                    MemorySegment.copy(MemorySegment.ofArray(f), 0, pkt, 0, f.length);
                    check(run, pkt, f.length, last, parser, summary, java, n, mismatches, e.getKey());
                    assertThat(java.lastBytes()).as(e.getKey() + ": no payload").isZero();
                    assertThat(last.get(U32, 4)).as(e.getKey() + ": no payload in the kernel").isZero();
                }
                for (var e : shapes.entrySet()) {
                    byte[] f = e.getValue();
                    for (int len : new int[] {f.length, f.length - 70}) {
                        MemorySegment.copy(MemorySegment.ofArray(f), 0, pkt, 0, len);
                        check(run, pkt, len, last, parser, summary, java, n, mismatches, e.getKey() + " cut to " + len);
                        assertThat(java.lastBytes()).as(e.getKey() + " cut to " + len + ": has a payload").isPositive();
                    }
                }
                FrameFuzzer fuzz = new FrameFuzzer(15, 600);
                for (int i = 0; i < 20_000; i++) {
                    byte[] f = fuzz.next();
                    if (f.length < 14) {
                        continue;
                    }
                    MemorySegment.copy(MemorySegment.ofArray(f), 0, pkt, 0, f.length);
                    check(run, pkt, f.length, last, parser, summary, java, n, mismatches, "fuzzed frame " + i);
                }
                for (Path capture : captures) {
                    try (CaptureReader r = CaptureReader.open(capture)) {
                        while (nextOrEnd(r)) {
                            int len = Math.min(r.capturedLength(), TestRun.maxTestRunFrame());
                            if (r.linkType() != 1 || len < 14) {
                                continue;
                            }
                            MemorySegment.copy(r.data(), 0, pkt, 0, len);
                            check(run, pkt, len, last, parser, summary, java, n, mismatches,
                                    capture.getFileName() + " #" + r.packetIndex());
                        }
                    }
                }
            }
            System.out.printf("payload entropy, prefix %d: %d packets compared, %d with a payload, %d with the whole prefix,"
                    + " %d non-zero%n", prefix, n[0], n[1], n[2], n[3]);
            assertThat(mismatches).isEmpty();
            assertThat(n[0]).as("packets compared").isGreaterThan(200_000);
            assertThat(n[1]).as("with a payload: not vacuous").isGreaterThan(n[0] / 4);
            assertThat(n[2]).as("with the whole prefix").isGreaterThan(10_000);
            assertThat(n[3]).as("non-zero entropy").isGreaterThan(n[0] / 10);
        }
    }

    private static void check(TestRun run, MemorySegment pkt, int len, MemorySegment last, PacketParser parser, ParseSummary summary,
                              PayloadEntropy java, long[] n, List<String> mismatches, String what) {
        last.set(U32, 0, -1);
        last.set(U32, 4, -1);
        run.run(pkt, len);
        int kq = last.get(U32, 0);
        int kn = last.get(U32, 4);
        parser.parse(pkt, len, summary);
        int jq = java.ofPacket(pkt, 0, len, summary);
        int jn = java.lastBytes();
        n[0]++;
        if (jn > 0) {
            n[1]++;
        }
        if (jn == java.prefix()) {
            n[2]++;
        }
        if (jq != 0) {
            n[3]++;
        }
        if ((kq != jq || kn != jn) && mismatches.size() < 10) {
            mismatches.add(what + " (" + len + " bytes): kernel " + kq + " over " + kn + ", java " + jq + " over " + jn + "; " + summary
                    + "\n  " + HexFormat.of().formatHex(pkt.asSlice(0, Math.min(len, 96)).toArray(ValueLayout.JAVA_BYTE)));
        }
    }

    /** The next record; false at the end and at a malformed record (the captures include broken files). */
    private static boolean nextOrEnd(CaptureReader r) {
        try {
            return r.next();
        } catch (io.xdpml.pcap.PcapFormatException e) {
            return false;
        }
    }
}
