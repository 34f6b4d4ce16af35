package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.packet.FrameBuilder;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Java twin of the firewall judges the packets of connections and sources it already knows
 * without allocating (since 2026-12-06; before, every packet built string keys for its connection
 * and its source's bucket): TCP both ways over IPv4 and IPv6, UDP both ways, a connection inside
 * VXLAN, a source over its rate limit, SYNs over the global limit answered with cookies, packets
 * forged from one of this host's addresses. Measured with the thread allocation counter after
 * the handshakes and a warm-up.
 */
class FirewallAllocationTest {
    static final byte[] HOST_MAC = {0x02, 0, 0, 0, 0, 0x02};
    static final byte[] PEER_MAC = {0x02, 0, 0, 0, 0, 0x01};

    static final String CONFIG = """
            default pass
            conntrack on
            rate-limit 100000/s burst 1000
            syn-limit 100000/s burst 1000
            syn-flood 1/s burst 8
            syn-cookies on
            rule drop udp port 9999
            rule drop tcp port 23
            """;

    static FrameBuilder eth() {
        return new FrameBuilder().ethernet(HOST_MAC, PEER_MAC);
    }

    static FrameBuilder v6(String s, String d) {
        return eth().ipv6(s, d);
    }

    private static final int SYN = 0x02;
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;

    /** Frames as the firewall gets them, each in its own segment. */
    static final class Frames {
        final List<MemorySegment> frames = new ArrayList<>();
        final List<Integer> lengths = new ArrayList<>();

        void add(byte[] f) {
            frames.add(MemorySegment.ofArray(f));
            lengths.add(f.length);
        }
    }

    /** The handshakes: they open the connections (and make the sources' buckets). */
    static Frames setup() {
        Frames f = new Frames();
        f.add(eth().ipv4("192.0.2.10", "198.51.100.1").tcp(40000, 80, SYN, 1000, 0).build());
        f.add(eth().ipv4("198.51.100.1", "192.0.2.10").tcp(80, 40000, SYN | ACK, 5000, 1001).build());
        f.add(eth().ipv4("192.0.2.10", "198.51.100.1").tcp(40000, 80, ACK, 1001, 5001).build());
        f.add(v6("2001:db8:1::10", "2001:db8::1").tcp(40001, 443, SYN, 7000, 0).build());
        f.add(v6("2001:db8::1", "2001:db8:1::10").tcp(443, 40001, SYN | ACK, 9000, 7001).build());
        f.add(v6("2001:db8:1::10", "2001:db8::1").tcp(40001, 443, ACK, 7001, 9001).build());
        return f;
    }

    /** What follows, replayed again and again: every packet of something the firewall knows. */
    static Frames steady() {
        Frames f = new Frames();
        for (int i = 0; i < 20; i++) {
            // TCP both ways (the same segments again: retransmissions, within the sequence window)
            f.add(eth().ipv4("192.0.2.10", "198.51.100.1").tcp(40000, 80, ACK | PSH, 1001, 5001).payload(100).build());
            f.add(eth().ipv4("198.51.100.1", "192.0.2.10").tcp(80, 40000, ACK | PSH, 5001, 1101).payload(300).build());
            f.add(v6("2001:db8:1::10", "2001:db8::1").tcp(40001, 443, ACK | PSH, 7001, 9001).payload(50).build());
            f.add(v6("2001:db8::1", "2001:db8:1::10").tcp(443, 40001, ACK, 9001, 7051).build());
            // UDP both ways, IPv4 and IPv6
            f.add(eth().ipv4("192.0.2.11", "198.51.100.1").udp(5353, 53).payload(40).build());
            f.add(eth().ipv4("198.51.100.1", "192.0.2.11").udp(53, 5353).payload(80).build());
            f.add(v6("2001:db8:1::11", "2001:db8::1").udp(5354, 53).payload(40).build());
            f.add(v6("2001:db8::1", "2001:db8:1::11").udp(53, 5354).payload(80).build());
            // UDP inside VXLAN (VNI 7), both ways; the outer packet judged against the rules
            f.add(eth().ipv4("192.0.2.50", "198.51.100.2").udp(40000, 4789).vxlan(7).ethernet().ipv4("10.0.0.1", "10.0.0.2")
                    .udp(1000, 2000).payload(20).build());
            f.add(eth().ipv4("198.51.100.2", "192.0.2.50").udp(40000, 4789).vxlan(7).ethernet().ipv4("10.0.0.2", "10.0.0.1")
                    .udp(2000, 1000).payload(20).build());
            // a source far over its rate limit
            for (int k = 0; k < 25; k++) {
                f.add(eth().ipv4("203.0.113.9", "198.51.100.1").udp(6000, 7000 + k).payload(10).build());
            }
            // SYNs over the global limit, answered with cookies (no connection)
            for (int k = 0; k < 3; k++) {
                f.add(eth().ipv4("203.0.113.7", "198.51.100.1").tcp(1000 + 3 * i + k, 80, SYN, 100 * i + k, 0).build());
            }
            f.add(v6("2001:db8:2::7", "2001:db8::1").tcp(1000 + i, 80, SYN, i, 0).build());
            // forged from this host's own address
            f.add(eth().ipv4("192.0.2.250", "198.51.100.1").udp(1234, 53).build());
        }
        return f;
    }

    static JavaFirewall firewall() throws Exception {
        JavaFirewall fw = new JavaFirewall(4789);
        fw.install(FirewallConfigParser.parse(CONFIG, "allocation"));
        fw.cookieInterface(1, HOST_MAC, HOST_MAC);
        fw.synCookies(new SynCookies() {
            @Override
            public boolean listens(int family, byte[] dst, int dport) { return dport == 80; }

            @Override
            public boolean validAck(int family, byte[] src, int sport, byte[] dst, int dport, long ackSeq) { return false; }
        });
        List<InetAddress> destinations = List.of(InetAddress.getByName("198.51.100.1"), InetAddress.getByName("2001:db8::1"));
        List<InetAddress> own = new ArrayList<>(destinations);
        own.add(InetAddress.getByName("192.0.2.250"));
        fw.ownAddresses(own, destinations);
        return fw;
    }

    private long now = 1_000_000_000L;

    /** One run of the frames, 1 µs apart; counts the verdicts by reason into {@code reasons}. */
    long run(JavaFirewall fw, MemorySegment[] frames, int[] lengths, long[] reasons) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = bean.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < frames.length; i++) {
            now += 1_000;
            reasons[fw.packet(frames[i], lengths[i], now).id()]++;
        }
        return bean.getCurrentThreadAllocatedBytes() - before;
    }

    @Test
    void knownConnectionsAndSourcesAllocateNothing() throws Exception {
        JavaFirewall fw = firewall();
        Frames setup = setup();
        Frames steady = steady();
        long[] reasons = new long[FirewallCounter.SLOTS];
        run(fw, setup.frames.toArray(MemorySegment[]::new), setup.lengths.stream().mapToInt(Integer::intValue).toArray(), reasons);
        MemorySegment[] frames = steady.frames.toArray(MemorySegment[]::new);
        int[] lengths = steady.lengths.stream().mapToInt(Integer::intValue).toArray();
        for (int i = 0; i < 40; i++) { // the first run opens the UDP connections and the SYNs' few, the rest warm the JIT up
            run(fw, frames, lengths, reasons);
        }
        int connections = fw.connections().size();
        long allocated = Long.MAX_VALUE;
        java.util.Arrays.fill(reasons, 0);
        for (int i = 0; i < 5; i++) {
            allocated = Math.min(allocated, run(fw, frames, lengths, reasons));
        }
        System.out.printf("FirewallAllocationTest: %,d bytes allocated for %,d packets (%.2f bytes a packet)%n", allocated, frames.length,
                (double) allocated / frames.length);
        assertThat(fw.connections()).as("no connection opened while measured").hasSize(connections);
        // every path the test means to cover was taken while measured
        assertThat(reasons[FirewallCounter.PASS_CONNTRACK.id()]).as("conntrack passes").isGreaterThan(0);
        assertThat(reasons[FirewallCounter.DROP_RATE_LIMIT.id()]).as("rate-limit drops").isGreaterThan(0);
        assertThat(reasons[FirewallCounter.SYN_COOKIE.id()]).as("cookies answered").isGreaterThan(0);
        assertThat(reasons[FirewallCounter.DROP_OWN_SOURCE.id()]).as("own-source drops").isGreaterThan(0);
        // near zero rather than zero: the allocation counter's own reading may count a few bytes
        assertThat(allocated).as("bytes allocated judging %,d packets of known connections and sources", frames.length)
                .isLessThan(1024);
    }
}
