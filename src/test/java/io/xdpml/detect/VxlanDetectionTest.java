package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.packet.FrameBuilder;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The detectors on traffic inside VXLAN: the parser has moved to the inner packet (addresses,
 * ports, protocol, the L4 header: docs/parser.md), and the observation reads the inner TCP flags,
 * ICMP type and payload from there too. Until 2026-12-06 it read none of them under VXLAN, so every
 * inner TCP segment looked flagless.
 */
class VxlanDetectionTest {
    private static final int SYN = PacketObservation.TCP_SYN;
    private static final int ACK = PacketObservation.TCP_ACK;
    private static final int PSH = 0x08;

    private final ObservationBuilder builder = new ObservationBuilder(false);

    private void send(DetectorSet set, long timeNanos, byte[] frame) {
        set.observe(builder.observe(MemorySegment.ofArray(frame), frame.length, timeNanos));
    }

    /** The overlay's outer frame between two VTEPs (UDP to 4789, VNI 42), ready for the inner Ethernet frame. */
    private static FrameBuilder tunnel() {
        return new FrameBuilder().ethernet().ipv4("203.0.113.1", "203.0.113.2").udp(49152, 4789).vxlan(42).ethernet();
    }

    private static byte[] innerTcp(String src, String dst, int sport, int dport, int flags, int payload) {
        return tunnel().ipv4(src, dst).tcp(sport, dport, flags).payload(payload).build();
    }

    private static List<String> named(DetectorSet set) {
        set.finish();
        return set.detections().stream().map(d -> d.detector() + " " + d.subject()).toList();
    }

    @Test
    void theInnerPacketsFlagsIcmpAndPayloadAreRead() {
        byte[] syn = innerTcp("10.0.0.5", "10.0.0.80", 40000, 443, SYN, 0);
        PacketObservation p = builder.observe(MemorySegment.ofArray(syn), syn.length, 1);
        assertThat(p.isSyn()).as("the inner SYN").isTrue();
        byte[] data = innerTcp("10.0.0.80", "10.0.0.5", 443, 40000, ACK | PSH, 100);
        p = builder.observe(MemorySegment.ofArray(data), data.length, 1);
        assertThat(p.tcpFlags()).isEqualTo(ACK | PSH);
        assertThat(p.payloadLength()).as("the inner segment's 100 bytes").isEqualTo(100);
        assertThat(p.payloadOffset() + p.payloadLength()).isEqualTo(data.length);
        byte[] ping = tunnel().ipv4("10.0.0.5", "10.0.0.9").icmpEcho(1, 1).build();
        p = builder.observe(MemorySegment.ofArray(ping), ping.length, 1);
        assertThat(p.icmpType()).isEqualTo(8);
        assertThat(p.icmpCode()).isEqualTo(0);
    }

    @Test
    void aSpoofedSynFloodInsideTheTunnelIsASynFlood() {
        DetectorSet set = new DetectorSet(Detectors.create("all"));
        long t = 1_000_000_000L;
        for (int i = 0; i < 20_000; i++) { // 20,000 SYNs in 2 s to 10.0.0.80:443, each from its own source
            send(set, t + i * 100_000L, innerTcp("10." + (64 + (i >> 16 & 63)) + "." + (i >> 8 & 255) + "." + (i & 255), "10.0.0.80",
                    1024 + i % 50000, 443, SYN, 0));
        }
        assertThat(named(set)).contains("synflood 10.0.0.80");
        Detection d = set.detections().stream().filter(x -> x.detector().equals(SynFloodDetector.NAME)).findFirst().orElseThrow();
        assertThat(d.reasons()).anyMatch(r -> r.endsWith("spoofed sources)"));
        assertThat(d.target().destinationPort()).isEqualTo(443);
    }

    @Test
    void aWebServerInsideTheTunnelAnsweringItsClientsIsNoScan() {
        // 60 clients in the overlay each open a connection to 10.0.0.80:443 and fetch a page: the server's SYN-ACKs, data and
        // acknowledgements go to 60 hosts, which read as a horizontal scan while their flags were not read
        DetectorSet set = new DetectorSet(Detectors.create("all"));
        long t = 1_000_000_000L;
        for (int i = 0; i < 60; i++) {
            String client = "10.0.1." + (i + 1);
            int port = 40000 + i;
            long at = t + i * 10_000_000L;
            send(set, at, innerTcp(client, "10.0.0.80", port, 443, SYN, 0));
            send(set, at + 100_000, innerTcp("10.0.0.80", client, 443, port, SYN | ACK, 0));
            send(set, at + 200_000, innerTcp(client, "10.0.0.80", port, 443, ACK, 0));
            send(set, at + 300_000, innerTcp(client, "10.0.0.80", port, 443, ACK | PSH, 300));
            send(set, at + 400_000, innerTcp("10.0.0.80", client, 443, port, ACK | PSH, 1200));
            send(set, at + 500_000, innerTcp(client, "10.0.0.80", port, 443, ACK, 0));
        }
        assertThat(named(set)).isEmpty();
    }

    @Test
    void aPingSweepInsideTheTunnelIsASweep() {
        DetectorSet set = new DetectorSet(Detectors.create("sweep"));
        for (int i = 0; i < 60; i++) {
            send(set, 1_000_000_000L + i * 1_000_000L, tunnel().ipv4("10.0.0.5", "10.0.2." + (i + 1)).icmpEcho(7, i).build());
        }
        assertThat(named(set)).containsExactly("sweep 10.0.0.5");
    }
}
