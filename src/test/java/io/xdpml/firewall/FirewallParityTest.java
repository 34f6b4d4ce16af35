package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
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
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One truth, two implementations: the kernel firewall (BPF_PROG_TEST_RUN, test clock) and the
 * Java reference judge the same packets, every shared capture with its own timing and seeded
 * random frames, under configs that exercise every stage. Each packet's verdict reason and
 * deciding rule must be identical, and so must every counter and every rule's hits.
 */
class FirewallParityTest {
    /** Lists, rules with ports and prefixes both ways, loose conntrack, limits that bite. */
    static final String MIXED = """
            default drop
            conntrack on
            timeout tcp-syn 2s
            timeout tcp-fin 1s
            timeout udp 5s
            rate-limit 60/s burst 20
            syn-limit 3/s burst 3
            syn-flood 20/s burst 10
            bare-syn-flood 60/s burst 10
            icmp-flood 30/s burst 10
            deny src 10.0.0.0/24 192.168.1.128/25 2001:db8:dead::/48
            deny dst 224.0.0.0/4
            allow src 172.16.0.0/12
            rule drop tcp from 192.168.0.0/16 port 0-1023
            rule pass tcp port 80
            rule pass tcp port 443
            rule pass tcp from 128.0.0.0/1 to 0.0.0.0/1 port 1000-40000
            rule drop udp from any to 192.168.0.0/16 port 137-139
            rule pass udp port 53
            rule pass udp from 0.0.0.0/2 port 1024-65535
            rule pass icmp
            rule pass icmpv6 from fe80::/10
            rule drop any from 64.0.0.0/2
            rule pass any to 2000::/3
            rule pass tcp from ::/0 port 8000-8999
            """;

    /** Strict conntrack, default pass, no limits: stray packets are the story. */
    static final String STRICT = """
            default pass
            malformed pass
            conntrack on strict
            timeout tcp-established 10s
            rule drop udp port 0-52
            rule drop tcp to 10.0.0.0/8 port 22
            """;

    /** No conntrack: every packet judged by lists and rules; per-source limit only. */
    static final String STATELESS = """
            default pass
            rate-limit 300/s burst 30
            deny 0.0.0.0/3
            allow dst 192.168.0.0/16
            rule drop tcp from 128.0.0.0/2 port 0-1023
            rule drop any from 2000::/3
            rule pass udp port 53
            rule drop udp
            """;

    static Stream<Arguments> cases() {
        return TestData.captures().stream().flatMap(c -> Stream.of(Arguments.of(c, "mixed"), Arguments.of(c, "strict"),
                Arguments.of(c, "stateless")));
    }

    static FirewallConfig config(String name) throws Exception {
        return FirewallConfigParser.parse(switch (name) {
            case "mixed" -> MIXED;
            case "strict" -> STRICT;
            default -> STATELESS;
        }, name);
    }

    static FirewallProgram.Limits limits() {
        return new FirewallProgram.Limits(1 << 12, 1 << 14, 1 << 8, 1 << 20, 1 << 20);
    }

    /** Compares the two engines packet by packet; returns the verdict histogram of the kernel. */
    static final class Pair implements AutoCloseable {
        final KernelFirewall kernel;
        final JavaFirewall java;
        final List<String> diffs = new ArrayList<>();
        long packets;
        /** The twin's verdict on the last packet. */
        FirewallCounter last;
        private final Arena arena = Arena.ofConfined();
        private final MemorySegment frameBuf = arena.allocate(9216);

        Pair(FirewallConfig c) {
            this(c, 4789);
        }

        /** With {@code vxlanPort} the UDP port both parse as VXLAN (0: none). */
        Pair(FirewallConfig c, int vxlanPort) {
            kernel = new KernelFirewall(limits(), vxlanPort);
            java = new JavaFirewall(vxlanPort, limits().connections(), limits().sources()); // bounded as the maps are
            kernel.install(c);
            java.install(c);
        }

        void packet(MemorySegment frame, int length, long now) {
            FirewallCounter k = kernel.packet(frame, length, now);
            FirewallCounter j = java.packet(frame, length, now);
            last = j;
            packets++;
            if ((k != j || kernel.lastRule() != java.lastRule()) && diffs.size() < 10) {
                diffs.add("packet " + packets + " at " + now + ": kernel " + k + " rule " + kernel.lastRule() + ", java " + j
                        + " rule " + java.lastRule());
            }
        }

        /** The first {@code length} bytes of frame f judged by both, at the next packet time: the twin's verdict. */
        FirewallCounter judge(byte[] f, int length) {
            MemorySegment.copy(f, 0, frameBuf, ValueLayout.JAVA_BYTE, 0, length);
            packet(frameBuf, length, 1_000_000_000L + packets);
            return last;
        }

        void assertSame() {
            assertThat(diffs).as("packets judged differently").isEmpty();
            for (FirewallCounter c : FirewallCounter.values()) {
                assertThat(kernel.counter(c)).as(c.jsonName()).isEqualTo(java.counter(c));
            }
            assertThat(kernel.ruleHits()).as("rule hits").isEqualTo(java.ruleHits());
            assertThat(kernel.counter(FirewallCounter.PACKETS)).isEqualTo(packets);
            assertThat(kernel.counter(FirewallCounter.CT_INSERT_FAILED)).isZero();
            assertThat(kernel.program().maps().connections()).as("connections").isEqualTo(java.connections().size());
        }

        @Override
        public void close() {
            kernel.close();
            arena.close();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void kernelAndJavaJudgeEveryCapturePacketAlike(Path capture, String configName) throws Exception {
        TestData.assumeBpf();
        int max = TestRun.maxTestRunFrame();
        try (Pair p = new Pair(config(configName))) {
            EthernetFramer framer = new EthernetFramer();
            try (CaptureReader r = CaptureReader.open(capture)) {
                try {
                    while (r.next()) {
                        int length = framer.frame(r);
                        if (length < 14) {
                            continue;
                        }
                        p.packet(framer.frameSegment(), Math.min(length, max), r.timestampNanos());
                    }
                } catch (PcapFormatException damaged) {
                    // the packets before the damage were compared
                }
            }
            assertThat(p.packets).isPositive();
            p.assertSame();
        }
    }

    /**
     * {@code bare-syn-flood} (since 2026-12-07): the spoofed SYN flood's SYNs without TCP options (hping3's, 20-byte headers)
     * over the bucket of all sources dropped alike by both, with its own reason and never with a cookie (also under
     * {@code syn-cookies on}); the LAN hour's 5,971 SYNs, every one with options, none of them. Undone in the kernel
     * (its check made {@code tcp_doff == 6}), the first comparison fails.
     */
    @Test
    void synsWithoutOptionsOverTheBareSynFloodAreDroppedAlike() throws Exception {
        TestData.assumeBpf();
        for (String cookies : List.of("off", "on")) {
            FirewallConfig c = FirewallConfigParser.parse("default pass\nconntrack on\nbare-syn-flood 100/s burst 200\nsyn-flood 5000/s burst 500\n"
                    + "syn-cookies " + cookies + "\n", "bare");
            long spoofed = judgeCapture(c, TestData.capture("attack/synflood-spoofed.pcap"), FirewallCounter.DROP_BARE_GLOBAL);
            assertThat(spoofed).as("bare SYNs dropped, syn-cookies %s", cookies).isGreaterThan(10_000);
            assertThat(judgeCapture(c, TestData.capture("benign/lan-trace-2012.pcap"), FirewallCounter.DROP_BARE_GLOBAL))
                    .as("the LAN hour's SYNs, all with options").isZero();
        }
        // alone, without conntrack or another limit that reads the clock (before the fix of 2026-12-07
        // the kernel read none for it, and its bucket never refilled: every bare SYN dropped)
        FirewallConfig alone = FirewallConfigParser.parse("default pass\nbare-syn-flood 100/s burst 200\n", "bare alone");
        assertThat(judgeCapture(alone, TestData.capture("attack/synflood-spoofed.pcap"), FirewallCounter.DROP_BARE_GLOBAL))
                .as("bare SYNs dropped, bare-syn-flood alone").isGreaterThan(10_000);
    }

    /**
     * {@code icmp-flood}: ICMP of all sources over the bucket is dropped alike by kernel and Java
     * (a BlackNurse flood, 8,000 ICMP errors in 1.2 s: all but the burst and its refill), the LAN
     * hour's 105 ICMP packets never; ICMPv6 neighbour discovery and multicast listener messages are
     * never counted, while its echoes and errors share the bucket with ICMP's. Revert check: with
     * the kernel's ICMPv6 bound made {@code < 129}, the comparison fails.
     */
    @Test
    void icmpOverTheIcmpFloodIsDroppedAlikeButNeverNeighbourDiscovery() throws Exception {
        TestData.assumeBpf();
        FirewallConfig c = FirewallConfigParser.parse("default pass\nicmp-flood 100/s burst 200\n", "icmp");
        long blackNurse = judgeCapture(c, TestData.dataDir().resolve("detect/hping3-blacknurse.pcap"), FirewallCounter.DROP_ICMP_GLOBAL);
        assertThat(blackNurse).as("BlackNurse's errors dropped: all but 200 + 100/s x 1.19 s").isBetween(8_000L - 330, 8_000L - 300);
        assertThat(judgeCapture(c, TestData.capture("benign/lan-trace-2012.pcap"), FirewallCounter.DROP_ICMP_GLOBAL))
                .as("the LAN hour's ICMP").isZero();
        try (Pair p = new Pair(FirewallConfigParser.parse("default pass\nicmp-flood 1/s burst 1\n", "icmp1"))) {
            java.util.function.IntFunction<byte[]> v6 = type -> new FrameBuilder().ethernet().ipv6("fe80::1", "ff02::1")
                    .icmpv6(type, 0, 0).padTo(78).build();
            assertThat(p.judge(v6.apply(128), 78)).as("the first echo: the burst").isEqualTo(FirewallCounter.PASS_DEFAULT);
            for (int round = 0; round < 50; round++) {
                for (int type : new int[] {130, 131, 132, 133, 134, 135, 136, 137, 143}) {
                    assertThat(p.judge(v6.apply(type), 78)).as("ICMPv6 type %d", type).isEqualTo(FirewallCounter.PASS_DEFAULT);
                }
                for (int type : new int[] {1, 2, 3, 4, 128, 129}) {
                    assertThat(p.judge(v6.apply(type), 78)).as("ICMPv6 type %d", type).isEqualTo(FirewallCounter.DROP_ICMP_GLOBAL);
                }
                byte[] v4 = new FrameBuilder().ethernet().ipv4("192.0.2.9", "198.51.100.1").icmp(round % 2 == 0 ? 8 : 3, 3, 0)
                        .padTo(64).build();
                assertThat(p.judge(v4, 64)).as("ICMP").isEqualTo(FirewallCounter.DROP_ICMP_GLOBAL);
                byte[] udp = new FrameBuilder().ethernet().ipv4("192.0.2.9", "198.51.100.1").udp(4000, 53).padTo(64).build();
                assertThat(p.judge(udp, 64)).as("UDP").isEqualTo(FirewallCounter.PASS_DEFAULT);
            }
            p.assertSame();
        }
    }

    /** A capture through both engines under {@code c}, compared; how many packets got {@code reason}. */
    private static long judgeCapture(FirewallConfig c, Path capture, FirewallCounter reason) throws Exception {
        int max = TestRun.maxTestRunFrame();
        try (Pair p = new Pair(c)) {
            EthernetFramer framer = new EthernetFramer();
            try (CaptureReader r = CaptureReader.open(capture)) {
                while (r.next()) {
                    int length = framer.frame(r);
                    if (length >= 14) {
                        p.packet(framer.frameSegment(), Math.min(length, max), r.timestampNanos());
                    }
                }
            }
            p.assertSame();
            assertThat(p.kernel.counter(FirewallCounter.SYN_COOKIE)).as("never answered").isZero();
            return p.kernel.counter(reason);
        }
    }

    /**
     * Handshake packets that Linux's conntrack lets by (tcp_conntracks: sIG), seen in public benign
     * captures: the responder's challenge ACK to a SYN (RFC 5961), the initiator's SYN again after the
     * SYN-ACK (the SYN-ACK was lost), the responder's SYN-ACK again after the handshake's ACK (the
     * ACK was lost). Both pass in the kernel
     * and in Java; a SYN from the responder on an established connection is still invalid, one from the initiator passes,
     * the entry unchanged (since 2026-12-07: aClientsSynOnAConnectionItNeverClosedPassesAndLeavesItsEntry; before, invalid).
     */
    @Test
    void handshakeRetransmissionsPass() throws Exception {
        TestData.assumeBpf();
        try (Pair p = new Pair(config("strict")); Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            long[] now = {1_000_000_000L};
            java.util.function.BiFunction<Boolean, Integer, FirewallCounter> send = (fromClient, flags) -> {
                FrameBuilder b = new FrameBuilder().ethernet();
                byte[] f = (fromClient ? b.ipv4("10.1.1.1", "192.168.7.7").tcp(40000, 443, flags)
                        : b.ipv4("192.168.7.7", "10.1.1.1").tcp(443, 40000, flags)).build();
                MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                now[0] += 1_000_000;
                long before = p.java.counter(FirewallCounter.DROP_CT_INVALID);
                p.packet(buf, f.length, now[0]);
                return p.java.counter(FirewallCounter.DROP_CT_INVALID) > before ? FirewallCounter.DROP_CT_INVALID : FirewallCounter.PASS_CONNTRACK;
            };
            int syn = 0x02, synAck = 0x12, ack = 0x10, rst = 0x04;
            send.apply(true, syn);
            assertThat(send.apply(false, ack)).as("a challenge ACK in syn_sent").isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(send.apply(false, ack | 0x01)).as("a FIN-ACK from the responder in syn_sent").isEqualTo(FirewallCounter.DROP_CT_INVALID);
            send.apply(true, rst);
            send.apply(true, syn);
            send.apply(false, synAck);
            assertThat(send.apply(true, syn)).as("the SYN again in syn_recv").isEqualTo(FirewallCounter.PASS_CONNTRACK);
            send.apply(false, synAck);
            send.apply(true, ack);
            assertThat(send.apply(false, synAck)).as("the SYN-ACK again when established").isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(send.apply(true, ack)).isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(send.apply(true, syn)).as("a SYN from the initiator when established").isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(send.apply(false, syn)).as("a SYN from the responder when established").isEqualTo(FirewallCounter.DROP_CT_INVALID);
            p.assertSame();
            assertThat(p.kernel.counter(FirewallCounter.DROP_CT_INVALID)).isEqualTo(2);
        }
    }

    /** Strict conntrack whose closed entries expire fast: a wrongly closed connection shows as stray. */
    static final String RST_CHECK = """
            default pass
            conntrack on strict
            timeout tcp-established 60s
            timeout tcp-fin 1s
            """;

    /** One TCP conversation between a client and a server, judged by both engines, with its own clock. */
    static final class Talk {
        final Pair p;
        final int clientPort;
        long now = 1_000_000_000L;

        Talk(Pair p, int clientPort) {
            this.p = p;
            this.clientPort = clientPort;
        }

        /** A segment of {@code payload} bytes from the client (or the server): the twin's verdict, the kernel's compared. */
        FirewallCounter send(boolean fromClient, int flags, long seq, long ack, int payload) {
            FrameBuilder b = new FrameBuilder().ethernet();
            byte[] f = (fromClient ? b.ipv4("10.1.1.1", "192.168.7.7").tcp(clientPort, 443, flags, (int) seq, (int) ack)
                    : b.ipv4("192.168.7.7", "10.1.1.1").tcp(443, clientPort, flags, (int) seq, (int) ack)).payload(payload).build();
            now += 1_000_000;
            FirewallCounter k = p.kernel.packet(MemorySegment.ofArray(f), f.length, now);
            FirewallCounter j = p.java.packet(MemorySegment.ofArray(f), f.length, now);
            p.packets++;
            assertThat(k).as("kernel and Java at packet " + p.packets).isEqualTo(j);
            return j;
        }

        void pause(long nanos) { now += nanos; }

        /** The connection's state in the kernel's table, which must be the twin's. */
        String state() {
            List<String> lines = p.kernel.program().maps().connectionLines(10, now);
            String kernel = lines.stream().filter(l -> l.contains(":" + clientPort + " ")).map(l -> l.split(" ")[4]).findFirst().orElse("none");
            String java = p.java.connections().entrySet().stream().filter(e -> e.getKey().contains(":" + clientPort))
                    .map(e -> FirewallLayout.ctStateName((int) e.getValue()[1])).findFirst().orElse("none");
            assertThat(kernel).as("kernel's state, Java's " + java).isEqualTo(java);
            return kernel;
        }
    }

    /**
     * A RST is believed only near the sequence its sender is at (since 2026-12-06; before, any RST
     * closed the connection, and under strict conntrack its next packet after a pause was stray): a
     * forged one far from it, from either side, is dropped as drop_ct_rst_window and changes nothing;
     * a segment far ahead passes but moves no sequence (it cannot set up its own RST); a RST within
     * the window closes. The client's sequence wraps past 2^32 on the way. Kernel and Java alike.
     */
    @Test
    void aRstFarFromItsSendersSequenceDoesNotCloseTheConnection() throws Exception {
        TestData.assumeBpf();
        try (Pair p = new Pair(FirewallConfigParser.parse(RST_CHECK, "rst-check"))) {
            Talk t = new Talk(p, 40001);
            long x = 0xffff_ff00L, y = 0x1234_5678L; // the client's and the server's initial sequence numbers
            int syn = 0x02, synAck = 0x12, ack = 0x10, psh = 0x18, rst = 0x04, rstAck = 0x14;
            assertThat(t.send(true, syn, x, 0, 0)).isEqualTo(FirewallCounter.PASS_DEFAULT);
            assertThat(t.send(false, synAck, y, x + 1, 0)).isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(t.send(true, ack, x + 1, y + 1, 0)).isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(t.send(true, psh, x + 1, y + 1, 1000)).as("data across 2^32").isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(t.send(false, psh, y + 1, x + 1001, 50)).isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(t.state()).isEqualTo("established");

            assertThat(t.send(true, rst, x + 1001 + (1L << 31), 0, 0)).as("a forged RST, the client's, far")
                    .isEqualTo(FirewallCounter.DROP_CT_RST_WINDOW);
            assertThat(t.send(false, rst, y + 51 + (1L << 30), 0, 0)).as("a forged RST, the server's, far")
                    .isEqualTo(FirewallCounter.DROP_CT_RST_WINDOW);
            assertThat(t.send(false, rstAck, y + 51 - (2L << 20), x + 1001, 0)).as("the right ACK does not make a far RST near")
                    .isEqualTo(FirewallCounter.DROP_CT_RST_WINDOW);
            assertThat(t.send(true, ack, x + 1001 + (1L << 31), y + 51, 0)).as("a segment far ahead passes")
                    .isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(t.send(true, rst, x + 1001 + (1L << 31), 0, 0)).as("...but sets up no RST of its own")
                    .isEqualTo(FirewallCounter.DROP_CT_RST_WINDOW);
            assertThat(t.state()).isEqualTo("established");
            t.pause(2_000_000_000L); // longer than tcp-fin: a closed entry would be gone
            assertThat(t.send(true, ack, x + 1001, y + 51, 0)).as("the connection lives on").isEqualTo(FirewallCounter.PASS_CONNTRACK);

            assertThat(t.send(true, rst, x + 1001 + 5000, 0, 0)).as("a RST within the window").isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(t.state()).isEqualTo("closed");
            t.pause(2_000_000_000L);
            assertThat(t.send(true, ack, x + 1001, y + 51, 0)).as("closed, then gone").isEqualTo(FirewallCounter.DROP_CT_STRAY);
            assertThat(p.java.counter(FirewallCounter.DROP_CT_RST_WINDOW)).isEqualTo(4);
            p.assertSame();
        }
    }

    /**
     * Under loose conntrack a RST without a connection opens none (since 2026-12-06; before, it
     * opened one as established, and the other side's packets then passed as its replies, past the
     * rules): Linux's conntrack creates no connection from a RST (tcp_conntracks[ORIGINAL][rst][NONE]
     * is INVALID; tcp_new refuses it). The RST itself is judged by the policy like any packet without
     * a connection; an ACK still picks one up. Kernel and Java alike.
     */
    @Test
    void aRstWithoutAConnectionOpensNone() throws Exception {
        TestData.assumeBpf();
        try (Pair p = new Pair(FirewallConfigParser.parse("default drop\nconntrack on\nrule pass tcp port 443\n", "loose"))) {
            opensNoneThenAnAckDoes(new Talk(p, 40020), 0x04, 0x14); // a RST to the open port, a RST+ACK
            p.assertSame();
            assertThat(p.kernel.counter(FirewallCounter.CT_NEW)).isEqualTo(1);
        }
    }

    /**
     * The client's first packets, of these flags, each passed by the rule (to port 443), open no
     * connection: the server's answer is dropped by the default, not let by as a reply; a pure ACK
     * after them is picked up as established, and the server's answer then passes as its reply.
     */
    private static void opensNoneThenAnAckDoes(Talk t, int... firsts) {
        for (int f : firsts) {
            assertThat(t.send(true, f, 5000, 777, 0)).as("flags 0x%02x without a connection: by the rule", f)
                    .isEqualTo(FirewallCounter.PASS_RULE);
            assertThat(t.state()).as("flags 0x%02x", f).isEqualTo("none");
        }
        assertThat(t.send(false, 0x18, 777, 5001, 100)).as("the other side: no reply of anything").isEqualTo(FirewallCounter.DROP_DEFAULT);
        assertThat(t.send(true, 0x10, 5001, 877, 0)).as("a pure ACK is picked up").isEqualTo(FirewallCounter.PASS_RULE);
        assertThat(t.state()).isEqualTo("established");
        assertThat(t.send(false, 0x18, 877, 5001, 100)).isEqualTo(FirewallCounter.PASS_CONNTRACK);
    }

    /**
     * Under loose conntrack a SYN-ACK, a FIN (with or without ACK) and a segment with none of SYN,
     * ACK, FIN, RST (a bare PSH, no flag at all) open no connection (since 2026-12-06; before, each
     * was picked up as established): Linux's tcp_new refuses them, their first state
     * tcp_conntracks[ORIGINAL][synack|fin|none][sNO] being INVALID. Each is judged by the policy like
     * any packet without a connection (passed by the rule here, the server's answers dropped by the
     * default, not let by as replies); a following pure ACK picks the connection up as established.
     * Under strict conntrack the same first packets stay drop_ct_stray. Kernel and Java alike.
     */
    @Test
    void aSynAckAFinOrNoFlagWithoutAConnectionOpensNone() throws Exception {
        TestData.assumeBpf();
        int synAck = 0x12, fin = 0x01, finAck = 0x11, finPshAck = 0x19, bare = 0x00, pshOnly = 0x08;
        int[] firsts = {synAck, fin, finAck, finPshAck, bare, pshOnly};
        try (Pair p = new Pair(FirewallConfigParser.parse("default drop\nconntrack on\nrule pass tcp port 443\n", "loose"))) {
            for (int i = 0; i < firsts.length; i++) {
                opensNoneThenAnAckDoes(new Talk(p, 40030 + i), firsts[i]);
            }
            p.assertSame();
            assertThat(p.kernel.counter(FirewallCounter.CT_NEW)).as("one connection per pure ACK").isEqualTo(firsts.length);
        }
        // a drop rule drops them (loose); strict drops them as stray before the policy, as before
        String[] configs = {"conntrack on\nrule drop tcp port 443", "conntrack on strict\nrule pass tcp port 443"};
        FirewallCounter[] verdicts = {FirewallCounter.DROP_RULE, FirewallCounter.DROP_CT_STRAY};
        for (int c = 0; c < configs.length; c++) {
            try (Pair p = new Pair(FirewallConfigParser.parse("default drop\n" + configs[c] + "\n", "config " + c))) {
                for (int i = 0; i < firsts.length; i++) {
                    Talk t = new Talk(p, 40040 + i);
                    assertThat(t.send(true, firsts[i], 5000, 777, 0)).as(configs[c]).isEqualTo(verdicts[c]);
                    assertThat(t.state()).isEqualTo("none");
                }
                p.assertSame();
            }
        }
    }

    /**
     * A server on one NIC (loose conntrack, XDP sees only inbound packets) opening a connection of
     * its own: the peer's SYN-ACK, the first packet XDP sees of it, opens nothing and is judged by
     * the policy (since 2026-12-06; before, it opened the connection as established); the peer's
     * next segment, an ACK with data, opens it as established, with the peer as its initiator, its
     * and (from its ACK) the server's sequence known, so that the peer's RST at its sequence is
     * believed and closes it. Kernel and Java alike.
     */
    @Test
    void aServersOwnConnectionOnOneNicOpensAtThePeersAckNotItsSynAck() throws Exception {
        TestData.assumeBpf();
        try (Pair p = new Pair(FirewallConfigParser.parse("default pass\nconntrack on\nrule drop tcp port 23\n", "one-nic"))) {
            int synAck = 0x12, ack = 0x10, psh = 0x18, rst = 0x04;
            long x = 0x7000_0000L, y = 0xffff_fff0L; // the server's and the peer's initial sequence numbers
            Talk t = new Talk(p, 40060); // "client" 10.1.1.1 is the server here, 192.168.7.7:443 its peer
            assertThat(t.send(false, synAck, y, x + 1, 0)).as("the peer's SYN-ACK: by the policy").isEqualTo(FirewallCounter.PASS_DEFAULT);
            assertThat(t.state()).isEqualTo("none");
            assertThat(p.kernel.counter(FirewallCounter.CT_NEW)).isZero();
            assertThat(t.send(false, psh, y + 1, x + 101, 1000)).as("the peer's data: by the policy, opens").isEqualTo(FirewallCounter.PASS_DEFAULT);
            assertThat(t.state()).isEqualTo("established");
            assertThat(t.send(false, ack, y + 1001, x + 201, 0)).isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(t.send(false, rst, y + 1001, 0, 0)).as("the peer's RST at its sequence (across 2^32)").isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(t.state()).isEqualTo("closed");
            p.assertSame();
            assertThat(p.kernel.counter(FirewallCounter.CT_NEW)).isEqualTo(1);
        }
    }

    /** Conntrack loose and strict, everything else passed: the two policies the port-reuse tests run under. */
    private static final List<String> CONNTRACK_LOOSE_AND_STRICT = List.of("default pass\nconntrack on\n", "default pass\nconntrack on strict\n");

    /**
     * A client's port used again while its old connection's entry is still closing (the live slowconn test's lost web
     * request, 2026-12-07): on a server's one NIC XDP sees only the client's packets, so after an HTTP answer with
     * {@code Connection: close} the entry sees the client's FIN, never the server's, and stays fin_wait for tcp-fin (30 s);
     * the client's next connection from the same port (its SYN, a new sequence, 14 s later) was dropped as
     * drop_ct_invalid, and its retransmissions too. Now a SYN of the initiator after its FIN opens a new connection (as
     * on a closed one: Linux's conntrack lets a SYN in FIN_WAIT by too); a SYN of the responder is still invalid, and one
     * of the initiator before its own FIN passes with the entry unchanged (since 2026-12-07, the next test). Loose and
     * strict, kernel and Java alike.
     */
    @Test
    void aClientsSynAfterItsFinOpensANewConnectionOfItsPort() throws Exception {
        TestData.assumeBpf();
        int syn = 0x02, ack = 0x10, psh = 0x18, finAck = 0x11;
        for (String config : CONNTRACK_LOOSE_AND_STRICT) {
            try (Pair p = new Pair(FirewallConfigParser.parse(config, "one-nic"))) {
                Talk t = new Talk(p, 36731);
                long x = 3064599533L, y = 578514955L, z = 3282333837L; // the old connection's client and server, the new one's client
                assertThat(t.send(true, syn, x, 0, 0)).isEqualTo(FirewallCounter.PASS_DEFAULT);
                assertThat(t.send(true, ack, x + 1, y + 1, 0)).isEqualTo(FirewallCounter.PASS_CONNTRACK);
                assertThat(t.send(true, psh, x + 1, y + 1, 51)).as("the GET").isEqualTo(FirewallCounter.PASS_CONNTRACK);
                assertThat(t.send(true, ack, x + 52, y + 191, 0)).isEqualTo(FirewallCounter.PASS_CONNTRACK);
                assertThat(t.send(true, finAck, x + 52, y + 192, 0)).as("the client's FIN after the server's (unseen)")
                        .isEqualTo(FirewallCounter.PASS_CONNTRACK);
                assertThat(t.state()).isEqualTo("fin_wait");
                t.pause(14_000_000_000L); // within tcp-fin (30 s)
                assertThat(t.send(true, syn, z, 0, 0)).as(config + ": the port's next connection").isEqualTo(FirewallCounter.PASS_DEFAULT);
                assertThat(t.state()).isEqualTo("syn_sent");
                assertThat(t.send(true, ack, z + 1, 12345, 0)).isEqualTo(FirewallCounter.PASS_CONNTRACK);
                assertThat(t.state()).isEqualTo("established");

                // the responder's SYN after the initiator's FIN: invalid as before; the initiator's SYN before its own FIN: passed, the
                // entry unchanged (since 2026-12-07, aClientsSynOnAConnectionItNeverClosedPassesAndLeavesItsEntry; before, invalid)
                Talk u = new Talk(p, 36732);
                u.send(true, syn, x, 0, 0);
                u.send(true, ack, x + 1, y + 1, 0);
                u.send(true, finAck, x + 1, y + 1, 0);
                assertThat(u.send(false, syn, y + 1000, 0, 0)).as("the responder's SYN").isEqualTo(FirewallCounter.DROP_CT_INVALID);
                Talk v = new Talk(p, 36733);
                v.send(true, syn, x, 0, 0);
                v.send(true, ack, x + 1, y + 1, 0);
                v.send(false, finAck, y + 1, x + 1, 0);
                assertThat(v.state()).isEqualTo("fin_wait");
                assertThat(v.send(true, syn, z, 0, 0)).as("the initiator's SYN before its FIN").isEqualTo(FirewallCounter.PASS_CONNTRACK);
                assertThat(v.state()).isEqualTo("fin_wait");
                p.assertSame();
                assertThat(p.kernel.counter(FirewallCounter.CT_NEW)).isEqualTo(4);
            }
        }
    }

    /**
     * The initiator's SYN on a connection it never closed here (no FIN or RST seen: it died unseen, a NAT's mapping expired or
     * the client rebooted, and its port came round again) is passed and leaves the entry as it was, as Linux's conntrack ignores
     * it (sIG); the new handshake's ACK and data then pass as the entry's. Before 2026-12-07 it was drop_ct_invalid until the
     * entry's tcp-established expiry (2 h): a client of a NAT could not reach the server from that port for up to 2 h. A SYN with
     * FIN, and the responder's SYN, stay invalid. Kernel and Java alike, loose and strict.
     */
    @Test
    void aClientsSynOnAConnectionItNeverClosedPassesAndLeavesItsEntry() throws Exception {
        TestData.assumeBpf();
        int syn = 0x02, ack = 0x10, psh = 0x18, synFin = 0x03;
        for (String config : CONNTRACK_LOOSE_AND_STRICT) {
            try (Pair p = new Pair(FirewallConfigParser.parse(config, "one-nic"))) {
                Talk t = new Talk(p, 41000);
                long x = 1000000L, y = 2000000L, z = 3500000000L; // the old connection's client and server, the new one's client
                assertThat(t.send(true, syn, x, 0, 0)).isEqualTo(FirewallCounter.PASS_DEFAULT);
                assertThat(t.send(true, ack, x + 1, y + 1, 0)).isEqualTo(FirewallCounter.PASS_CONNTRACK);
                assertThat(t.send(true, psh, x + 1, y + 1, 100)).isEqualTo(FirewallCounter.PASS_CONNTRACK);
                assertThat(t.state()).isEqualTo("established");
                t.pause(600_000_000_000L); // 10 minutes without a packet: within tcp-established (2 h)
                assertThat(t.send(true, syn, z, 0, 0)).as(config + ": the port's next connection's SYN").isEqualTo(FirewallCounter.PASS_CONNTRACK);
                assertThat(t.state()).isEqualTo("established");
                assertThat(t.send(true, ack, z + 1, 777, 0)).as("its handshake's ACK").isEqualTo(FirewallCounter.PASS_CONNTRACK);
                assertThat(t.send(true, psh, z + 1, 777, 200)).as("its request").isEqualTo(FirewallCounter.PASS_CONNTRACK);
                assertThat(t.send(true, synFin, z + 5000, 0, 0)).as("a SYN with FIN").isEqualTo(FirewallCounter.DROP_CT_INVALID);
                assertThat(t.send(false, syn, y + 5000, 0, 0)).as("the responder's SYN").isEqualTo(FirewallCounter.DROP_CT_INVALID);
                assertThat(t.state()).isEqualTo("established");
                p.assertSame();
                assertThat(p.kernel.counter(FirewallCounter.CT_NEW)).isEqualTo(1);
            }
        }
    }

    /**
     * A side never seen sending (a server's one NIC sees only inbound packets; the responder of a
     * refused SYN): its RST is believed only with an ACK near the end of what the other side sent
     * (a refused SYN's RST+ACK, sequence 0, acknowledges the SYN), and its sequence is learnt from a
     * segment of its own with such an ACK, or (since 2026-12-06) from the other side's ACK on a
     * segment near that side's end, which also moves it forward (by at most 2^20 a segment) while
     * its own segments are not seen. Kernel and Java alike.
     */
    @Test
    void aRstOfASideNeverSeenIsCheckedByItsAck() throws Exception {
        TestData.assumeBpf();
        try (Pair p = new Pair(FirewallConfigParser.parse(RST_CHECK, "rst-check"))) {
            int syn = 0x02, ack = 0x10, rst = 0x04, rstAck = 0x14;
            long x = 0x8000_0000L;
            Talk refused = new Talk(p, 40002);
            refused.send(true, syn, x, 0, 0);
            assertThat(refused.send(false, rstAck, 0, x + 1, 0)).as("a refused SYN's RST+ACK").isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(refused.state()).isEqualTo("closed");

            Talk oneNic = new Talk(p, 40003);
            oneNic.send(true, syn, x, 0, 0);
            assertThat(oneNic.send(false, rst, 777, 0, 0)).as("the server's RST without ACK, nothing of it known: nothing to check it by")
                    .isEqualTo(FirewallCounter.DROP_CT_RST_WINDOW);
            assertThat(oneNic.send(false, rstAck, 777, x + 1 + (1L << 31), 0)).as("its ACK far from the client's sequence")
                    .isEqualTo(FirewallCounter.DROP_CT_RST_WINDOW);
            assertThat(oneNic.send(false, ack, 5555, x + 1 + (1L << 31), 0)).as("a segment with a far ACK passes")
                    .isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(oneNic.send(false, rst, 5555, 0, 0)).as("...but teaches no sequence").isEqualTo(FirewallCounter.DROP_CT_RST_WINDOW);
            assertThat(oneNic.state()).isEqualTo("syn_sent");
            oneNic.send(true, ack, x + 1, 777, 0); // established: the SYN-ACK left by another path
            oneNic.send(true, ack, x + 1, 777, 300);
            assertThat(oneNic.send(false, rst, 777 + (1L << 31), 0, 0)).as("a RST far from what the client acknowledges")
                    .isEqualTo(FirewallCounter.DROP_CT_RST_WINDOW);
            assertThat(oneNic.send(false, ack, 777 + 70_000, x + 301, 0)).as("a segment of the server").isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(oneNic.send(false, rst, 777 + 70_000, 0, 0)).as("the server's sequence, learnt from the client's ACK: near")
                    .isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(oneNic.state()).isEqualTo("closed");

            Talk inboundOnly = new Talk(p, 40004); // the server's segments never seen, its data acknowledged
            inboundOnly.send(true, syn, x, 0, 0);
            inboundOnly.send(true, ack, x + 1, 777, 0);
            for (int i = 1; i <= 6; i++) {
                inboundOnly.send(true, ack, x + 1, 777 + i * (1L << 19), 0);
            }
            long acked = 777 + (3L << 20);
            assertThat(inboundOnly.send(true, ack, x + 1, acked + (2L << 20), 0)).as("an ACK far ahead passes").isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(inboundOnly.send(false, rst, acked + (2L << 20), 0, 0)).as("...but moves nothing")
                    .isEqualTo(FirewallCounter.DROP_CT_RST_WINDOW);
            assertThat(inboundOnly.send(false, rst, acked, 0, 0)).as("the server's RST at the client's last ACK, 3 MiB on")
                    .isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(inboundOnly.state()).isEqualTo("closed");
            assertThat(p.java.counter(FirewallCounter.DROP_CT_RST_WINDOW)).isEqualTo(5);
            p.assertSame();
        }
    }

    /**
     * A RST without ACK whose sequence is the ACK of the segment it answers (RFC 793: a host that no
     * longer has the connection) from a side XDP never saw send: ndpi-teams.pcap frames 665-668, a
     * TLS server's data picked up mid-connection (loose conntrack) and the client's two RSTs, seq =
     * the server's ACK. Believed since 2026-12-06 (the server's ACK teaches the client's end); before,
     * both were drop_ct_rst_window. Linux's conntrack accepts them (seq == the other side's
     * td_maxack). The same RST far from that ACK is still dropped. Kernel and Java alike.
     */
    @Test
    void aRstAtThePeersAckFromASideNeverSeenIsBelieved() throws Exception {
        TestData.assumeBpf();
        List<byte[]> frames = new ArrayList<>();
        EthernetFramer framer = new EthernetFramer();
        try (CaptureReader r = CaptureReader.open(TestData.capture("benign/ndpi-teams.pcap"))) {
            for (int n = 1; r.next() && n <= 668; n++) {
                int length = framer.frame(r);
                if (n >= 665) {
                    frames.add(framer.frameSegment().asSlice(0, length).toArray(ValueLayout.JAVA_BYTE));
                }
            }
        }
        byte[] data = frames.get(0), rst = frames.get(1), moreData = frames.get(2), rstAgain = frames.get(3);
        assertThat(rst[14 + 20 + 13]).as("frame 666 is a bare RST").isEqualTo((byte) 0x04);
        try (Pair p = new Pair(FirewallConfigParser.parse("default pass\nconntrack on\n", "loose"))) {
            assertThat(p.judge(data, data.length)).as("the server's data, picked up").isEqualTo(FirewallCounter.PASS_DEFAULT);
            byte[] forged = rst.clone();
            forged[14 + 20 + 4] ^= (byte) 0x80; // the sequence 2^31 away; the checksum is not checked here
            assertThat(p.judge(forged, forged.length)).as("a RST far from the server's ACK").isEqualTo(FirewallCounter.DROP_CT_RST_WINDOW);
            assertThat(p.judge(rst, rst.length)).as("the client's RST at the server's ACK").isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(p.judge(moreData, moreData.length)).isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(p.judge(rstAgain, rstAgain.length)).as("and again").isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(p.java.connections().values()).singleElement()
                    .satisfies(e -> assertThat(e[TcpTracking.STATE]).isEqualTo(FirewallLayout.CT_CLOSED));
            p.assertSame();
        }
    }

    /**
     * {@code malformed pass} lets by what the parser refuses but Linux may accept (IPv6 with more
     * extension headers than the parser follows, VXLAN's port without its I flag), but never from or
     * to a denied address when the IP header is there: the deny lists judge its addresses. And a
     * VXLAN packet, whose inner packet the rest judges, meets the deny lists with its outer addresses too.
     */
    @Test
    void aMalformedPacketFromADeniedAddressIsDropped() throws Exception {
        TestData.assumeBpf();
        FirewallConfig c = FirewallConfigParser.parse("malformed pass\ndeny 2001:db8:bad::/48 192.0.2.0/24\ndeny dst 203.0.113.0/24\n", "t");
        try (Pair p = new Pair(c); Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(512);
            java.util.function.Function<byte[], FirewallCounter> send = f -> {
                MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                long before = p.java.counter(FirewallCounter.DROP_DENY_LIST);
                p.packet(buf, f.length, 1_000_000_000L + p.packets);
                return p.java.counter(FirewallCounter.DROP_DENY_LIST) > before ? FirewallCounter.DROP_DENY_LIST : FirewallCounter.PASS_MALFORMED;
            };
            java.util.function.BiFunction<String, String, byte[]> manyOptions = (src, dst) -> {
                FrameBuilder b = new FrameBuilder().ethernet().ipv6(src, dst);
                for (int i = 0; i < 9; i++) {
                    b.ipv6Extension(60, 0);
                }
                return b.tcp(40000, 22, 0x02).build();
            };
            java.util.function.BiFunction<String, String, byte[]> vxlanWithoutI = (src, dst) -> {
                byte[] f = new FrameBuilder().ethernet().ipv4(src, dst).udp(40000, 4789).vxlan(7).ethernet().ipv4("10.0.0.1", "10.0.0.2")
                        .udp(1, 2).build();
                f[14 + 20 + 8] = 0; // the VXLAN flags: no I
                return f;
            };
            assertThat(send.apply(manyOptions.apply("2001:db8:bad::1", "2001:db8:1::1"))).isEqualTo(FirewallCounter.DROP_DENY_LIST);
            assertThat(send.apply(manyOptions.apply("2001:db8:2::1", "2001:db8:1::1"))).isEqualTo(FirewallCounter.PASS_MALFORMED);
            assertThat(send.apply(vxlanWithoutI.apply("192.0.2.9", "198.51.100.1"))).isEqualTo(FirewallCounter.DROP_DENY_LIST);
            assertThat(send.apply(vxlanWithoutI.apply("198.51.100.9", "203.0.113.1"))).as("to a denied destination")
                    .isEqualTo(FirewallCounter.DROP_DENY_LIST);
            assertThat(send.apply(vxlanWithoutI.apply("198.51.100.9", "198.51.100.1"))).isEqualTo(FirewallCounter.PASS_MALFORMED);
            // VXLAN: the rules judge the inner packet, the deny lists its outer addresses too
            byte[] tunnelled = new FrameBuilder().ethernet().ipv4("192.0.2.9", "198.51.100.1").udp(40000, 4789).vxlan(7).ethernet()
                    .ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 22, 0x02).build();
            assertThat(send.apply(tunnelled)).as("a tunnel from a denied outer source").isEqualTo(FirewallCounter.DROP_DENY_LIST);
            byte[] cut = java.util.Arrays.copyOf(new FrameBuilder().ethernet().ipv4("192.0.2.9", "198.51.100.1").udp(1, 2).build(), 24);
            assertThat(send.apply(cut)).as("an IP header cut short: no addresses to judge").isEqualTo(FirewallCounter.PASS_MALFORMED);
            p.assertSame();
            assertThat(p.kernel.counter(FirewallCounter.PASS_MALFORMED)).isEqualTo(3);
            assertThat(p.kernel.counter(FirewallCounter.DROP_DENY_LIST)).isEqualTo(4);
        }
    }

    /**
     * A packet forged from this host's own address would open a connection with this host as its
     * initiator, and the forger's packets to it would then pass as replies, past the rules: with
     * the host's addresses known, it is dropped (drop_own_source) and opens nothing.
     */
    /** Sends frame {@code f} (copied into {@code buf}) through both firewalls of {@code p}: the verdict Java counted. */
    private static FirewallCounter verdictOf(Pair p, MemorySegment buf, byte[] f) {
        MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
        long[] before = new long[FirewallCounter.SLOTS];
        for (FirewallCounter x : FirewallCounter.values()) {
            before[x.id()] = p.java.counter(x);
        }
        p.packet(buf, f.length, 1_000_000_000L + p.packets);
        for (FirewallCounter x : FirewallCounter.values()) {
            if (x.kind() != FirewallCounter.Kind.TOTAL && x.kind() != FirewallCounter.Kind.EVENT && p.java.counter(x) > before[x.id()]) {
                return x;
            }
        }
        throw new AssertionError("no verdict counted");
    }

    /**
     * A packet no connection decides (not TCP or UDP) from one of this host's own addresses is a
     * martian: an ICMP echo flood "from" the victim itself (hping3 -1 -a VICTIM, LAND-like), whose
     * source is never blocked, is dropped as drop_own_source with conntrack on or off (since
     * 2026-12-06; before, it passed whole), kernel and twin alike. From another source, or with no
     * own addresses known, it passes; TCP and UDP without conntrack are judged as before.
     */
    @Test
    void anIcmpPacketFromThisHostsOwnAddressIsDropped() throws Exception {
        TestData.assumeBpf();
        for (String rules : List.of("default pass\nconntrack on\n", "default pass\n")) {
            FirewallConfig c = FirewallConfigParser.parse(rules, "t");
            try (Pair p = new Pair(c); Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(512);
                java.util.function.Function<byte[], FirewallCounter> send = f -> verdictOf(p, buf, f);
                java.util.function.Supplier<List<FirewallCounter>> packets = () -> List.of(
                        send.apply(new FrameBuilder().ethernet().ipv4("198.51.100.10", "198.51.100.10").icmpEcho(7, 1).payload(20).build()),
                        send.apply(new FrameBuilder().ethernet().ipv4("198.51.100.10", "192.0.2.9").icmp(3, 3, 0).payload(28).build()),
                        send.apply(new FrameBuilder().ethernet().ipv6("2001:db8::10", "2001:db8::10").icmpv6Echo(7, 1).payload(20).build()),
                        send.apply(new FrameBuilder().ethernet().ipv4("192.0.2.7", "198.51.100.10").icmpEcho(7, 2).payload(20).build()),
                        send.apply(new FrameBuilder().ethernet().ipv4("198.51.100.10", "192.0.2.7").tcp(80, 5556, 0x10).build()));
                FirewallCounter tcp = rules.contains("conntrack") ? FirewallCounter.DROP_OWN_SOURCE : FirewallCounter.PASS_DEFAULT;
                List<java.net.InetAddress> own = List.of(java.net.InetAddress.getByName("198.51.100.10"), java.net.InetAddress.getByName("2001:db8::10"));
                p.kernel.ownAddresses(own);
                p.java.ownAddresses(own);
                assertThat(packets.get()).as(rules).containsExactly(FirewallCounter.DROP_OWN_SOURCE, FirewallCounter.DROP_OWN_SOURCE,
                        FirewallCounter.DROP_OWN_SOURCE, FirewallCounter.PASS_DEFAULT, tcp);
                p.kernel.ownAddresses(List.of());
                p.java.ownAddresses(List.of());
                assertThat(packets.get()).as("%s, no own addresses", rules).containsOnly(FirewallCounter.PASS_DEFAULT);
                p.assertSame();
            }
        }
    }

    @Test
    void aPacketFromThisHostsOwnAddressOpensNoConnection() throws Exception {
        TestData.assumeBpf();
        FirewallConfig c = FirewallConfigParser.parse("default pass\nconntrack on\nrule drop tcp port 80\nrule drop udp port 53\nrule drop udp port 67\n",
                "t");
        try (Pair p = new Pair(c); Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(512);
            java.util.function.Function<byte[], FirewallCounter> send = f -> verdictOf(p, buf, f);
            String[][] hostAndForger = {{"198.51.100.10", "192.0.2.7"}, {"2001:db8::10", "2001:db8:bad::7"}};
            java.util.function.BiFunction<String[], Boolean, List<FirewallCounter>> attack = (hf, ipv6) -> {
                FrameBuilder forged = new FrameBuilder().ethernet();
                FrameBuilder reply = new FrameBuilder().ethernet();
                FrameBuilder forgedUdp = new FrameBuilder().ethernet();
                FrameBuilder replyUdp = new FrameBuilder().ethernet();
                for (FrameBuilder b : List.of(forged, forgedUdp)) {
                    if (ipv6) b.ipv6(hf[0], hf[1]); else b.ipv4(hf[0], hf[1]);
                }
                for (FrameBuilder b : List.of(reply, replyUdp)) {
                    if (ipv6) b.ipv6(hf[1], hf[0]); else b.ipv4(hf[1], hf[0]);
                }
                return List.of(send.apply(forged.tcp(80, 5555, 0x10).build()), // "from" the host's port 80: an ACK, loose conntrack
                        send.apply(reply.tcp(5555, 80, 0x18).payload(20).build()), // the forger's packets to port 80
                        send.apply(forgedUdp.udp(53, 4444).payload(8).build()),
                        send.apply(replyUdp.udp(4444, 53).payload(8).build()));
            };
            List<FirewallCounter> opened = List.of(FirewallCounter.PASS_DEFAULT, FirewallCounter.PASS_CONNTRACK,
                    FirewallCounter.PASS_DEFAULT, FirewallCounter.PASS_CONNTRACK);
            List<FirewallCounter> refused = List.of(FirewallCounter.DROP_OWN_SOURCE, FirewallCounter.DROP_RULE,
                    FirewallCounter.DROP_OWN_SOURCE, FirewallCounter.DROP_RULE);

            List<java.net.InetAddress> own = new ArrayList<>();
            for (String[] hf : hostAndForger) {
                own.add(java.net.InetAddress.getByName(hf[0]));
            }
            p.kernel.ownAddresses(own);
            p.java.ownAddresses(own);
            assertThat(attack.apply(hostAndForger[0], false)).as("IPv4, the host's addresses known").isEqualTo(refused);
            assertThat(attack.apply(hostAndForger[1], true)).as("IPv6, the host's addresses known").isEqualTo(refused);
            // nor from a broadcast address (in the list, as the agent puts it) or a multicast one (by prefix)
            p.kernel.ownAddresses(List.of(own.get(0), own.get(1), java.net.InetAddress.getByName("255.255.255.255")));
            p.java.ownAddresses(List.of(own.get(0), own.get(1), java.net.InetAddress.getByName("255.255.255.255")));
            assertThat(send.apply(new FrameBuilder().ethernet().ipv4("255.255.255.255", "192.0.2.7").udp(67, 4444).payload(8).build()))
                    .isEqualTo(FirewallCounter.DROP_OWN_SOURCE);
            assertThat(send.apply(new FrameBuilder().ethernet().ipv4("192.0.2.7", "255.255.255.255").udp(4444, 67).payload(8).build()))
                    .as("the forger's packet to the broadcast address's closed port").isEqualTo(FirewallCounter.DROP_RULE);
            assertThat(send.apply(new FrameBuilder().ethernet().ipv4("224.0.0.251", "192.0.2.7").udp(67, 4445).payload(8).build()))
                    .isEqualTo(FirewallCounter.DROP_OWN_SOURCE);
            assertThat(send.apply(new FrameBuilder().ethernet().ipv6("ff02::1", "2001:db8:bad::7").udp(67, 4446).payload(8).build()))
                    .isEqualTo(FirewallCounter.DROP_OWN_SOURCE);
            assertThat(send.apply(new FrameBuilder().ethernet().ipv4("223.255.255.255", "192.0.2.7").udp(67, 4447).payload(8).build()))
                    .as("the last unicast address before 224/4").isEqualTo(FirewallCounter.PASS_DEFAULT);
            assertThat(p.kernel.program().maps().connections()).isEqualTo(1);
            // without conntrack no entry can be opened: a packet from an own address is judged as any other
            p.kernel.install(FirewallConfigParser.parse("default pass\n", "t"));
            p.java.install(FirewallConfigParser.parse("default pass\n", "t"));
            assertThat(send.apply(new FrameBuilder().ethernet().ipv4("198.51.100.10", "192.0.2.7").tcp(80, 5556, 0x10).build()))
                    .isEqualTo(FirewallCounter.PASS_DEFAULT);
            p.kernel.install(c);
            p.java.install(c);
            // unknown (a replay, or before the agent told it): the hole the check closes
            p.kernel.ownAddresses(List.of());
            p.java.ownAddresses(List.of());
            assertThat(attack.apply(hostAndForger[0], false)).as("IPv4, no own addresses").isEqualTo(opened);
            assertThat(attack.apply(hostAndForger[1], true)).as("IPv6, no own addresses").isEqualTo(opened);
            p.assertSame();
            assertThat(p.kernel.counter(FirewallCounter.DROP_OWN_SOURCE)).isEqualTo(7);
        }
    }

    /**
     * An IPv6 packet from an IPv4-mapped source (::ffff:a.b.c.d): Linux hands a UDP datagram from one
     * to a dual-stack socket, whose application sees a.b.c.d (checked by hand on this kernel, 6.18),
     * while the deny lists key IPv4 entries by family: `deny src 203.0.113.0/24` let
     * ::ffff:203.0.113.5 through. Such a source never belongs on the wire: dropped
     * (drop_mapped_source), a malformed packet passed by `malformed pass` too; the neighbours of
     * ::ffff:0:0/96 are judged as any source.
     */
    @Test
    void anIpv6PacketFromAnIpv4MappedSourceIsDropped() throws Exception {
        TestData.assumeBpf();
        FirewallConfig c = FirewallConfigParser.parse("default pass\nmalformed pass\ndeny src 203.0.113.0/24\n", "t");
        try (Pair p = new Pair(c)) {
            byte[] dst = java.net.InetAddress.getByName("2001:db8::2").getAddress();
            java.util.function.BiFunction<String, Integer, FirewallCounter> send = (hexSource, cut) -> {
                byte[] f = new FrameBuilder().ethernet().ipv6(java.util.HexFormat.of().parseHex(hexSource), dst).udp(4444, 53).payload(12).build();
                return p.judge(f, cut == 0 ? f.length : cut);
            };
            String mapped = "00000000000000000000ffffcb007105"; // ::ffff:203.0.113.5
            assertThat(send.apply(mapped, 0)).isEqualTo(FirewallCounter.DROP_MAPPED_SOURCE);
            assertThat(send.apply("00000000000000000000ffff0a000001", 0)).as("::ffff:10.0.0.1, in no list")
                    .isEqualTo(FirewallCounter.DROP_MAPPED_SOURCE);
            assertThat(send.apply(mapped, 14 + 40 + 4)).as("its UDP header cut short: refused by the parse, passed as malformed no more")
                    .isEqualTo(FirewallCounter.DROP_MAPPED_SOURCE);
            assertThat(send.apply("00000000000000000000fffecb007105", 0)).as("::fffe:cb00:7105").isEqualTo(FirewallCounter.PASS_DEFAULT);
            assertThat(send.apply("0000000000000000ffff0000cb007105", 0)).as("::ffff:0:203.0.113.5, IPv4-translated (RFC 2765)")
                    .isEqualTo(FirewallCounter.PASS_DEFAULT);
            assertThat(send.apply("00000000000000000001ffffcb007105", 0)).isEqualTo(FirewallCounter.PASS_DEFAULT);
            assertThat(send.apply("20010db8000000000000000000000007", 14 + 40 + 4)).isEqualTo(FirewallCounter.PASS_MALFORMED);
            byte[] v4 = new FrameBuilder().ethernet().ipv4("203.0.113.5", "192.0.2.2").udp(4444, 53).payload(12).build();
            assertThat(p.judge(v4, v4.length)).as("the same source over IPv4: the deny list").isEqualTo(FirewallCounter.DROP_DENY_LIST);
            p.assertSame();
            assertThat(p.kernel.counter(FirewallCounter.DROP_MAPPED_SOURCE)).isEqualTo(3);
        }
    }

    /**
     * Tenants of a VXLAN gateway whose address spaces overlap share neither conntrack nor per-source
     * buckets: a connection opened in VNI 7 lets no packet of VNI 8 by as its reply, and a source
     * over its rate in VNI 7 leaves the same address in VNI 8 its own bucket (both keys carry the VNI).
     */
    @Test
    void tenantsWithTheSameAddressesShareNoConnectionAndNoBucket() throws Exception {
        TestData.assumeBpf();
        FirewallConfig c = FirewallConfigParser.parse("""
                default drop
                conntrack on strict
                rate-limit 5/s burst 5
                rule pass udp from 10.1.0.0/16 port 4789
                rule pass tcp to 10.0.0.9 port 443
                """, "t");
        try (Pair p = new Pair(c)) {
            // inside the tunnel of VNI vni from the underlay peer 10.1.2.3: 10.0.0.5:5555 -> 10.0.0.9:443 (the SYN) or back (the SYN-ACK)
            java.util.function.IntFunction<FrameBuilder> tunnel = vni -> new FrameBuilder().ethernet().ipv4("10.1.2.3", "10.1.0.1")
                    .udp(40000, 4789).vxlan(vni).ethernet();
            java.util.function.IntFunction<byte[]> syn = vni -> tunnel.apply(vni).ipv4("10.0.0.5", "10.0.0.9").tcp(5555, 443, 0x02).build();
            java.util.function.IntFunction<byte[]> synAck = vni -> tunnel.apply(vni).ipv4("10.0.0.9", "10.0.0.5").tcp(443, 5555, 0x12).build();
            byte[] f = syn.apply(7);
            assertThat(p.judge(f, f.length)).as("VNI 7: the client's SYN, passed by the rule").isEqualTo(FirewallCounter.PASS_RULE);
            f = synAck.apply(7);
            assertThat(p.judge(f, f.length)).as("VNI 7: its answer, by conntrack").isEqualTo(FirewallCounter.PASS_CONNTRACK);
            f = synAck.apply(8);
            assertThat(p.judge(f, f.length)).as("VNI 8: the same tuple is no reply to VNI 7's connection")
                    .isEqualTo(FirewallCounter.DROP_CT_STRAY);
            p.assertSame();
            assertThat(p.kernel.program().maps().connections()).as("one connection, VNI 7's").isEqualTo(1);
            // the per-source bucket: 10.0.0.5 spends its burst in VNI 7; in VNI 8 it has its own
            int passed7 = 0;
            for (int i = 0; i < 20; i++) {
                f = syn.apply(7);
                passed7 += p.judge(f, f.length) == FirewallCounter.DROP_RATE_LIMIT ? 0 : 1;
            }
            f = syn.apply(8);
            assertThat(p.judge(f, f.length)).as("VNI 8's 10.0.0.5, its own bucket").isEqualTo(FirewallCounter.PASS_RULE);
            assertThat(passed7).as("VNI 7's 10.0.0.5 over its burst").isLessThan(20);
            p.assertSame();
        }
    }

    /**
     * A packet inside VXLAN VNI 0 is not the native packet of the same 5-tuple: the tunnel's inner
     * packet is written by whoever may send to the VXLAN port. An RST inside VNI 0 neither passes
     * as part of a native connection nor closes it (after which the native SYN-ACK was judged as a
     * new connection and dropped), a connection opened inside VNI 0 lets no native packet by as its
     * reply, and inner packets of VNI 0 do not spend a native source's bucket. Before 2026-12-06
     * both keys carried the raw VNI, 0 for native and VNI 0 alike (the flow stage's tunnel mark,
     * TunnelledFlowKeyTest, now in the firewall's keys too).
     */
    @Test
    void vniZeroSharesNoConnectionAndNoBucketWithNativeTraffic() throws Exception {
        TestData.assumeBpf();
        FirewallConfig c = FirewallConfigParser.parse("""
                default drop
                conntrack on strict
                rate-limit 5/s burst 5
                rule pass udp from 10.1.0.0/16 port 4789
                rule pass tcp to 10.0.0.9 port 443
                """, "t");
        java.util.function.Supplier<FrameBuilder> vni0 = () -> new FrameBuilder().ethernet().ipv4("10.1.2.3", "10.1.0.1")
                .udp(40000, 4789).vxlan(0).ethernet();
        byte[] nativeSyn = new FrameBuilder().ethernet().ipv4("10.0.0.5", "10.0.0.9").tcp(5555, 443, 0x02).build();
        byte[] nativeSynAck = new FrameBuilder().ethernet().ipv4("10.0.0.9", "10.0.0.5").tcp(443, 5555, 0x12).build();
        byte[] innerRst = vni0.get().ipv4("10.0.0.9", "10.0.0.5").tcp(443, 5555, 0x04).build();
        byte[] innerSyn = vni0.get().ipv4("10.0.0.5", "10.0.0.9").tcp(5556, 443, 0x02).build();
        byte[] nativeSynAck2 = new FrameBuilder().ethernet().ipv4("10.0.0.9", "10.0.0.5").tcp(443, 5556, 0x12).build();
        try (Pair p = new Pair(c)) {
            assertThat(p.judge(nativeSyn, nativeSyn.length)).as("native SYN").isEqualTo(FirewallCounter.PASS_RULE);
            assertThat(p.judge(innerRst, innerRst.length)).as("an RST inside VNI 0 is no packet of the native connection")
                    .isEqualTo(FirewallCounter.DROP_CT_STRAY);
            assertThat(p.judge(nativeSynAck, nativeSynAck.length)).as("the native connection is still open: its SYN-ACK passes")
                    .isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(p.judge(innerSyn, innerSyn.length)).as("a SYN inside VNI 0").isEqualTo(FirewallCounter.PASS_RULE);
            assertThat(p.judge(nativeSynAck2, nativeSynAck2.length)).as("no native reply to VNI 0's connection")
                    .isEqualTo(FirewallCounter.DROP_CT_STRAY);
            assertThat(p.kernel.program().maps().connections()).as("the native connection and VNI 0's").isEqualTo(2);
            // xdpml fw show --connections: the real VNI, 0 included, for the connection inside the tunnel
            assertThat(p.kernel.program().maps().connectionLines(10, 2_000_000_000L)).as("fw show's lines")
                    .anySatisfy(l -> assertThat(l).startsWith("tcp 10.0.0.5:5555 -> 10.0.0.9:443 syn_recv "))
                    .anySatisfy(l -> assertThat(l).startsWith("tcp 10.0.0.5:5556 -> 10.0.0.9:443 vni 0 syn_sent "));
            p.assertSame();
        }
        try (Pair p = new Pair(c)) {
            // inner SYNs of 10.0.0.5 inside VNI 0 (anyone who can tunnel can write them) spend its VNI 0 bucket only
            for (int i = 0; i < 20; i++) {
                byte[] f = vni0.get().ipv4("10.0.0.5", "10.0.0.9").tcp(6000 + i, 443, 0x02).build();
                p.judge(f, f.length);
            }
            assertThat(p.kernel.counter(FirewallCounter.DROP_RATE_LIMIT)).as("VNI 0's 10.0.0.5 over its burst").isPositive();
            assertThat(p.judge(nativeSyn, nativeSyn.length)).as("the native 10.0.0.5 has its own bucket")
                    .isEqualTo(FirewallCounter.PASS_RULE);
            p.assertSame();
        }
        // a program loaded before the mark wrote the raw VNI: fw show still names it
        assertThat(FirewallLayout.vniLabel(7)).isEqualTo("vni 7");
        assertThat(FirewallLayout.vniLabel(0)).isEmpty();
        assertThat(FirewallLayout.vniLabel(FirewallLayout.KEY_TUNNELLED | 0xabcdef)).isEqualTo("vni " + 0xabcdef);
    }

    /**
     * A VXLAN packet's inner packet is written by whoever sends UDP to the VXLAN port: judged alone,
     * a forged tunnel with an allowed inner source passed `default drop` from anywhere (and a host
     * that terminates VXLAN decapsulates it into its overlay). The outer packet is now judged first
     * by the policy as the UDP to the VXLAN port it is: only an underlay peer the rules let send there
     * can tunnel (drop_tunnel, the outer's rule counted), and the inner packet is then judged as before.
     */
    @Test
    void aTunnelsOuterPacketMustPassThePolicyToo() throws Exception {
        TestData.assumeBpf();
        FirewallConfig c = FirewallConfigParser.parse("""
                default drop
                allow src 192.168.0.0/16
                rule pass udp from 10.1.0.0/16 port 4789
                rule drop udp from 10.9.0.0/16 port 4789
                """, "t");
        try (Pair p = new Pair(c)) {
            java.util.function.BiFunction<String, String, FirewallCounter> tunnel = (outer, inner) -> {
                FrameBuilder b = new FrameBuilder().ethernet();
                if (outer.contains(":")) b.ipv6(outer, "2001:db8::1"); else b.ipv4(outer, "10.1.0.1");
                byte[] f = b.udp(40000, 4789).vxlan(42).ethernet().ipv4(inner, "192.168.9.9").udp(5000, 53).payload(10).build();
                return p.judge(f, f.length);
            };
            assertThat(tunnel.apply("10.1.2.3", "192.168.1.1")).as("an underlay peer, an allowed inner source")
                    .isEqualTo(FirewallCounter.PASS_ALLOW_LIST);
            assertThat(tunnel.apply("10.1.2.3", "172.16.0.1")).as("an underlay peer, an inner source the policy drops")
                    .isEqualTo(FirewallCounter.DROP_DEFAULT);
            assertThat(tunnel.apply("203.0.113.7", "192.168.1.1")).as("anyone else: the outer packet falls to the default")
                    .isEqualTo(FirewallCounter.DROP_TUNNEL);
            assertThat(p.kernel.lastRule()).isEqualTo(-1);
            assertThat(tunnel.apply("10.9.0.5", "192.168.1.1")).as("a peer a rule drops").isEqualTo(FirewallCounter.DROP_TUNNEL);
            assertThat(p.kernel.lastRule()).as("the rule that dropped the outer packet").isEqualTo(1);
            assertThat(tunnel.apply("2001:db8:bad::1", "192.168.1.1")).as("over IPv6, no rule for it").isEqualTo(FirewallCounter.DROP_TUNNEL);
            assertThat(tunnel.apply("10.1.2.4", "192.168.1.2")).isEqualTo(FirewallCounter.PASS_ALLOW_LIST);
            p.assertSame();
            assertThat(p.kernel.ruleHits()).as("the outer packets' rules: pass three times, drop once").containsExactly(3L, 1L);
            // the kernel keeps the last peers' verdicts (map xdpml_fw_tmemo): a new configuration is judged anew
            FirewallConfig closed = FirewallConfigParser.parse("default drop\nallow src 192.168.0.0/16\nrule drop udp from 10.1.0.0/16 port 4789\n",
                    "t");
            p.kernel.install(closed);
            p.java.install(closed);
            assertThat(tunnel.apply("10.1.2.3", "192.168.1.1")).as("the peer passed a moment ago, dropped now").isEqualTo(FirewallCounter.DROP_TUNNEL);
            assertThat(tunnel.apply("10.1.2.3", "192.168.1.1")).isEqualTo(FirewallCounter.DROP_TUNNEL);
            p.kernel.install(c);
            p.java.install(c);
            for (int i = 0; i < 3; i++) {
                assertThat(tunnel.apply("10.1.2.3", "192.168.1.1")).as("and passed again").isEqualTo(FirewallCounter.PASS_ALLOW_LIST);
            }
            assertThat(p.kernel.ruleHits()).as("every packet's rule counted, memo or not (the hits of this install)").containsExactly(3L, 0L);
            // with a default pass and no rule for the port, every tunnel's outer packet passes: judged by its inner one alone, as before
            // (with a rule that drops some UDP the outer packet is looked up and passes; with none it is not looked up at all)
            FirewallConfig open = FirewallConfigParser.parse("default pass\nrule drop udp from 172.16.0.0/12\n", "t");
            p.kernel.install(open);
            p.java.install(open);
            assertThat(tunnel.apply("203.0.113.7", "192.168.1.1")).isEqualTo(FirewallCounter.PASS_DEFAULT);
            assertThat(tunnel.apply("203.0.113.7", "172.16.0.1")).isEqualTo(FirewallCounter.DROP_RULE);
            assertThat(tunnel.apply("172.16.0.9", "192.168.1.1")).as("an outer source the UDP rule drops").isEqualTo(FirewallCounter.DROP_TUNNEL);
            FirewallConfig openTcp = FirewallConfigParser.parse("default pass\nrule drop tcp from 172.16.0.0/12\n", "t");
            p.kernel.install(openTcp);
            p.java.install(openTcp);
            assertThat(tunnel.apply("172.16.0.9", "192.168.1.1")).as("no UDP dropped by the policy: the outer packet is not judged")
                    .isEqualTo(FirewallCounter.PASS_DEFAULT);
            p.assertSame();

            // `malformed pass`: an inner packet the parse refuses (IPv6 with nine extension headers, which
            // Linux takes) goes through no tunnel the policy refuses either; an inner ARP frame (no inner IP
            // header) is judged once, as the outer packet it then is
            FirewallConfig lax = FirewallConfigParser.parse("default drop\nmalformed pass\nrule pass udp from 10.1.0.0/16 port 4789\n", "t");
            p.kernel.install(lax);
            p.java.install(lax);
            long[] hitsBefore = p.kernel.ruleHits();
            java.util.function.BiFunction<String, Boolean, FirewallCounter> odd = (outer, arp) -> {
                FrameBuilder b = new FrameBuilder().ethernet().ipv4(outer, "10.1.0.1").udp(40000, 4789).vxlan(42).ethernet();
                if (arp) {
                    b.etherType(0x0806).payload(28);
                } else {
                    b.ipv6("2001:db8::7", "2001:db8::9");
                    for (int i = 0; i < 9; i++) {
                        b.ipv6Extension(60, 0);
                    }
                    b.udp(5000, 53).payload(10);
                }
                byte[] f = b.build();
                return p.judge(f, f.length);
            };
            assertThat(odd.apply("203.0.113.7", false)).as("refused inside, from anyone").isEqualTo(FirewallCounter.DROP_TUNNEL);
            assertThat(odd.apply("10.1.2.3", false)).as("refused inside, from a peer").isEqualTo(FirewallCounter.PASS_MALFORMED);
            assertThat(odd.apply("203.0.113.7", true)).as("ARP inside, from anyone").isEqualTo(FirewallCounter.DROP_DEFAULT);
            assertThat(odd.apply("10.1.2.3", true)).as("ARP inside, from a peer").isEqualTo(FirewallCounter.PASS_RULE);
            assertThat(p.kernel.ruleHits()[0] - hitsBefore[0]).as("the peer's rule: once per packet").isEqualTo(2);
            p.assertSame();
        }
    }

    /**
     * Two ways around the tunnel check, found by a review (2026-12-05): a tunnel whose inner frame
     * has no IP header is the outer packet it then is, and judged, like every outer packet, without
     * conntrack: a connection opened inside a tunnel (whose inner 5-tuple anyone can write) no longer
     * lets a non-peer's tunnel by as its reply; and a packet with a header past the parser's reach
     * (there: a tunnel's inner addresses) is dropped even under `malformed pass`, since the deny
     * lists cannot be held against what lies there.
     */
    @Test
    void noTunnelPassesAsTheReplyOfAConnectionInsideOneNorPastTheParsersReach() throws Exception {
        TestData.assumeBpf();
        FirewallConfig c = FirewallConfigParser.parse("""
                default pass
                conntrack on
                malformed pass
                deny src 203.0.113.0/24
                rule pass udp from 10.1.0.0/16 port 4789
                rule drop udp port 4789
                """, "t");
        try (Pair p = new Pair(c)) {
            // a tenant behind the peer 10.1.2.3 writes, in VNI 100, an inner UDP packet 10.0.0.1:4789 -> 10.0.0.66:5555
            byte[] opener = new FrameBuilder().ethernet().ipv4("10.1.2.3", "10.0.0.1").udp(40000, 4789).vxlan(100).ethernet()
                    .ipv4("10.0.0.1", "10.0.0.66").udp(4789, 5555).payload(8).build();
            assertThat(p.judge(opener, opener.length)).as("inside the peer's tunnel, passed by default").isEqualTo(FirewallCounter.PASS_DEFAULT);
            // the non-peer 10.0.0.66 sends VXLAN 10.0.0.66:5555 -> 10.0.0.1:4789, VNI 100, an inner ARP frame
            byte[] forged = new FrameBuilder().ethernet().ipv4("10.0.0.66", "10.0.0.1").udp(5555, 4789).vxlan(100).ethernet()
                    .etherType(0x0806).payload(28).build();
            assertThat(p.judge(forged, forged.length)).as("a non-peer's tunnel is no reply to it: the rule drops it")
                    .isEqualTo(FirewallCounter.DROP_RULE);
            // an outer IPv6 packet with a 2,048-byte destination-options header before UDP to 4789: VXLAN and the inner
            // IPv4 header from a denied source lie past the parser's reach
            byte[] far = new FrameBuilder().ethernet().ipv6("2001:db8::5", "2001:db8::1").ipv6Extension(60, 255).udp(40000, 4789).vxlan(100)
                    .ethernet().ipv4("203.0.113.5", "10.0.0.9").udp(5000, 53).payload(8).build();
            // nine extension headers before UDP to 4789 (Linux walks them and decapsulates): judged as the tunnel it may be
            java.util.function.Function<String, byte[]> hidden = outer -> {
                FrameBuilder b = new FrameBuilder().ethernet().ipv6(outer, "2001:db8::1");
                for (int i = 0; i < 9; i++) {
                    b.ipv6Extension(60, 0);
                }
                return b.udp(40000, 4789).vxlan(100).ethernet().ipv4("203.0.113.5", "10.0.0.9").udp(5000, 53).payload(8).build();
            };
            byte[] f = hidden.apply("2001:db8::5");
            assertThat(p.judge(f, f.length)).as("a non-peer's tunnel behind nine extension headers").isEqualTo(FirewallCounter.DROP_TUNNEL);
            if (far.length <= TestRun.maxTestRunFrame()) {
                assertThat(p.judge(far, far.length)).as("past the parser's reach: dropped under malformed pass")
                        .isEqualTo(FirewallCounter.DROP_MALFORMED);
            }
            p.assertSame();
        }
        // with no VXLAN on the host (parse.vxlan-port: 0) such a packet passes as malformed, as before
        try (Pair p = new Pair(c, 0)) {
            FrameBuilder b = new FrameBuilder().ethernet().ipv6("2001:db8::5", "2001:db8::1");
            for (int i = 0; i < 9; i++) {
                b.ipv6Extension(60, 0);
            }
            byte[] f = b.udp(40000, 4789).payload(8).build();
            assertThat(p.judge(f, f.length)).isEqualTo(FirewallCounter.PASS_MALFORMED);
            p.assertSame();
        }
        // and such an outer packet spends its sender's one bucket, whatever VNI it names
        FirewallConfig limited = FirewallConfigParser.parse("default pass\nrate-limit 2/s burst 2\n", "t");
        try (Pair p = new Pair(limited)) {
            int passed = 0;
            for (int vni = 1; vni <= 6; vni++) {
                byte[] f = new FrameBuilder().ethernet().ipv4("10.1.2.3", "10.0.0.1").udp(40000, 4789).vxlan(vni).ethernet()
                        .etherType(0x0806).payload(28).build();
                passed += p.judge(f, f.length) == FirewallCounter.DROP_RATE_LIMIT ? 0 : 1;
            }
            assertThat(passed).as("one underlay sender, one bucket of 2").isEqualTo(2);
            p.assertSame();
        }
    }

    @Test
    void seededRandomConversationsAndGarbageAgree() throws Exception {
        TestData.assumeBpf();
        for (String name : List.of("mixed", "strict", "stateless")) {
            FirewallConfig c = config(name);
            try (Pair p = new Pair(c); Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(4096);
                Random rnd = new Random(42);
                FrameFuzzer fuzz = new FrameFuzzer(7, 200);
                long now = 1_000_000_000L;
                for (int i = 0; i < 60_000; i++) {
                    byte[] f = rnd.nextInt(10) == 0 ? fuzz.next() : randomFrame(rnd);
                    if (f.length < 14) {
                        continue;
                    }
                    MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                    // bursts (many packets within a microsecond) and pauses longer than the timeouts
                    now += rnd.nextInt(2000) == 0 ? rnd.nextLong(20_000_000_000L) : rnd.nextInt(400_000);
                    p.packet(buf, f.length, now);
                }
                p.assertSame();
                List<FirewallCounter> seen = switch (name) { // the comparison is not vacuous
                    case "mixed" -> List.of(FirewallCounter.PASS_CONNTRACK, FirewallCounter.PASS_RULE, FirewallCounter.DROP_RULE,
                            FirewallCounter.DROP_DENY_LIST, FirewallCounter.PASS_ALLOW_LIST, FirewallCounter.DROP_DEFAULT,
                            FirewallCounter.DROP_CT_INVALID, FirewallCounter.DROP_CT_RST_WINDOW, FirewallCounter.DROP_RATE_LIMIT,
                            FirewallCounter.DROP_SYN_FLOOD,
                            FirewallCounter.DROP_SYN_GLOBAL, FirewallCounter.DROP_BARE_GLOBAL,
                            FirewallCounter.DROP_MALFORMED, FirewallCounter.PASS_NOT_IP);
                    case "strict" -> List.of(FirewallCounter.PASS_CONNTRACK, FirewallCounter.DROP_CT_STRAY,
                            FirewallCounter.DROP_CT_INVALID, FirewallCounter.DROP_CT_RST_WINDOW, FirewallCounter.DROP_RULE,
                            FirewallCounter.PASS_DEFAULT,
                            FirewallCounter.PASS_MALFORMED);
                    default -> List.of(FirewallCounter.DROP_DENY_LIST, FirewallCounter.PASS_ALLOW_LIST, FirewallCounter.DROP_RULE,
                            FirewallCounter.PASS_RULE, FirewallCounter.PASS_DEFAULT, FirewallCounter.DROP_RATE_LIMIT);
                };
                for (FirewallCounter reason : seen) {
                    assertThat(p.java.counter(reason)).as(name + " " + reason).isPositive();
                }
            }
        }
    }

    private static final String[] V4 = {"10.0.0.5", "192.168.1.200", "172.16.3.4", "8.8.8.8", "130.1.2.3", "192.168.5.5",
            "70.1.1.1", "10.9.9.9", "1.2.3.4", "40.5.6.7"};
    private static final String[] V6 = {"2001:db8::1", "2001:db8:dead::2", "fe80::1", "2600::5", "::1", "2001:db8::99"};
    private static final int[] PORTS = {22, 53, 80, 137, 443, 1000, 8080, 8443, 40000, 55555};
    private static final int[] FLAGS = {0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x02, 0x10, 0x10, 0x01};

    /** A sequence or acknowledgment number: mostly near 1000 (within the RST window or just past it), else anywhere. */
    private static int randomSeq(Random rnd) {
        return switch (rnd.nextInt(4)) {
            case 0, 1 -> 1000 + rnd.nextInt(3000);
            case 2 -> 1000 + (1 << 20) - 1500 + rnd.nextInt(3000);
            default -> rnd.nextInt();
        };
    }

    /** A TCP/UDP/ICMP packet between a few hosts: conversations form, break, and repeat. */
    static byte[] randomFrame(Random rnd) {
        boolean v6 = rnd.nextInt(4) == 0;
        String[] hosts = v6 ? V6 : V4;
        String s = hosts[rnd.nextInt(hosts.length)];
        String d = hosts[rnd.nextInt(hosts.length)];
        FrameBuilder b = new FrameBuilder().ethernet();
        b = v6 ? b.ipv6(s, d) : b.ipv4(s, d);
        int sport = rnd.nextBoolean() ? PORTS[rnd.nextInt(PORTS.length)] : 30000 + rnd.nextInt(8);
        int dport = PORTS[rnd.nextInt(PORTS.length)];
        return switch (rnd.nextInt(6)) {
            case 0, 1, 2 -> b.tcp(sport, dport, FLAGS[rnd.nextInt(FLAGS.length)], randomSeq(rnd), randomSeq(rnd)).payload(rnd.nextInt(20)).build();
            case 3, 4 -> b.udp(sport, dport).payload(rnd.nextInt(20)).build();
            default -> (v6 ? b.icmpv6Echo(1, 2) : b.icmpEcho(1, 2)).build();
        };
    }
}
