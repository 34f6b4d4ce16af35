package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The firewall on real interfaces: veth pairs in namespaces the test creates, the program attached
 * natively, real frames through the kernel's transmit and receive paths; what passed is what a
 * packet socket on the far end received, and the kernel's counters say why.
 */
class FirewallVethTest {
    static void inRig(FirewallProgram.Limits limits, Consumer<VethRig> body) {
        TestData.assumeBpf();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-fw")) {
            ns.createVethPair(VethRig.INSIDE, VethRig.OUTSIDE);
            ns.run(() -> {
                try (VethRig rig = new VethRig(limits)) {
                    body.accept(rig);
                }
                return null;
            });
        }
    }

    static FirewallConfig config(String text) {
        try {
            return FirewallConfigParser.parse(text, "test");
        } catch (FirewallConfigException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] udp4(String src, String dst, int dport) {
        return new FrameBuilder().ethernet().ipv4(src, dst).udp(40000, dport).payload(VethRig.marked(4)).build();
    }

    static byte[] udp6(String src, String dst, int dport) {
        return new FrameBuilder().ethernet().ipv6(src, dst).udp(40000, dport).payload(VethRig.marked(4)).build();
    }

    static byte[] tcp4(String src, String dst, int sport, int dport, int flags) {
        return new FrameBuilder().ethernet().ipv4(src, dst).tcp(sport, dport, flags).payload(VethRig.marked(0)).build();
    }

    @Test
    void allowedAndDeniedPrefixesV4AndV6() {
        inRig(FirewallProgram.Limits.defaults(), rig -> {
            rig.program.maps().install(config("""
                    default drop
                    deny src 198.51.100.0/25 2001:db8:bad::/48
                    allow src 198.51.100.0/24 2001:db8::/32
                    deny dst 192.0.2.66
                    """));
            int n = 25;
            for (int i = 0; i < n; i++) {
                rig.fromOutside(udp4("198.51.100.10", "192.0.2.1", 53));   // denied (deny before allow)
                rig.fromOutside(udp4("198.51.100.200", "192.0.2.1", 53));  // allowed
                rig.fromOutside(udp4("198.51.100.201", "192.0.2.66", 53)); // allowed source, denied destination
                rig.fromOutside(udp4("203.0.113.1", "192.0.2.1", 53));     // default drop
                rig.fromOutside(udp6("2001:db8:bad::1", "2001:db8::2", 53)); // denied
                rig.fromOutside(udp6("2001:db8:1::1", "2001:db8::2", 53));   // allowed
                rig.fromOutside(udp6("2001:dead::1", "2001:db8::2", 53));    // default drop
            }
            assertThat(rig.arrivedInside()).as("frames that came through").isEqualTo(2 * n);
            assertThat(rig.counter(FirewallCounter.DROP_DENY_LIST)).isEqualTo(3 * n);
            assertThat(rig.counter(FirewallCounter.PASS_ALLOW_LIST)).isEqualTo(2 * n);
            assertThat(rig.counter(FirewallCounter.DROP_DEFAULT)).isEqualTo(2 * n);
        });
    }

    @Test
    void conntrackLetsRepliesThroughAndDropsStrayAcks() {
        inRig(FirewallProgram.Limits.defaults(), rig -> {
            // inside clients may open HTTPS connections out; nothing may come in on its own
            rig.program.maps().install(config("""
                    default drop
                    conntrack on strict
                    rule pass tcp from 10.1.0.0/16 port 443
                    """));
            String client = "10.1.0.5";
            String server = "203.0.113.80";
            int conns = 10;
            for (int i = 0; i < conns; i++) {
                int port = 50000 + i;
                rig.fromInside(tcp4(client, server, port, 443, 0x02)); // SYN out: the rule
                assertThat(rig.arrivedOutside()).as("SYN %d", i).isEqualTo(1);
                rig.fromOutside(tcp4(server, client, 443, port, 0x12)); // SYN-ACK in: a reply
                assertThat(rig.arrivedInside()).as("SYN-ACK %d", i).isEqualTo(1);
                rig.fromInside(tcp4(client, server, port, 443, 0x10));  // ACK: established
                rig.fromInside(tcp4(client, server, port, 443, 0x18));  // request
                assertThat(rig.arrivedOutside()).isEqualTo(2);
                rig.fromOutside(tcp4(server, client, 443, port, 0x18)); // response: a reply
                rig.fromOutside(tcp4(server, client, 443, port, 0x18));
                assertThat(rig.arrivedInside()).as("responses %d", i).isEqualTo(2);
            }
            // stray packets from outside: ACKs and data for connections that do not exist
            for (int i = 0; i < 20; i++) {
                rig.fromOutside(tcp4(server, client, 443, 60000 + i, 0x10));
                rig.fromOutside(tcp4("203.0.113.99", client, 443, 50000, 0x18));
            }
            // a SYN-ACK on a connection that has not sent a SYN-ACK's SYN: no entry, stray
            rig.fromOutside(tcp4(server, client, 443, 61000, 0x12));
            // a new connection from outside: no rule lets it in
            rig.fromOutside(tcp4(server, client, 443, 22, 0x02));
            assertThat(rig.arrivedInside()).as("stray and unsolicited frames").isZero();
            assertThat(rig.counter(FirewallCounter.DROP_CT_STRAY)).isEqualTo(41);
            assertThat(rig.counter(FirewallCounter.DROP_DEFAULT)).isEqualTo(1);
            assertThat(rig.counter(FirewallCounter.PASS_RULE)).isEqualTo(conns);
            assertThat(rig.counter(FirewallCounter.PASS_CONNTRACK)).isEqualTo(conns * 5L);
            assertThat(rig.counter(FirewallCounter.CT_NEW)).isEqualTo(conns);
            assertThat(rig.program.maps().connections()).isEqualTo(conns);
        });
    }

    @Test
    void rateLimitCapsAFloodAtTheConfiguredRate() {
        long rate = 2000;
        long burst = 200;
        inRig(FirewallProgram.Limits.defaults(), rig -> {
            rig.program.maps().install(config("default pass\nrate-limit " + rate + "/s burst " + burst + "\n"));
            byte[] a = udp4("198.51.100.1", "192.0.2.1", 9);
            byte[] b = udp4("198.51.100.2", "192.0.2.1", 9);
            long offered = 0;
            long start = System.nanoTime();
            long end = start + 1_500_000_000L;
            while (System.nanoTime() < end) { // as fast as one core sends: far above the rate
                for (int i = 0; i < 64; i++) {
                    rig.fromOutside(a);
                    rig.fromOutside(b);
                }
                offered += 128;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long passed = rig.counter(FirewallCounter.PASS_DEFAULT);
            long dropped = rig.counter(FirewallCounter.DROP_RATE_LIMIT);
            System.out.printf("rate limit: offered %d frames from 2 sources in %.3f s (%.0f pps), passed %d, dropped %d;"
                    + " expected per source %d + %d/s * %.3f s%n", offered, seconds, offered / seconds, passed, dropped,
                    burst, rate, seconds);
            assertThat(passed + dropped).isEqualTo(offered);
            assertThat(offered / seconds).as("the flood is far above the limit").isGreaterThan(5.0 * 2 * rate);
            double expected = 2 * (burst + rate * seconds);
            assertThat((double) passed).as("passed vs 2 x (burst + rate x time)")
                    .isBetween(expected * 0.95 - 2 * rate * 0.02, expected * 1.02);
            // (the receiving socket's buffer overflows during the flood: it sees a part of what passed)
            assertThat(rig.arrivedInside()).isPositive().isLessThanOrEqualTo((int) passed);
        });
    }

    @Test
    void theSynFloodGuardCapsASpoofedFloodThatPerSourceLimitsCannotSee() {
        long rate = 1000;
        long burst = 100;
        inRig(FirewallProgram.Limits.defaults(), rig -> {
            rig.program.maps().install(config("default pass\nsyn-limit 100/s burst 100\nsyn-flood " + rate + "/s burst " + burst
                    + "\nallow src 192.0.2.0/24\n"));
            java.util.Random rnd = new java.util.Random(1);
            byte[][] spoofed = new byte[16384][];
            for (int i = 0; i < spoofed.length; i++) { // ~20 SYNs per source in the second: under each one's own limit
                spoofed[i] = tcp4("10." + rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256), "192.0.2.80",
                        1024 + rnd.nextInt(60000), 80, 0x02);
            }
            byte[] legit = udp4("192.0.2.7", "192.0.2.80", 53);
            long offered = 0;
            long start = System.nanoTime();
            long end = start + 1_000_000_000L;
            while (System.nanoTime() < end) {
                for (int i = 0; i < 256; i++) {
                    rig.fromOutside(spoofed[(int) (offered++ % spoofed.length)]);
                }
                rig.fromOutside(legit); // other traffic is not held up
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long passed = rig.counter(FirewallCounter.PASS_DEFAULT);
            long dropped = rig.counter(FirewallCounter.DROP_SYN_GLOBAL);
            System.out.printf("syn flood: %d spoofed SYNs in %.3f s (%.0f pps), passed %d, dropped %d; expected %d + %d/s * %.3f s%n",
                    offered, seconds, offered / seconds, passed, dropped, burst, rate, seconds);
            assertThat(passed + dropped).isEqualTo(offered);
            assertThat(rig.counter(FirewallCounter.DROP_SYN_FLOOD)).as("no source went over its own limit").isZero();
            double expected = burst + rate * seconds;
            assertThat((double) passed).isBetween(expected * 0.95 - rate * 0.02, expected * 1.02);
            assertThat(rig.counter(FirewallCounter.PASS_ALLOW_LIST)).as("the legitimate packets all passed")
                    .isEqualTo(offered / 256);
        });
    }

    @Test
    void aBadFileChangesNothing() {
        inRig(new FirewallProgram.Limits(1 << 12, 1 << 12, 4, 1 << 12, 1 << 12), rig -> {
            FirewallMaps maps = rig.program.maps();
            maps.install(config("default drop\nallow src 198.51.100.0/24\nrule pass udp port 53\n"));
            List<String> lists = maps.activeListEntries();
            int gen = maps.activeGeneration();
            String bad = """
                    default pass
                    allow src 198.51.100.0/33
                    deny src 10.0.0.1/8
                    rule pass tcp port 70000
                    """;
            assertThatThrownBy(() -> FirewallConfigParser.parse(bad, "bad.conf"))
                    .isInstanceOf(FirewallConfigException.class)
                    .hasMessageContaining("line 2: prefix length 33")
                    .hasMessageContaining("line 3: host bits set")
                    .hasMessageContaining("line 4: bad port range");
            // valid syntax, but more rules than the loaded program has room for
            FirewallConfig tooBig = config("default pass\nrule pass udp port 1\nrule pass udp port 2\nrule pass udp port 3\n"
                    + "rule pass udp port 4\nrule pass udp port 5\n");
            assertThatThrownBy(() -> maps.install(tooBig)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("room for 4");
            assertThat(maps.activeGeneration()).isEqualTo(gen);
            assertThat(maps.activeListEntries()).containsExactlyInAnyOrderElementsOf(lists);
            // and traffic is judged as before
            rig.fromOutside(udp4("198.51.100.7", "192.0.2.1", 80));
            rig.fromOutside(udp4("203.0.113.7", "192.0.2.1", 53));
            rig.fromOutside(udp4("203.0.113.7", "192.0.2.1", 80));
            assertThat(rig.arrivedInside()).isEqualTo(2);
            assertThat(rig.counter(FirewallCounter.DROP_DEFAULT)).isEqualTo(1);
        });
    }
    /**
     * Linux hands a UDP datagram from an IPv4-mapped IPv6 source to a dual-stack socket, whose
     * application sees the IPv4 address: shown here without the firewall (a Java DatagramChannel on
     * [::], dual-stack as Java opens it, receives from 203.0.113.5), then with it, `deny src
     * 203.0.113.0/24` in force: before 2026-12-05 it let the datagram by (the lists key IPv4 entries by
     * family); now it is dropped (drop_mapped_source), while a datagram from a plain IPv6 source
     * still arrives.
     */
    @Test
    void anIpv4MappedSourceDoesNotReachADualStackSocket() {
        TestData.assumeBpf();
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-fw")) {
            ns.createVethPair(VethRig.INSIDE, VethRig.OUTSIDE);
            ns.exec("sysctl", "-qw", "net.ipv6.conf." + VethRig.INSIDE + ".disable_ipv6=0");
            ns.exec("ip", "addr", "add", "2001:db8::2/64", "dev", VethRig.INSIDE, "nodad");
            byte[] mac = java.util.HexFormat.ofDelimiter(":").parseHex(ns.exec("cat", "/sys/class/net/" + VethRig.INSIDE + "/address").strip());
            byte[] mapped = java.util.HexFormat.of().parseHex("00000000000000000000ffffcb007105"); // ::ffff:203.0.113.5
            byte[] plain = java.util.HexFormat.of().parseHex("20010db8000000000000000000000007"); // 2001:db8::7
            byte[] dst = java.util.HexFormat.of().parseHex("20010db8000000000000000000000002");
            java.util.function.Function<byte[], byte[]> datagram = src -> new FrameBuilder().ethernet(mac, new byte[] {0x02, 0, 0, 0, 0, 0x01})
                    .ipv6(src, dst).udp(40000, 5353).payload(VethRig.marked(4)).build();
            ns.run(() -> {
                try (java.nio.channels.DatagramChannel ch = java.nio.channels.DatagramChannel.open()) {
                    ch.bind(new java.net.InetSocketAddress(java.net.InetAddress.getByName("::"), 5353));
                    ch.configureBlocking(false);
                    try (io.xdpml.kernel.PacketSocket out = io.xdpml.kernel.PacketSocket.open(VethRig.OUTSIDE);
                         java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
                        java.lang.foreign.MemorySegment buf = a.allocate(256);
                        java.util.function.Consumer<byte[]> send = f -> {
                            java.lang.foreign.MemorySegment.copy(f, 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, f.length);
                            out.send(buf, f.length);
                        };
                        send.accept(datagram.apply(mapped));
                        assertThat(receiveFrom(ch)).as("without the firewall, Linux delivers it").isEqualTo(List.of("203.0.113.5"));
                        try (VethRig rig = new VethRig(FirewallProgram.Limits.defaults())) {
                            rig.program.maps().install(config("default pass\ndeny src 203.0.113.0/24\n"));
                            for (int i = 0; i < 5; i++) {
                                send.accept(datagram.apply(mapped));
                                send.accept(datagram.apply(plain));
                            }
                            assertThat(receiveFrom(ch)).as("with it, only the plain IPv6 source").containsOnly("2001:db8:0:0:0:0:0:7")
                                    .hasSize(5);
                            assertThat(rig.counter(FirewallCounter.DROP_MAPPED_SOURCE)).isEqualTo(5);
                            // (and the inside end's own IPv6 chatter, judged at the outside end)
                            assertThat(rig.counter(FirewallCounter.PASS_DEFAULT)).isGreaterThanOrEqualTo(5);
                        }
                    }
                }
                return null;
            });
        }
    }

    /** The sources of the datagrams the channel receives until it is quiet for 300 ms (their addresses as Java gives them). */
    static List<String> receiveFrom(java.nio.channels.DatagramChannel ch) throws Exception {
        List<String> from = new java.util.ArrayList<>();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(256);
        long quietUntil = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < quietUntil) {
            b.clear();
            java.net.InetSocketAddress a = (java.net.InetSocketAddress) ch.receive(b);
            if (a == null) {
                Thread.sleep(5);
                continue;
            }
            from.add(a.getAddress().getHostAddress());
            quietUntil = System.nanoTime() + 300_000_000L;
        }
        return from;
    }
}
