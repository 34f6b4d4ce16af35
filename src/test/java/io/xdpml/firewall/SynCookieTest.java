package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.kernel.TestRun;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * SYN cookies from XDP (syncookie.h), through BPF_PROG_TEST_RUN with a real listening socket of this
 * host: a SYN over the syn-flood bucket or a syn-limit measure comes back as a SYN-ACK (XDP_TX) whose
 * sequence number is the host's cookie, with valid checksums, addresses and ports swapped, the SYN's
 * sequence number plus one acknowledged and an MSS option; the ACK that returns the cookie passes
 * strict conntrack and opens a connection, one with a wrong cookie does not; a SYN for a port nobody
 * listens on is dropped as before and counted unanswered. The Java twin, told which port listens and
 * which cookies the kernel issued, judges every packet alike (the same reasons and counters). The
 * kernel's helper issues cookies only with {@code net.ipv4.tcp_syncookies = 2}: set for each test in
 * this (the test run's) network namespace and put back after.
 */
class SynCookieTest {
    private static String sysctlBefore;

    @org.junit.jupiter.api.BeforeEach
    void cookiesAlways() throws Exception {
        TestData.assumeBpf();
        sysctlBefore = java.nio.file.Files.readString(SynCookies.SYSCTL).strip();
        java.nio.file.Files.writeString(SynCookies.SYSCTL, "2");
        assertThat(SynCookies.hostProblem()).isNull();
    }

    @org.junit.jupiter.api.AfterEach
    void putBack() throws Exception {
        if (sysctlBefore != null) {
            java.nio.file.Files.writeString(SynCookies.SYSCTL, sysctlBefore);
        }
    }

    private static final String CONFIG = """
            conntrack on strict
            syn-flood 1/s burst 1
            syn-cookies on
            """;

    @Test
    void aSynOverTheLimitIsAnsweredWithTheHostsCookieAndItsAckOpensTheConnection() throws Exception {
        TestData.assumeBpf();
        try (ServerSocket listener = new ServerSocket();
             Harness h = new Harness(CONFIG)) {
            listener.bind(new InetSocketAddress(0));
            int port = listener.getLocalPort();
            h.listening.add(port);

            assertThat(h.send(v4Syn(40001, port, false))).as("the first SYN, within the bucket").isEqualTo(FirewallCounter.PASS_DEFAULT);
            assertThat(h.send(v4Syn(40002, port, false))).isEqualTo(FirewallCounter.SYN_COOKIE);
            assertThat(h.action).isEqualTo(3); // XDP_TX
            byte[] synAck = h.out();
            assertThat(synAck).hasSize(14 + 20 + 24);
            checkSynAck(synAck, 4, 40002, port, 1000);
            long cookie = u32(synAck, 14 + 20 + 4);

            assertThat(h.send(v4Ack(40002, port, cookie + 1))).as("the ACK that returns the cookie")
                    .isEqualTo(FirewallCounter.PASS_SYN_COOKIE);
            assertThat(h.send(v4Ack(40002, port, cookie + 1))).as("then its connection").isEqualTo(FirewallCounter.PASS_CONNTRACK);
            assertThat(h.send(v4Syn(40003, port, false))).isEqualTo(FirewallCounter.SYN_COOKIE);
            long other = u32(h.out(), 14 + 20 + 4);
            // (a cookie's low bits carry the MSS's index: other + 1 may be valid for a smaller MSS)
            assertThat(h.send(v4Ack(40003, port, other + 1 + 0x10000))).as("a wrong cookie").isEqualTo(FirewallCounter.DROP_CT_STRAY);
            assertThat(h.send(v4Ack(40009, port, cookie + 1))).as("another client's cookie").isEqualTo(FirewallCounter.DROP_CT_STRAY);

            // a SYN with the usual options: answered, the frame shrunk to the SYN-ACK
            assertThat(h.send(v4Syn(40004, port, true))).isEqualTo(FirewallCounter.SYN_COOKIE);
            byte[] shrunk = h.out();
            assertThat(shrunk).hasSize(14 + 20 + 24);
            checkSynAck(shrunk, 4, 40004, port, 1000);

            // IPv6
            byte[] syn6 = new FrameBuilder().ethernet().ipv6("2001:db8::7", "::1").tcp(40005, port, 0x02).build();
            assertThat(h.send(syn6)).isEqualTo(FirewallCounter.SYN_COOKIE);
            byte[] synAck6 = h.out();
            assertThat(synAck6).hasSize(14 + 40 + 24);
            checkSynAck(synAck6, 6, 40005, port, 1000);

            h.assertSame();
            assertThat(h.kernel.counter(FirewallCounter.SYN_COOKIE)).isEqualTo(4);
            assertThat(h.kernel.counter(FirewallCounter.SYN_COOKIE_UNANSWERED)).isZero();
        }
    }

    @Test
    void aSynForAPortNobodyListensOnIsDroppedAsBeforeAndCountedUnanswered() throws Exception {
        TestData.assumeBpf();
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort(); // free once closed
        }
        try (Harness h = new Harness(CONFIG)) {
            h.send(v4Syn(40001, closed, false));
            assertThat(h.send(v4Syn(40002, closed, false))).isEqualTo(FirewallCounter.DROP_SYN_GLOBAL);
            assertThat(h.action).isEqualTo(1); // XDP_DROP
            h.assertSame();
            assertThat(h.kernel.counter(FirewallCounter.SYN_COOKIE_UNANSWERED)).isEqualTo(1);
        }
        try (ServerSocket listener = new ServerSocket(0);
             Harness h = new Harness(CONFIG.replace("syn-cookies on", "syn-cookies off"))) {
            h.listening.add(listener.getLocalPort());
            h.send(v4Syn(40001, listener.getLocalPort(), false));
            assertThat(h.send(v4Syn(40002, listener.getLocalPort(), false))).as("cookies off").isEqualTo(FirewallCounter.DROP_SYN_GLOBAL);
            h.assertSame();
            assertThat(h.kernel.counter(FirewallCounter.SYN_COOKIE_UNANSWERED)).isZero();
        }
    }

    @Test
    void aSynLimitMeasuresOverflowIsAnsweredToo() throws Exception {
        TestData.assumeBpf();
        try (ServerSocket listener = new ServerSocket(0);
             Harness h = new Harness("syn-cookies on\n")) {
            int port = h.listenBehindAMeasure(listener);
            assertThat(h.send(v4Syn(40001, port, false))).isEqualTo(FirewallCounter.SYN_COOKIE);
            checkSynAck(h.out(), 4, 40001, port, 1000);
            assertThat(h.send(v4Ack(40001, port, 7))).as("no conntrack: an ACK passes by policy").isEqualTo(FirewallCounter.PASS_DEFAULT);
            h.assertSame();
        }
    }

    /**
     * A cookie opens no port the rules close: a SYN over the limit to a port the policy drops is
     * dropped by the policy, not answered; an ACK that carries a valid cookie (issued while the port
     * was open) to a port closed since is dropped by the policy, not passed.
     */
    @Test
    void theRulesDecideBeforeACookieIsGivenOrTaken() throws Exception {
        TestData.assumeBpf();
        try (ServerSocket open = new ServerSocket(0);
             ServerSocket closed = new ServerSocket(0)) {
            int allowed = open.getLocalPort();
            int denied = closed.getLocalPort();
            String rules = "default drop\nrule pass tcp port " + allowed + "\n";
            try (Harness h = new Harness(rules + CONFIG)) {
                h.listening.add(allowed);
                h.listening.add(denied);
                assertThat(h.send(v4Syn(40001, allowed, false))).as("within the bucket").isEqualTo(FirewallCounter.PASS_RULE);
                assertThat(h.send(v4Syn(40002, allowed, false))).as("over it, to an open port").isEqualTo(FirewallCounter.SYN_COOKIE);
                assertThat(h.send(v4Syn(40003, denied, false))).as("over it, to a port the rules close")
                        .isEqualTo(FirewallCounter.DROP_DEFAULT);
                assertThat(h.action).isEqualTo(1);
                h.assertSame();
                assertThat(h.kernel.counter(FirewallCounter.SYN_COOKIE_UNANSWERED)).isZero();
            }
            // the cookie of a port that was open, returned once the rules closed it
            long cookie;
            try (Harness h = new Harness(CONFIG)) {
                h.listening.add(denied);
                h.send(v4Syn(40001, denied, false));
                assertThat(h.send(v4Syn(40004, denied, false))).isEqualTo(FirewallCounter.SYN_COOKIE);
                cookie = u32(h.out(), 14 + 20 + 4);
            }
            try (Harness h = new Harness(rules + CONFIG)) {
                h.cookies.add(40004 + "/" + cookie);
                assertThat(h.send(v4Ack(40004, denied, cookie + 1))).as("a valid cookie to a port the rules close")
                        .isEqualTo(FirewallCounter.DROP_DEFAULT);
                assertThat(h.kernel.program().maps().connections()).isZero();
                h.assertSame();
            }
        }
    }

    /**
     * The per-source SYN limit drops before a measure's overflow is answered (a source over its own
     * limit is not answered: that would reflect its flood); a SYN with FIN or RST, and one sent to a
     * group MAC, are not answered (the kernel's helper and the host's TCP refuse them).
     */
    @Test
    void aSourceOverItsOwnLimitAndOddSynsAreNotAnswered() throws Exception {
        TestData.assumeBpf();
        try (ServerSocket listener = new ServerSocket(0);
             Harness h = new Harness("syn-limit 1/s burst 2\nsyn-cookies on\n")) {
            int port = h.listenBehindAMeasure(listener);
            assertThat(h.send(v4Syn(40001, port, false))).isEqualTo(FirewallCounter.SYN_COOKIE);
            byte[] synFin = v4Syn(40002, port, false);
            synFin[14 + 20 + 13] = 0x03;
            byte[] synRst = v4Syn(40003, port, false);
            synRst[14 + 20 + 13] = 0x06;
            // the per-source bucket (burst 2) is spent by these two: the next SYN is the source's
            assertThat(h.send(synFin)).as("SYN|FIN").isEqualTo(FirewallCounter.DROP_MEASURE_SYN);
            assertThat(h.send(v4Syn(40004, port, false))).as("the source over its own limit").isEqualTo(FirewallCounter.DROP_SYN_FLOOD);
            h.assertSame();
            assertThat(h.kernel.counter(FirewallCounter.SYN_COOKIE_UNANSWERED)).isEqualTo(1);
        }
        try (ServerSocket listener = new ServerSocket(0);
             Harness h = new Harness("syn-cookies on\n")) {
            int port = h.listenBehindAMeasure(listener);
            byte[] synRst = v4Syn(40003, port, false);
            synRst[14 + 20 + 13] = 0x06;
            assertThat(h.send(synRst)).as("SYN|RST").isEqualTo(FirewallCounter.DROP_MEASURE_SYN);
            byte[] broadcast = v4Syn(40005, port, false);
            Arrays.fill(broadcast, 0, 6, (byte) 0xff);
            assertThat(h.send(broadcast)).as("to the broadcast MAC").isEqualTo(FirewallCounter.DROP_MEASURE_SYN);
            assertThat(h.send(v4Syn(40006, port, false))).isEqualTo(FirewallCounter.SYN_COOKIE);
            h.assertSame();
            assertThat(h.kernel.counter(FirewallCounter.SYN_COOKIE_UNANSWERED)).isEqualTo(2);
        }
    }

    /**
     * A SYN over a limit from a source no SYN can come from is never answered (since 2026-12-06;
     * before, the cookie was answered before the own-source check, with or without conntrack): with
     * the host's addresses known, from one of them, a broadcast, multicast or loopback address it is
     * dropped as drop_own_source; without them, a multicast, broadcast, loopback or unspecified source
     * is still not answered (dropped for the limit, counted unanswered). Kernel and twin alike.
     */
    @Test
    void aSynFromAnOwnMulticastOrLoopbackSourceIsNeverAnswered() throws Exception {
        TestData.assumeBpf();
        for (String config : List.of("syn-flood 1/s burst 1\nsyn-cookies on\n", CONFIG)) {
            try (ServerSocket listener = new ServerSocket(0);
                 Harness h = new Harness(config)) {
                int port = listener.getLocalPort();
                h.listening.add(port);
                java.util.function.BiFunction<String, Integer, byte[]> syn = (source, sport) -> source.contains(":")
                        ? new FrameBuilder().ethernet().ipv6(source, "::1").tcp(sport, port, 0x02).build()
                        : new FrameBuilder().ethernet().ipv4(source, "127.0.0.1").tcp(sport, port, 0x02).build();
                h.send(syn.apply("10.9.8.7", 40001)); // spends the bucket
                List<InetAddress> own = List.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1"),
                        InetAddress.getByName("198.51.100.10"), InetAddress.getByName("255.255.255.255"));
                h.kernel.ownAddresses(own, List.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1")));
                h.java.ownAddresses(own, List.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("::1")));
                assertThat(h.send(syn.apply("10.9.8.7", 40002))).as(config + ": a client").isEqualTo(FirewallCounter.SYN_COOKIE);
                int sport = 40010;
                for (String source : List.of("198.51.100.10", "255.255.255.255", "224.0.0.5", "127.0.0.9", "ff02::1", "::1")) {
                    assertThat(h.send(syn.apply(source, sport++))).as(config + ": from " + source + ", own addresses known")
                            .isEqualTo(FirewallCounter.DROP_OWN_SOURCE);
                }
                h.kernel.ownAddresses(List.of(), List.of());
                h.java.ownAddresses(List.of(), List.of());
                for (String source : List.of("255.255.255.255", "224.0.0.5", "240.0.0.1", "127.0.0.9", "0.0.0.0", "ff02::1", "::1", "::")) {
                    assertThat(h.send(syn.apply(source, sport++))).as(config + ": from " + source + ", own addresses not known")
                            .isEqualTo(FirewallCounter.DROP_SYN_GLOBAL);
                }
                assertThat(h.send(syn.apply("10.9.8.7", 40003))).as(config + ": a client again").isEqualTo(FirewallCounter.SYN_COOKIE);
                h.assertSame();
                assertThat(h.kernel.counter(FirewallCounter.SYN_COOKIE)).isEqualTo(2);
                assertThat(h.kernel.counter(FirewallCounter.DROP_OWN_SOURCE)).isEqualTo(6);
                assertThat(h.kernel.counter(FirewallCounter.SYN_COOKIE_UNANSWERED)).isEqualTo(8);
            }
        }
    }

    /**
     * On an interface that forwards, a listener bound to every address matches a SYN for a server
     * behind this host too: such a SYN, over the limit, is dropped (unanswered), not answered with
     * this host's cookie; one for this host's own address is answered. In a namespace of its own with
     * forwarding on and a route on.
     */
    @Test
    void aSynRoutedOnIsNotAnsweredWithThisHostsCookie() throws Exception {
        TestData.assumeBpf();
        try (io.xdpml.kernel.NetworkNamespace ns = io.xdpml.kernel.NetworkNamespace.create("xdpml-cookie")) {
            ns.createVethPair("ckr0", "ckr1");
            ns.exec("ip", "addr", "add", "10.99.0.1/24", "dev", "ckr0");
            ns.exec("ip", "route", "add", "192.0.2.0/24", "via", "10.99.0.2");
            ns.exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv4.tcp_syncookies=2");
            ns.run(() -> {
                try (ServerSocket listener = new ServerSocket(0); // every address of the namespace
                     Harness h = new Harness(CONFIG)) {
                    int port = listener.getLocalPort();
                    h.listening.add(port);
                    byte[] routed = {(byte) 192, 0, 2, 9};
                    h.forThisHost = dst -> !Arrays.equals(Arrays.copyOf(dst, 4), routed);
                    h.send(new FrameBuilder().ethernet().ipv4("10.9.8.7", "10.99.0.1").tcp(40001, port, 0x02).build());
                    assertThat(h.send(new FrameBuilder().ethernet().ipv4("10.9.8.7", "192.0.2.9").tcp(40002, port, 0x02).build()))
                            .as("routed on").isEqualTo(FirewallCounter.DROP_SYN_GLOBAL);
                    assertThat(h.send(new FrameBuilder().ethernet().ipv4("10.9.8.7", "10.99.0.1").tcp(40003, port, 0x02).build()))
                            .as("for this host").isEqualTo(FirewallCounter.SYN_COOKIE);
                    h.assertSame();
                    assertThat(h.kernel.counter(FirewallCounter.SYN_COOKIE_UNANSWERED)).isEqualTo(1);
                }
                return null;
            });
        }
    }

    /** The MAC FrameBuilder sends to: the host's, for the harness. */
    static final byte[] HOST_MAC = {0x02, 0, 0, 0, 0, 0x02};

    /**
     * A SYN meant for another host is not answered with this host's cookie (a promiscuous
     * interface of a host listening on every address, forwarding nothing, so the routing table is
     * not asked): one sent to another MAC, and, with the host's own addresses known, one to an
     * address not its own, to its subnet's broadcast address or to an IPv6 multicast address, while
     * one to its own address and MAC is answered. Kernel and twin alike. Until 2026-12-06 all were
     * answered.
     */
    @Test
    void aSynMeantForAnotherHostIsNotAnswered() throws Exception {
        TestData.assumeBpf();
        try (io.xdpml.kernel.NetworkNamespace ns = io.xdpml.kernel.NetworkNamespace.create("xdpml-ckmac")) {
            ns.createVethPair("ckh0", "ckh1");
            ns.exec("ip", "addr", "add", "10.99.1.1/24", "dev", "ckh0");
            ns.exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=0", "net.ipv4.tcp_syncookies=2");
            ns.run(() -> {
                try (ServerSocket listener = new ServerSocket(0); // every address of the namespace
                     Harness h = new Harness(CONFIG)) {
                    int port = listener.getLocalPort();
                    h.listening.add(port);
                    byte[] otherMac = {0x02, 0, 0, 0, 0, 0x09};
                    h.send(new FrameBuilder().ethernet().ipv4("10.9.8.7", "10.99.1.1").tcp(40001, port, 0x02).build());
                    assertThat(h.send(new FrameBuilder().ethernet(otherMac, new byte[] {2, 0, 0, 0, 0, 1}).ipv4("10.9.8.7", "10.99.1.1")
                            .tcp(40002, port, 0x02).build())).as("to another MAC").isEqualTo(FirewallCounter.DROP_SYN_GLOBAL);
                    assertThat(h.send(new FrameBuilder().ethernet().ipv4("10.9.8.7", "10.99.1.1").tcp(40003, port, 0x02).build()))
                            .as("to this host's MAC and address, own addresses not known").isEqualTo(FirewallCounter.SYN_COOKIE);

                    java.util.List<InetAddress> own = java.util.List.of(InetAddress.getByName("10.99.1.1"),
                            InetAddress.getByName("10.99.1.255"), InetAddress.getByName("255.255.255.255"));
                    java.util.List<InetAddress> destinations = java.util.List.of(InetAddress.getByName("10.99.1.1"));
                    h.kernel.ownAddresses(own, destinations);
                    h.java.ownAddresses(own, destinations);
                    assertThat(h.send(new FrameBuilder().ethernet().ipv4("10.9.8.7", "10.99.1.50").tcp(40004, port, 0x02).build()))
                            .as("to another host's address").isEqualTo(FirewallCounter.DROP_SYN_GLOBAL);
                    assertThat(h.send(new FrameBuilder().ethernet().ipv4("10.9.8.7", "10.99.1.255").tcp(40005, port, 0x02).build()))
                            .as("to the subnet's broadcast address").isEqualTo(FirewallCounter.DROP_SYN_GLOBAL);
                    assertThat(h.send(new FrameBuilder().ethernet().ipv6("2001:db8::7", "ff02::1").tcp(40006, port, 0x02).build()))
                            .as("to an IPv6 multicast address").isEqualTo(FirewallCounter.DROP_SYN_GLOBAL);
                    assertThat(h.send(new FrameBuilder().ethernet().ipv4("10.9.8.7", "10.99.1.1").tcp(40007, port, 0x02).build()))
                            .as("to this host's own address").isEqualTo(FirewallCounter.SYN_COOKIE);
                    h.assertSame();
                    assertThat(h.kernel.counter(FirewallCounter.SYN_COOKIE_UNANSWERED)).isEqualTo(4);
                }
                return null;
            });
        }
    }

    /**
     * The SYN-ACK advertises no more than the interface can receive: its MTU less 40 (IPv6: 60),
     * here a veth of MTU 1450 (the frames enter the test run on it), for clients that offer 1460
     * and 1440; the cookie still opens the connection. Until 2026-12-06 it advertised the client's.
     */
    @Test
    void theSynAckAdvertisesTheInterfacesMssWhereItsMtuIsSmaller() throws Exception {
        TestData.assumeBpf();
        try (io.xdpml.kernel.NetworkNamespace ns = io.xdpml.kernel.NetworkNamespace.create("xdpml-ckmtu")) {
            ns.createVethPair("ckm0", "ckm1");
            ns.exec("ip", "link", "set", "ckm0", "mtu", "1450");
            ns.exec("ip", "link", "set", "ckm0", "up");
            ns.exec("sysctl", "-q", "-w", "net.ipv4.tcp_syncookies=2");
            ns.run(() -> {
                try (ServerSocket listener = new ServerSocket(0);
                     Harness h = new Harness(CONFIG)) {
                    int port = listener.getLocalPort();
                    h.listening.add(port);
                    int ifindex = io.xdpml.kernel.Interfaces.indexOf("ckm0");
                    h.kernel.cookieInterface(ifindex, HOST_MAC, HOST_MAC);
                    h.java.cookieInterface(ifindex, HOST_MAC, HOST_MAC);
                    h.kernel.testRun().withIngress(ifindex, 0);
                    h.send(v4Syn(40001, port, true));
                    assertThat(h.send(v4Syn(40002, port, true))).isEqualTo(FirewallCounter.SYN_COOKIE);
                    byte[] synAck = h.out();
                    assertThat(u16(synAck, 14 + 20 + 22)).as("the MSS: 1450 - 40, not the client's 1460").isEqualTo(1410);
                    long cookie = u32(synAck, 14 + 20 + 4);
                    assertThat(h.send(v4Ack(40002, port, cookie + 1))).as("its ACK").isEqualTo(FirewallCounter.PASS_SYN_COOKIE);

                    byte[] syn6 = new FrameBuilder().ethernet().ipv6("2001:db8::7", "::1").tcp(40003, port, 0x02).payload(4).build();
                    int l4 = 14 + 40;
                    syn6[l4 + 12] = (byte) (6 << 4);
                    byte[] mss = {2, 4, 0x05, (byte) 0xa0}; // 1440
                    System.arraycopy(mss, 0, syn6, l4 + 20, 4);
                    assertThat(h.send(syn6)).isEqualTo(FirewallCounter.SYN_COOKIE);
                    assertThat(u16(h.out(), l4 + 22)).as("IPv6: 1450 - 60, not the client's 1440").isEqualTo(1390);
                    h.assertSame();
                }
                return null;
            });
        }
    }

    /** A kernel and a Java firewall judging the same frames; the kernel's SYN-ACKs teach the twin's oracle. */
    private static final class Harness implements AutoCloseable {
        final KernelFirewall kernel = new KernelFirewall(FirewallParityTest.limits(), 4789);
        final JavaFirewall java = new JavaFirewall(4789);
        final Set<Integer> listening = new HashSet<>();
        final Set<String> cookies = new HashSet<>(); // "client port/cookie"
        java.util.function.Predicate<byte[]> forThisHost = dst -> true;
        final Arena arena = Arena.ofConfined();
        final MemorySegment buf = arena.allocate(512);
        long now = 1_000_000_000L;
        int action;
        int packets;

        Harness(String config) throws Exception {
            FirewallConfig c = FirewallConfigParser.parse(config, "t");
            kernel.install(c);
            java.install(c);
            // the test run's interface (this namespace's lo) has the MAC the frames are sent to
            int lo = io.xdpml.kernel.Interfaces.indexOf("lo");
            kernel.cookieInterface(lo, HOST_MAC, HOST_MAC);
            java.cookieInterface(lo, HOST_MAC, HOST_MAC);
            java.synCookies(new SynCookies() {
                @Override
                public boolean listens(int family, byte[] dst, int dport) { return listening.contains(dport) && forThisHost.test(dst); }

                @Override
                public boolean validAck(int family, byte[] src, int sport, byte[] dst, int dport, long ackSeq) {
                    return cookies.contains(sport + "/" + ((ackSeq - 1) & 0xffff_ffffL));
                }
            });
        }

        FirewallCounter send(byte[] frame) {
            MemorySegment.copy(frame, 0, buf, ValueLayout.JAVA_BYTE, 0, frame.length);
            now += 1_000_000;
            FirewallCounter k = kernel.packet(buf, frame.length, now);
            TestRun run = kernel.testRun();
            action = k.kind() == FirewallCounter.Kind.ANSWER ? 3 : k.passes() ? 2 : 1;
            if (k == FirewallCounter.SYN_COOKIE) {
                byte[] out = out();
                int l4 = out.length - 24;
                cookies.add(u16(out, l4 + 2) + "/" + u32(out, l4 + 4));
            }
            MemorySegment.copy(frame, 0, buf, ValueLayout.JAVA_BYTE, 0, frame.length);
            FirewallCounter j = java.packet(buf, frame.length, now);
            packets++;
            assertThat(j).as("packet " + packets + ": the twin's verdict").isEqualTo(k);
            assertThat(run.dataOutLength()).isPositive();
            return k;
        }

        void putMeasure(Measure m) {
            kernel.putMeasure(m);
            java.putMeasure(m);
        }

        /** The listener's port, listening, behind a syn-limit measure of 0/s (every SYN over it). */
        int listenBehindAMeasure(ServerSocket listener) throws Exception {
            int port = listener.getLocalPort();
            listening.add(port);
            putMeasure(Measure.synLimit(InetAddress.getByName("127.0.0.1"), port, 0, 0, 0));
            return port;
        }

        byte[] out() {
            TestRun run = kernel.testRun();
            return run.dataOut().asSlice(0, run.dataOutLength()).toArray(ValueLayout.JAVA_BYTE);
        }

        void assertSame() {
            for (FirewallCounter c : FirewallCounter.values()) {
                assertThat(kernel.counter(c)).as(c.jsonName()).isEqualTo(java.counter(c));
            }
            assertThat(kernel.program().maps().connections()).as("connections").isEqualTo(java.connections().size());
            // and in the same tables: a cookie's ACK opens an assured connection, a SYN within the limits an unassured one
            assertThat(new int[] {kernel.program().maps().conntrack().keys().size(),
                    kernel.program().object().map("xdpml_fw_ct_new").keys().size()}).as("{assured, unassured} connections")
                    .containsExactly(java.assuredEntries(), java.connectionEntries() - java.assuredEntries());
        }

        @Override
        public void close() {
            kernel.close();
            arena.close();
        }
    }

    /** A SYN from 10.9.8.7:sport to 127.0.0.1:dport (an address of this host: its listeners answer for it), seq 1000; with the options a Linux client sends, when asked. */
    static byte[] v4Syn(int sport, int dport, boolean options) {
        FrameBuilder b = new FrameBuilder().ethernet().ipv4("10.9.8.7", "127.0.0.1").tcp(sport, dport, 0x02);
        if (!options) {
            return b.build();
        }
        byte[] f = b.payload(20).build();
        int l4 = 14 + 20;
        f[l4 + 12] = (byte) (10 << 4);
        byte[] opts = {2, 4, 0x05, (byte) 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
        System.arraycopy(opts, 0, f, l4 + 20, opts.length);
        return f;
    }

    /** The client's ACK of the handshake: seq 1001, acknowledging ack. */
    static byte[] v4Ack(int sport, int dport, long ack) {
        byte[] f = new FrameBuilder().ethernet().ipv4("10.9.8.7", "127.0.0.1").tcp(sport, dport, 0x10).build();
        int l4 = 14 + 20;
        ByteBuffer.wrap(f).putInt(l4 + 4, 1001).putInt(l4 + 8, (int) ack);
        return f;
    }

    /** The answer to a SYN from the client's sport to port with sequence number seq. */
    static void checkSynAck(byte[] f, int family, int sport, int port, long seq) {
        byte[] clientMac = {0x02, 0, 0, 0, 0, 0x01};
        assertThat(Arrays.copyOfRange(f, 0, 6)).as("to the client's MAC").isEqualTo(clientMac);
        int l3 = 14;
        int l4;
        if (family == 4) {
            l4 = l3 + 20;
            assertThat(f[l3] & 0xff).isEqualTo(0x45);
            assertThat(u16(f, l3 + 2)).as("total length").isEqualTo(44);
            assertThat(f[l3 + 9]).isEqualTo((byte) 6);
            assertThat(Arrays.copyOfRange(f, l3 + 12, l3 + 16)).as("from the server").isEqualTo(new byte[] {127, 0, 0, 1});
            assertThat(Arrays.copyOfRange(f, l3 + 16, l3 + 20)).as("to the client").isEqualTo(new byte[] {10, 9, 8, 7});
            assertThat(fold(sum(f, l3, 20, 0))).as("IPv4 header checksum").isZero();
        } else {
            l4 = l3 + 40;
            assertThat(u16(f, l3 + 4)).as("payload length").isEqualTo(24);
            assertThat(f[l3 + 6]).isEqualTo((byte) 6);
            assertThat(f[l3 + 23]).as("from the server").isEqualTo((byte) 1);
            assertThat(f[l3 + 39]).as("to the client").isEqualTo((byte) 7);
        }
        assertThat(u16(f, l4)).isEqualTo(port);
        assertThat(u16(f, l4 + 2)).isEqualTo(sport);
        assertThat(u32(f, l4 + 8)).as("acknowledges the SYN").isEqualTo(seq + 1);
        assertThat(f[l4 + 12] & 0xff).as("data offset").isEqualTo(6 << 4);
        assertThat(f[l4 + 13] & 0xff).as("SYN|ACK").isEqualTo(0x12);
        assertThat(f[l4 + 20]).as("MSS option").isEqualTo((byte) 2);
        assertThat(u16(f, l4 + 22)).as("an MSS of the kernel's cookie table")
                .isIn(family == 4 ? new Object[] {536, 1300, 1440, 1460} : new Object[] {1220, 1420, 1440, 8940});
        long pseudo = family == 4 ? sum(f, l3 + 12, 8, 0) : sum(f, l3 + 8, 32, 0);
        pseudo += 6 + 24;
        assertThat(fold(sum(f, l4, 24, pseudo))).as("TCP checksum").isZero();
    }

    private static long sum(byte[] f, int off, int len, long sum) {
        for (int i = 0; i < len; i += 2) {
            sum += u16(f, off + i);
        }
        return sum;
    }

    private static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    static int u16(byte[] f, int off) {
        return ((f[off] & 0xff) << 8) | (f[off + 1] & 0xff);
    }

    static long u32(byte[] f, int off) {
        return ((long) u16(f, off) << 16) | u16(f, off + 2);
    }
}
