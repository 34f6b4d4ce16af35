package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.packet.FrameBuilder;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * connflood on connections built frame by frame, through a {@link DetectorSet} of every detector
 * (as the agent runs them): an HTTP flood from one source detected and its source named, with every
 * packet and as the agent samples (every SYN a weight-0 first packet, the rest 1 in 100 with weight
 * 100); and what it must leave alone: a browser's few connections, connections too slow, a SYN flood
 * whose handshakes never complete (synflood's), retransmitted SYNs counted once. The sustained rule
 * (300 new connections within 60 s, across windows): just under and at its floor, retransmissions
 * as Linux spaces them counted once, its horizon forgetting, once per horizon, off with 0.
 */
class ConnFloodDetectorTest {
    private static final int SYN = PacketObservation.TCP_SYN;
    private static final int ACK = PacketObservation.TCP_ACK;
    private static final int RST = PacketObservation.TCP_RST;
    private static final int PSH = PacketObservation.TCP_PSH;
    private static final int FIN = PacketObservation.TCP_FIN;
    private static final String VICTIM = "10.0.0.1";
    private static final String ATTACKER = "10.0.0.9";

    private final ObservationBuilder builder = new ObservationBuilder(false);
    private DetectorSet set = new DetectorSet(Detectors.create("all"));
    private long sampled;

    private void send(long t, byte[] frame, int weight) {
        set.observe(builder.observe(MemorySegment.ofArray(frame), 0, frame.length, t, weight));
    }

    private static byte[] tcp(String src, int sport, int flags, int payload) {
        return new FrameBuilder().ethernet().ipv4(src, VICTIM).tcp(sport, 80, flags).payload(payload).build();
    }

    /**
     * One HTTP connection from {@code src} as the victim's host receives it: SYN, ACK, GET, ACK of the
     * response, FIN. {@code sampling} 0: every packet, weight 1; N: the SYN with weight 0 (a flow's first
     * packet), the rest 1 in N (a running count) with weight N.
     */
    private void connection(long t, String src, int sport, int sampling, boolean complete) {
        if (sampling == 0) {
            send(t, tcp(src, sport, SYN, 0), 1);
        } else {
            send(t, tcp(src, sport, SYN, 0), 0);
        }
        int[][] rest = complete ? new int[][] {{ACK, 0}, {ACK | PSH, 120}, {ACK, 0}, {ACK | FIN, 0}} : new int[][] {{RST, 0}};
        for (int i = 0; i < rest.length; i++) {
            long at = t + (i + 1) * 200_000L;
            if (sampling == 0) {
                send(at, tcp(src, sport, rest[i][0], rest[i][1]), 1);
            } else if (++sampled % sampling == 0) {
                send(at, tcp(src, sport, rest[i][0], rest[i][1]), sampling);
            }
        }
    }

    private List<Detection> finish(String detector) {
        set.finish();
        return set.detections().stream().filter(d -> d.detector().equals(detector)).toList();
    }

    /** {@code n} connections from {@code src} at {@code perSecond}, from 1 s on. */
    private void connections(String src, int n, double perSecond, int sampling, boolean complete) {
        for (int i = 0; i < n; i++) {
            connection(1_000_000_000L + (long) (i * 1e9 / perSecond), src, 20_000 + i, sampling, complete);
        }
    }

    @Test
    void httpFloodFromOneSourceIsReportedAndNamed() {
        connections(ATTACKER, 600, 300, 0, true);
        connections("10.0.0.7", 20, 5, 0, true); // a browser meanwhile
        List<Detection> found = finish("connflood");
        assertThat(found).hasSize(1);
        Detection d = found.get(0);
        assertThat(d.subject()).isEqualTo(ATTACKER);
        assertThat(d.sources()).containsExactly(ATTACKER);
        assertThat(d.score()).isGreaterThan(5);
        assertThat(String.join(" ", d.reasons())).contains("600 new TCP connections to 10.0.0.1:80").contains("handshakes completed");
        assertThat(set.detections()).noneMatch(x -> x.detector().equals("synflood"));
    }

    @Test
    void sampledAsTheAgentSamplesEverySynStillCounts() {
        // SYNs arrive with weight 0 only: given only to Detectors.DISTINCT, of which connflood must be
        connections(ATTACKER, 600, 300, 100, true);
        List<Detection> found = finish("connflood");
        assertThat(found).hasSize(1);
        assertThat(found.get(0).sources()).containsExactly(ATTACKER);
        assertThat(String.join(" ", found.get(0).reasons())).contains("600 new TCP connections");
    }

    @Test
    void reportsEarlyWithTheAgentsWindowAndEarlySettings() {
        set = new DetectorSet(Detectors.create("connflood", List.of("connflood.windowNanos=2000000000", "connflood.earlyNanos=200000000")));
        connections(ATTACKER, 150, 100, 100, true);
        // the window (1 s to 3 s) still open: reported by the early look, 200 ms after the 100th connection (about 2 s)
        List<Detection> found = set.detections();
        assertThat(found).hasSize(1);
        assertThat(found.get(0).sources()).containsExactly(ATTACKER);
        assertThat(found.get(0).lastNanos()).isLessThan(2_500_000_000L);
    }

    @Test
    void aBrowserAndSlowConnectionsAreNotAFlood() {
        connections("10.0.0.7", 30, 30, 0, true); // a page's 30 connections in a second
        connections("10.0.0.8", 150, 15, 0, true); // 150 in 10 s: under 50/s
        assertThat(finish("connflood")).isEmpty();
    }

    @Test
    void handshakesNeverCompletedAreNotConnflood() {
        connections(ATTACKER, 600, 300, 0, false); // SYNs answered by the sender's RSTs: a SYN flood, synflood's
        assertThat(finish("connflood")).isEmpty();
    }

    @Test
    void aRetransmittedSynIsOneConnection() {
        set = new DetectorSet(Detectors.create("connflood"));
        for (int i = 0; i < 60; i++) {
            long t = 1_000_000_000L + i * 5_000_000L;
            for (int r = 0; r < 3; r++) {
                send(t + r * 1_000_000L, tcp(ATTACKER, 30_000 + i, SYN, 0), 1);
            }
            send(t + 3_000_000L, tcp(ATTACKER, 30_000 + i, ACK | PSH, 100), 1);
        }
        assertThat(finish("connflood")).isEmpty(); // 60 connections (180 SYNs), under 100
        set = new DetectorSet(Detectors.create("connflood", List.of("connflood.minConnections=60")));
        for (int i = 0; i < 60; i++) {
            long t = 1_000_000_000L + i * 5_000_000L;
            send(t, tcp(ATTACKER, 30_000 + i, SYN, 0), 1);
            send(t + 3_000_000L, tcp(ATTACKER, 30_000 + i, ACK | PSH, 100), 1);
        }
        assertThat(finish("connflood")).hasSize(1);
    }

    @Test
    void aSourcePortReusedForANewConnectionCountsAgain() {
        // 50 ports, each used twice (new initial sequence numbers): 100 connections, as tshark counts SYNs
        for (int i = 0; i < 100; i++) {
            long t = 1_000_000_000L + i * 5_000_000L;
            int port = 30_000 + i % 50;
            byte[] syn = new FrameBuilder().ethernet().ipv4(ATTACKER, VICTIM).tcp(port, 80, SYN, 1_000 + i * 7_919, 0).build();
            send(t, syn, 1);
            send(t + 1_000_000L, syn, 1); // and its retransmission: the same connection
            send(t + 3_000_000L, tcp(ATTACKER, port, ACK | PSH, 100), 1);
        }
        List<Detection> found = finish("connflood");
        assertThat(found).hasSize(1);
        assertThat(found.get(0).reasons().get(0)).startsWith("100 new TCP connections");
        ObservationBuilder b = new ObservationBuilder(false);
        byte[] f = new FrameBuilder().ethernet().ipv4(ATTACKER, VICTIM).tcp(1, 80, SYN, 0xfedc_ba98, 0).build();
        assertThat(b.observe(MemorySegment.ofArray(f), f.length, 0).tcpSequence()).isEqualTo(0xfedc_ba98);
    }

    private static final long S = 1_000_000_000L;
    /** The sustained rule, off by default (since 2026-12-07), on at the floor the docs give. */
    private static final String SUSTAINED = "connflood.sustainedConnections=300";

    @Test
    void sustainedJustUnderTheFloorIsNotReportedAndAtItIs() {
        // 10 connections a second: 100 in a 10 s window at 10/s, under the window's 50/s
        set = new DetectorSet(Detectors.create("all", List.of(SUSTAINED)));
        connections(ATTACKER, 299, 10, 0, true);
        assertThat(finish("connflood")).isEmpty();
        set = new DetectorSet(Detectors.create("all", List.of(SUSTAINED)));
        connections(ATTACKER, 300, 10, 0, true);
        // reported as the 300th connection came (its ACKs not yet), before the window ends
        List<Detection> found = set.detections().stream().filter(x -> x.detector().equals("connflood")).toList();
        assertThat(found).hasSize(1);
        Detection d = found.getFirst();
        assertThat(d.subject()).isEqualTo(ATTACKER);
        assertThat(d.sources()).containsExactly(ATTACKER);
        assertThat(d.reasons().getFirst())
                .isEqualTo("300 new TCP connections to 10.0.0.1:80 in 29.900 s (10 connections/s sustained; at least 300 within 60 s)");
        assertThat(d.reasons().get(1)).startsWith("1,196 packets with ACK from the source (3.99 per connection)");
        assertThat(d.score()).isEqualTo(1.0);
        assertThat(finish("connflood")).hasSize(1);
    }

    @Test
    void sustainedCountsRetransmittedSynsOnceAsLinuxSpacesThem() {
        // 250 connections at 10/s, each SYN sent again 1, 3, 7, 15 and 31 s after the first (tcp_syn_retries' back-off):
        // 1,500 SYNs, 250 connections, under 300
        set = new DetectorSet(Detectors.create("all", List.of(SUSTAINED)));
        record Packet(long t, int port, int flags) {}
        List<Packet> packets = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            long t = S + i * S / 10;
            for (long again : new long[] {0, 1, 3, 7, 15, 31}) {
                packets.add(new Packet(t + again * S, 20_000 + i, SYN));
            }
            for (int k = 1; k <= 4; k++) { // then completed: the handshake's ACK, the request, ACKs (enough for any count)
                packets.add(new Packet(t + 31 * S + k * 1_000_000L, 20_000 + i, ACK | PSH));
            }
        }
        packets.sort(Comparator.comparingLong(Packet::t));
        for (Packet p : packets) {
            send(p.t(), tcp(ATTACKER, p.port(), p.flags(), p.flags() == SYN ? 0 : 100), 1);
        }
        assertThat(finish("connflood")).isEmpty();
    }

    @Test
    void sustainedCountsAcrossTheAgentsWindowsAndIsOffWithZero() {
        List<String> agent = List.of("connflood.windowNanos=2000000000", "connflood.earlyNanos=200000000", SUSTAINED);
        // 20 a second for 20 s: 40 in each 2 s window, under its 100; 300 within the horizon 15 s in
        set = new DetectorSet(Detectors.create("connflood", agent));
        connections(ATTACKER, 400, 20, 0, true);
        List<Detection> found = finish("connflood");
        assertThat(found).extracting(Detection::subject).containsExactly(ATTACKER);
        // at the 300th, 14.95 s in, then again each 5 s epoch while the horizon holds 300: merged by DetectorSet (10 s)
        assertThat(found.getFirst().timeNanos()).isEqualTo(S + 299 * S / 20);
        assertThat(found.getFirst().reasons().getFirst()).endsWith("(20 connections/s sustained; at least 300 within 60 s)");
        List<String> off = new ArrayList<>(agent);
        off.add("connflood.sustainedConnections=0");
        set = new DetectorSet(Detectors.create("connflood", off));
        connections(ATTACKER, 400, 20, 0, true);
        assertThat(finish("connflood")).isEmpty();
        // off by default
        set = new DetectorSet(Detectors.create("connflood", agent.subList(0, 2)));
        connections(ATTACKER, 400, 20, 0, true);
        assertThat(finish("connflood")).isEmpty();
    }

    @Test
    void sustainedHorizonForgetsOldConnections() {
        // 200 connections at 10/s, 70 s of nothing, 200 more: never 300 within 60 s
        set = new DetectorSet(Detectors.create("connflood", List.of(SUSTAINED)));
        connections(ATTACKER, 200, 10, 0, true);
        for (int i = 0; i < 200; i++) {
            connection(90 * S + i * S / 10, ATTACKER, 40_000 + i, 0, true);
        }
        assertThat(finish("connflood")).isEmpty();
    }

    @Test
    void sustainedIsReportedAgainOncePerEpochWhileItGoesOn() {
        // 10/s for 120 s: at the 300th (30.9 s), then at the first connection of each 5 s epoch (35, 40, ... 120 s) while
        // the horizon holds 300: 19 reports, merged by DetectorSet into detections of reports within 10 s of each other
        set = new DetectorSet(Detectors.create("connflood", List.of(SUSTAINED)));
        connections(ATTACKER, 1_200, 10, 0, true);
        List<Detection> found = finish("connflood");
        assertThat(found).extracting(Detection::subject).containsOnly(ATTACKER);
        assertThat(found.getFirst().timeNanos()).isEqualTo(S + 299 * S / 10);
        assertThat(found.stream().mapToLong(Detection::count).sum()).isEqualTo(19);
        // the last at 120 s, the first connection of epoch 24: the horizon is its 12 epochs, 65 s to 120 s (exact to within an epoch)
        assertThat(found.getLast().reasons().getFirst()).startsWith("551 new TCP connections to 10.0.0.1:80 in 55 s");
    }

    @Test
    void sustainedHandshakesNeverCompletedAreNotConnflood() {
        set = new DetectorSet(Detectors.create("connflood", List.of(SUSTAINED)));
        connections(ATTACKER, 600, 10, 0, false); // each SYN answered by the sender's RST
        assertThat(finish("connflood")).isEmpty();
    }
}
