package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Admission at the second packet against a spoofed SYN flood that sends each key twice (review of
 * 2026-12-06: the second copy promoted the key, and the flood evicted the established flows). Since
 * 2026-12-06 a SYN after its flow's parked SYN does not promote: it parks in its place
 * (flow_stage.h {@code xdpml_syn_repeated}, {@link FlowTable#synRepeated}). The same packets go
 * through the kernel's flow stage (BPF_PROG_TEST_RUN, test clock) and the Java twin: the tables
 * and counters must be identical, no flood key may be in them, and every benign flow must be, its
 * state tracked from its first packet (or, after a repeated SYN, from its last SYN).
 */
public class SynRepeatAdmissionParityTest {
    static final long US = 1_000L;
    static final long S = 1_000_000_000L;
    static final int FLOOD_KEYS = 5_000;

    record Sent(byte[] frame, long time) {}

    static byte[] spoofedSyn(int i, int seq) {
        byte[] f = new FrameBuilder().ethernet().ipv4("100." + (64 + i / 62500) + "." + (i / 250 % 250) + "." + (1 + i % 250), "10.77.0.2")
                .tcp(1024 + i % 60000, 80, 0x02).build();
        // the TCP sequence number (Ethernet 14 + IPv4 20 + 4): a flood may send a new SYN each time
        f[38] = (byte) (seq >>> 24);
        f[39] = (byte) (seq >>> 16);
        f[40] = (byte) (seq >>> 8);
        f[41] = (byte) seq;
        return f;
    }

    /** An Ethernet/IPv4/TCP frame with {@code payload} bytes (also FirstPacketEachWayParityTest's). */
    public static byte[] tcp(String src, String dst, int sport, int dport, int flags, int payload) {
        return new FrameBuilder().ethernet().ipv4(src, dst).tcp(sport, dport, flags).payload(payload).build();
    }

    public static byte[] udp(String src, String dst, int sport, int dport, int payload) {
        return new FrameBuilder().ethernet().ipv4(src, dst).udp(sport, dport).payload(payload).build();
    }

    /**
     * The flood three ways (each key's SYN twice back to back, the same frame; twice back to back
     * with a new sequence number; the whole flood twice over, so each key's second SYN comes later,
     * its first still parked: the slots outnumber the keys), and benign flows between its packets.
     */
    static List<Sent> traffic() {
        List<Sent> out = new ArrayList<>();
        long t = S;
        // benign, before the flood: a handshake seen both ways, one seen inbound only (the SYN-ACK
        // leaves unseen), a SYN retransmitted before its answer, and UDP packets 2 us apart
        out.add(new Sent(tcp("10.1.0.1", "10.77.0.2", 40001, 443, 0x02, 0), t += US));
        out.add(new Sent(tcp("10.77.0.2", "10.1.0.1", 443, 40001, 0x12, 0), t += 200 * US));
        out.add(new Sent(tcp("10.1.0.1", "10.77.0.2", 40001, 443, 0x10, 0), t += 200 * US));
        out.add(new Sent(tcp("10.1.0.1", "10.77.0.2", 40001, 443, 0x18, 300), t += 10 * US));
        out.add(new Sent(tcp("10.1.0.2", "10.77.0.2", 40002, 443, 0x02, 0), t += US));
        out.add(new Sent(tcp("10.1.0.2", "10.77.0.2", 40002, 443, 0x10, 0), t += 400 * US));
        out.add(new Sent(tcp("10.1.0.2", "10.77.0.2", 40002, 443, 0x18, 120), t += 10 * US));
        out.add(new Sent(tcp("10.1.0.3", "10.77.0.2", 40003, 443, 0x02, 0), t += US));
        out.add(new Sent(tcp("10.1.0.3", "10.77.0.2", 40003, 443, 0x02, 0), t += S));
        out.add(new Sent(tcp("10.1.0.3", "10.77.0.2", 40003, 443, 0x10, 0), t += 300 * US));
        out.add(new Sent(tcp("10.1.0.3", "10.77.0.2", 40003, 443, 0x18, 80), t += 10 * US));
        out.add(new Sent(udp("10.1.0.4", "10.77.0.2", 40004, 53, 40), t += US));
        out.add(new Sent(udp("10.1.0.4", "10.77.0.2", 40004, 53, 40), t += 2 * US));
        out.add(new Sent(udp("10.77.0.2", "10.1.0.4", 53, 40004, 120), t += 300 * US));
        for (int i = 0; i < FLOOD_KEYS; i++) {
            byte[] syn = spoofedSyn(i, 7 * i);
            out.add(new Sent(syn, t += US));
            out.add(new Sent(i % 2 == 0 ? syn : spoofedSyn(i, 7 * i + 1), t += US));
        }
        for (int i = FLOOD_KEYS; i < 2 * FLOOD_KEYS; i++) {
            out.add(new Sent(spoofedSyn(i, i), t += US));
        }
        for (int i = FLOOD_KEYS; i < 2 * FLOOD_KEYS; i++) {
            out.add(new Sent(spoofedSyn(i, i), t += US));
        }
        // benign, after the flood: a handshake (SYN, SYN-ACK, ACK) through its end
        out.add(new Sent(tcp("10.1.0.5", "10.77.0.2", 40005, 443, 0x02, 0), t += US));
        out.add(new Sent(tcp("10.77.0.2", "10.1.0.5", 443, 40005, 0x12, 0), t += 200 * US));
        out.add(new Sent(tcp("10.1.0.5", "10.77.0.2", 40005, 443, 0x10, 0), t += 200 * US));
        return out;
    }

    static long packets(MemorySegment state) {
        return FlowLayout.u64(state, FlowLayout.dirOffset(0) + FlowLayout.D_PACKETS) + FlowLayout.u64(state, FlowLayout.dirOffset(1) + FlowLayout.D_PACKETS);
    }

    @Test
    void aSpoofedSynFloodSendingEachKeyTwiceIsNotPromotedInTheKernelNorInJava() throws Exception {
        TestData.assumeBpf();
        FlowConfig config = new FlowConfig(1 << 16, 120 * S, 4789).withProbation(1 << 16).withHashSeed(0x3c6ef372fe94f82bL);
        List<Sent> traffic = traffic();
        try (FlowEngine k = new KernelFlowEngine(config, (t, r, key, s) -> {});
             FlowEngine j = new JavaFlowEngine(config, TestRun.maxTestRunFrame(), (t, r, key, s) -> {})) {
            for (Sent s : traffic) {
                for (FlowEngine e : List.of(k, j)) {
                    e.packet(MemorySegment.ofArray(s.frame()), s.frame().length, s.time());
                }
            }
            Map<String, byte[]> kernel = FlowParityTest.table(k);
            assertThat(kernel).as("kernel and Java flow tables").containsExactlyInAnyOrderEntriesOf(FlowParityTest.table(j));
            for (FlowCounter c : FlowCounter.values()) {
                assertThat(k.counter(c)).as("counter %s, kernel and Java", c).isEqualTo(j.counter(c));
            }
            List<Long> benign = new ArrayList<>();
            k.forEachFlow((key, s) -> benign.add(packets(s)));
            // no flood key promoted: the table holds the 5 benign flows alone
            assertThat(k.counter(FlowCounter.PROMOTED)).as("flows promoted").isEqualTo(5);
            assertThat(kernel).hasSize(5);
            // every packet of each, but the retransmitted flow's first SYN (it starts at its last)
            assertThat(benign).containsExactlyInAnyOrder(4L, 3L, 3L, 3L, 3L);
            assertThat(k.counter(FlowCounter.PARKED)).as("first packets and repeated SYNs, parked").isEqualTo(4L * FLOOD_KEYS + 5 + 1);
        }
    }
}
