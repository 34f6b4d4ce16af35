package io.xdpml.detect;

import io.xdpml.packet.FrameBuilder;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Floods of spoofed packets fed to a detector fast: one IPv4 frame per protocol built once, its
 * addresses and ports rewritten in place before each observation (the parser does not check
 * checksums), so a test can send millions of packets.
 */
final class SpoofedTraffic {
    static final int SYN = PacketObservation.TCP_SYN;
    static final int ACK = PacketObservation.TCP_ACK;

    final List<Detection> found = new ArrayList<>();
    private final DetectionSink sink = found::add;
    private final ObservationBuilder builder = new ObservationBuilder(false);
    private final byte[] tcp = new FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").tcp(1000, 80, SYN).build();
    private final byte[] udp;
    private final MemorySegment tcpSegment = MemorySegment.ofArray(tcp);
    private final MemorySegment udpSegment;
    private static final int TCP_FLAGS = 14 + 20 + 13;

    SpoofedTraffic(int udpPayload) {
        udp = new FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(53, 1000).payload(udpPayload).build();
        udpSegment = MemorySegment.ofArray(udp);
    }

    SpoofedTraffic() {
        this(64);
    }

    static int ip(String dotted) {
        String[] p = dotted.split("\\.");
        return Integer.parseInt(p[0]) << 24 | Integer.parseInt(p[1]) << 16 | Integer.parseInt(p[2]) << 8 | Integer.parseInt(p[3]);
    }

    private static void put(byte[] f, int src, int dst, int sport, int dport) {
        for (int i = 0; i < 4; i++) {
            f[26 + i] = (byte) (src >>> (24 - 8 * i));
            f[30 + i] = (byte) (dst >>> (24 - 8 * i));
        }
        f[34] = (byte) (sport >>> 8);
        f[35] = (byte) sport;
        f[36] = (byte) (dport >>> 8);
        f[37] = (byte) dport;
    }

    void tcp(Detector d, long t, int src, int dst, int sport, int dport, int flags) {
        put(tcp, src, dst, sport, dport);
        tcp[TCP_FLAGS] = (byte) flags;
        d.observe(builder.observe(tcpSegment, tcp.length, t), sink);
    }

    void udp(Detector d, long t, int src, int dst, int sport, int dport) {
        put(udp, src, dst, sport, dport);
        d.observe(builder.observe(udpSegment, udp.length, t), sink);
    }

    void finish(Detector d) {
        d.finish(0, sink);
    }

    List<Detection> of(String subject) {
        return found.stream().filter(x -> x.subject().equals(subject)).toList();
    }

    /**
     * 30 epochs of 10 s from 1 s on, each of 100,000 SYNs from random addresses of 10.50.0.0/16 to
     * 192.0.2.80 (its port 80, or one of its ports 1 to {@code serverPorts} at random when more than
     * one), and from the second epoch on a slow scanner, 203.0.113.9, probing 5 new ports of
     * 192.0.2.20 an epoch; {@code every256} runs every 256 packets of the flood.
     */
    void slowScanAmongSpoofedSyns(Detector d, java.util.SplittableRandom rnd, int serverPorts, Runnable every256) {
        long s = 1_000_000_000L;
        int spoofedNet = ip("10.50.0.0");
        int server = ip("192.0.2.80");
        int scanner = ip("203.0.113.9");
        int scanned = ip("192.0.2.20");
        int perEpoch = 100_000;
        int port = 1;
        for (int epoch = 0; epoch < 30; epoch++) {
            long start = s + epoch * 10 * s;
            for (int i = 0; i < perEpoch; i++) {
                long t = start + i * (10 * s / perEpoch);
                if (epoch > 0 && i % (perEpoch / 5) == perEpoch / 10) {
                    tcp(d, t, scanner, scanned, 50_000, port++, SYN);
                }
                int from = spoofedNet | rnd.nextInt(65_536);
                int sport = 1024 + rnd.nextInt(60_000);
                tcp(d, t, from, server, sport, serverPorts == 1 ? 80 : 1 + rnd.nextInt(serverPorts), SYN);
                if ((i & 0xff) == 0) {
                    every256.run();
                }
            }
        }
    }
}
