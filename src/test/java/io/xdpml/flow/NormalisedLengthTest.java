package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.packet.ParseSummary;
import io.xdpml.packet.PacketParser;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The normalised length (flow.h, xdpml_flow_key_of; FlowPacket.normLength): one packet carried
 * over different links has one length for the models, in the kernel and in Java alike, and a
 * length field that lies is never believed past the frame.
 */
class NormalisedLengthTest {
    private static final int HS_LEN_MEAN = FlowFeature.HS_LEN_MEAN.ordinal();

    /** A 54-byte SYN (20-byte IPv4 + 20-byte TCP), each time over another link. */
    private static Map<String, byte[]> synOverLinks() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("bare", syn(new FrameBuilder().ethernet(), 1001).build());
        m.put("padded to 60", syn(new FrameBuilder().ethernet(), 1002).padTo(60).build());
        m.put("802.1Q tag, padded to 64", syn(new FrameBuilder().ethernet().vlan(7), 1003).padTo(64).build());
        m.put("QinQ tags", syn(new FrameBuilder().ethernet().vlan(0x88a8, 100).vlan(7), 1004).build());
        m.put("inside VXLAN", syn(new FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(40000, 4789).vxlan(42)
                .ethernet(), 1005).build());
        return m;
    }

    private static FrameBuilder syn(FrameBuilder b, int sport) {
        return b.ipv4("10.1.0.1", "10.1.0.2").tcp(sport, 80, 0x02);
    }

    @Test
    void oneSynHasOneLengthOverEveryLinkInTheKernelAndInJava() throws Exception {
        TestData.assumeBpf();
        Map<String, byte[]> frames = synOverLinks();
        Map<String, Long> kernel = new LinkedHashMap<>();
        Map<String, Long> java = new LinkedHashMap<>();
        Map<String, Long> javaFeature = new LinkedHashMap<>();
        Map<String, Integer> frameLengths = new LinkedHashMap<>();
        run(frames, kernel, java, javaFeature);
        frames.forEach((k, v) -> frameLengths.put(k, v.length));
        assertThat(frameLengths.values()).as("the frames differ").containsExactly(54, 60, 64, 62, 104);
        for (String link : frames.keySet()) {
            assertThat(java.get(link)).as("Java, " + link).isEqualTo(54);
            assertThat(javaFeature.get(link)).as("Java hs_len_mean (Q16), " + link).isEqualTo(54L << 16);
            assertThat(kernel.get(link)).as("kernel hs_len_mean (Q16), " + link).isEqualTo(54L << 16);
        }
    }

    @Test
    void lengthFieldsAreBelievedOnlyUpToTheFrame() throws Exception {
        TestData.assumeBpf();
        Map<String, byte[]> frames = new LinkedHashMap<>();
        // IPv4 claiming 1,000 bytes in a 74-byte frame: the rest of the frame counts (14 + 60)
        byte[] lying = new FrameBuilder().ethernet().ipv4("10.2.0.1", "10.2.0.2").udp(5000, 53).payload(32).build();
        lying[16] = (byte) (1000 >>> 8);
        lying[17] = (byte) (1000 & 0xff);
        frames.put("IPv4 total length 1000 in 74 bytes", lying);
        // IPv4 claiming less than its frame (trailing bytes that are not the packet's): believed
        byte[] shortClaim = new FrameBuilder().ethernet().ipv4("10.2.0.3", "10.2.0.4").udp(5001, 53).payload(32).build();
        shortClaim[16] = 0;
        shortClaim[17] = 40;
        frames.put("IPv4 total length 40 in 74 bytes", shortClaim);
        // IPv6 with its payload length, and a jumbogram's 0 (the frame's rest)
        frames.put("IPv6 UDP, 10 bytes of payload", new FrameBuilder().ethernet().ipv6("2001:db8::1", "2001:db8::2").udp(5002, 53)
                .payload(10).padTo(90).build());
        byte[] zero = new FrameBuilder().ethernet().ipv6("2001:db8::3", "2001:db8::4").udp(5003, 53).payload(10).build();
        zero[18] = 0;
        zero[19] = 0;
        frames.put("IPv6 payload length 0", zero);
        Map<String, Long> kernel = new LinkedHashMap<>();
        Map<String, Long> java = new LinkedHashMap<>();
        Map<String, Long> javaFeature = new LinkedHashMap<>();
        run(frames, kernel, java, javaFeature);
        assertThat(java.values()).containsExactly(74L, 54L, 14L + 40 + 8 + 10, 14L + 40 + 8 + 10);
        for (String f : frames.keySet()) {
            assertThat(kernel.get(f)).as("kernel, " + f).isEqualTo(java.get(f) << 16);
            assertThat(javaFeature.get(f)).as("Java feature, " + f).isEqualTo(java.get(f) << 16);
        }
    }

    /**
     * A direction's data packets (flow.h's data_packets): those with bytes past the transport header by
     * the IP packet's own length, so Ethernet padding, VLAN tags and a VXLAN outer header add none; the
     * same count in the kernel and in Java. slowconn reads it (a client that never acknowledged data).
     */
    @Test
    void dataPacketsCountPayloadNotPaddingInTheKernelAndInJava() throws Exception {
        TestData.assumeBpf();
        FlowConfig config = new FlowConfig(1 << 10, 1_000_000_000L, 4789);
        List<byte[]> frames = new ArrayList<>();
        Map<String, byte[]> syns = synOverLinks(); // no payload: 0 whatever the link adds
        frames.addAll(syns.values());
        // one flow (10.3.0.1:2000 -> 10.3.0.2:80): a SYN, a padded pure ACK, 1 byte, 100 bytes padded to 200, an ACK padded to 64
        frames.add(new FrameBuilder().ethernet().ipv4("10.3.0.1", "10.3.0.2").tcp(2000, 80, 0x02).build());
        frames.add(new FrameBuilder().ethernet().ipv4("10.3.0.1", "10.3.0.2").tcp(2000, 80, 0x10).padTo(60).build());
        frames.add(new FrameBuilder().ethernet().ipv4("10.3.0.1", "10.3.0.2").tcp(2000, 80, 0x18).payload(1).build());
        frames.add(new FrameBuilder().ethernet().ipv4("10.3.0.1", "10.3.0.2").tcp(2000, 80, 0x18).payload(100).padTo(200).build());
        frames.add(new FrameBuilder().ethernet().ipv4("10.3.0.1", "10.3.0.2").tcp(2000, 80, 0x10).padTo(64).build());
        // its answer: one data packet the other way
        frames.add(new FrameBuilder().ethernet().ipv4("10.3.0.2", "10.3.0.1").tcp(80, 2000, 0x18).payload(20).build());
        Map<String, List<Integer>> kernel;
        Map<String, List<Integer>> java;
        try (KernelFlowEngine k = new KernelFlowEngine(config, FlowRecordListener.NONE, false);
             JavaFlowEngine j = new JavaFlowEngine(config, TestRun.maxTestRunFrame())) {
            long t = 1_000_000;
            for (byte[] f : frames) {
                k.packet(MemorySegment.ofArray(f), f.length, t);
                j.packet(MemorySegment.ofArray(f), f.length, t);
                t += 1_000;
            }
            kernel = dataPackets(k);
            java = dataPackets(j);
        }
        assertThat(kernel).as("kernel == Java").isEqualTo(java);
        assertThat(java).hasSize(syns.size() + 1);
        int[] seen = new int[] {0, 0, 0, 0};
        java.forEach((key, v) -> {
            if (v.get(0) == 5) { // the flow of five packets forward
                seen[0] = v.get(1);
                seen[1] = v.get(2);
                seen[2] = v.get(3);
            } else {
                assertThat(v).as("a SYN over some link: one packet, no data").containsExactly(1, 0, 0, 0);
                seen[3]++;
            }
        });
        assertThat(seen).as("forward data packets 2 (of 5), backward 1 packet 1 data; SYNs").containsExactly(2, 1, 1, syns.size());
    }

    /** Per flow: forward packets, forward data packets, backward packets, backward data packets. */
    private static Map<String, List<Integer>> dataPackets(FlowEngine e) {
        Map<String, List<Integer>> m = new java.util.TreeMap<>(java.util.Comparator.naturalOrder());
        e.forEachFlow((k, v) -> {
            long fwd = FlowLayout.dirOffset(FlowLayout.FWD);
            long bwd = FlowLayout.dirOffset(FlowLayout.BWD);
            m.put(java.util.HexFormat.of().formatHex(k.toArray(ValueLayout.JAVA_BYTE)), List.of(
                (int) FlowLayout.u64(v, fwd + FlowLayout.D_PACKETS), FlowLayout.u16(v, fwd + FlowLayout.D_DATA_PACKETS),
                (int) FlowLayout.u64(v, bwd + FlowLayout.D_PACKETS), FlowLayout.u16(v, bwd + FlowLayout.D_DATA_PACKETS)));
        });
        return m;
    }

    /** Each frame as the first packet of its own flow: the kernel's and Java's hs_len_mean, Java's normLength. */
    private static void run(Map<String, byte[]> frames, Map<String, Long> kernel, Map<String, Long> java, Map<String, Long> javaFeature)
            throws Exception {
        FlowConfig config = new FlowConfig(1 << 10, 1_000_000_000L, 4789);
        List<String> parseErrors = new ArrayList<>();
        try (KernelFlowEngine k = new KernelFlowEngine(config, FlowRecordListener.NONE, true);
             JavaFlowEngine j = new JavaFlowEngine(config, TestRun.maxTestRunFrame())) {
            long t = 1_000_000;
            for (Map.Entry<String, byte[]> e : frames.entrySet()) {
                MemorySegment frame = MemorySegment.ofArray(e.getValue());
                ParseSummary s = new ParseSummary();
                new PacketParser().parse(frame, e.getValue().length, s);
                if (s.error() != 0) {
                    parseErrors.add(e.getKey() + ": " + s.error());
                }
                k.packet(frame, e.getValue().length, t);
                j.packet(frame, e.getValue().length, t);
                t += 1_000;
                assertThat(j.lastUpdated()).as("tracked: " + e.getKey()).isNotNull();
                kernel.put(e.getKey(), k.lastFeatures().getAtIndex(ValueLayout.JAVA_LONG, HS_LEN_MEAN));
                java.put(e.getKey(), j.lastPacket().normLength());
                javaFeature.put(e.getKey(), FlowFeature.HS_LEN_MEAN.of(j.lastUpdated()));
            }
        }
        assertThat(parseErrors).as("frames parse without error").isEmpty();
    }
}
