package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.packet.FrameBuilder;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * What {@link DetectorSet} hands its detectors besides each packet: packets of weight 0 (a flow's
 * first packet the agent copies besides its sample) go to the detectors that count distinct ports
 * and hosts alone, and packet time can go on without a packet ({@link DetectorSet#advance}).
 */
class DetectorSetTest {
    private final ObservationBuilder builder = new ObservationBuilder(false);

    private void send(DetectorSet set, long timeNanos, byte[] frame, int weight) {
        set.observe(builder.observe(MemorySegment.ofArray(frame), 0, frame.length, timeNanos, weight));
    }

    private static byte[] syn(String src, String dst, int sport, int dport) {
        return new FrameBuilder().ethernet().ipv4(src, dst).tcp(sport, dport, PacketObservation.TCP_SYN).build();
    }

    private static byte[] udp(String src, String dst, int sport, int dport) {
        return new FrameBuilder().ethernet().ipv4(src, dst).udp(sport, dport).build();
    }

    /**
     * A DNS answer of ID {@code id} (its header, one question for a.example, one answer's bytes unread): each answer
     * echoes its query's ID (since 2026-12-06 answers repeating the one before byte for byte are a scanner's probes).
     */
    private static byte[] dnsAnswer(String src, String dst, int dport, int id) {
        byte[] m = new byte[60];
        m[0] = (byte) (id >> 8);
        m[1] = (byte) id;
        m[2] = (byte) 0x81;
        m[3] = (byte) 0x80;
        m[5] = 1;
        m[7] = 1;
        byte[] name = {1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1};
        System.arraycopy(name, 0, m, 12, name.length);
        return new FrameBuilder().ethernet().ipv4(src, dst).udp(53, dport).payload(m).build();
    }

    /** A spoofed SYN flood: 20,000 SYNs to 192.0.2.80:443 in 2 s from {@code t}, each from its own source, of {@code weight}. */
    private void spoofedFlood(DetectorSet set, long t, int weight) {
        for (int i = 0; i < 20_000; i++) {
            send(set, t + i * 100_000L, syn("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255), "192.0.2.80", 1024 + i % 50000, 443),
                    weight);
        }
    }

    /** A SYN scan: 198.51.100.9 to ports 1 to {@code ports} of 192.0.2.1, one every 0.1 ms from {@code t}, of {@code weight}. */
    private void synScan(DetectorSet set, long t, int ports, int weight) {
        for (int port = 1; port <= ports; port++) {
            send(set, t + port * 100_000L, syn("198.51.100.9", "192.0.2.1", 40000, port), weight);
        }
    }

    private static java.util.List<String> named(DetectorSet set) {
        set.finish();
        return set.detections().stream().map(d -> d.detector() + " " + d.subject()).toList();
    }

    @Test
    void packetsOfWeightZeroReachTheScanDetectorsAlone() {
        // a SYN scan of 1,000 ports and a spoofed SYN flood of 20,000 SYNs in 2 s, every packet of weight 0
        DetectorSet set = new DetectorSet(Detectors.create("portscan,synflood,volumetric,flood"));
        long t = 1_000_000_000L;
        synScan(set, t, 1000, 0);
        spoofedFlood(set, t, 0);
        assertThat(named(set)).containsExactly("portscan 198.51.100.9");

        // the same flood weighing 1: synflood reports it
        DetectorSet weighed = new DetectorSet(Detectors.create("portscan,synflood,volumetric,flood"));
        spoofedFlood(weighed, t, 1);
        assertThat(named(weighed)).contains("synflood 192.0.2.80");
    }

    @Test
    void aResolverAnsweringManyLookupsIsNoScanWhereOnlyItsAnswersAreSeen() {
        // what the agent sees of a host's 400 DNS lookups in 2 s (its own queries leave, unseen): 400 answers from 8.8.8.8:53,
        // each to another ephemeral port and each its flow's first packet; then a slow trickle of them for 20 minutes
        DetectorSet set = new DetectorSet(Detectors.create("portscan,udpscan,sweep,slowscan"));
        long t = 1_000_000_000L;
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < 400; i++) {
            send(set, t + i * 5_000_000L, dnsAnswer("8.8.8.8", "192.0.2.10", 32768 + r.nextInt(28000), r.nextInt(0x10000)), 0);
        }
        for (int i = 0; i < 1200; i++) {
            send(set, t + 3_000_000_000L + i * 1_000_000_000L, dnsAnswer("8.8.8.8", "192.0.2.10", 32768 + r.nextInt(28000), r.nextInt(0x10000)), 0);
        }
        assertThat(named(set)).isEmpty();

        // the same datagrams from an ephemeral port to the host's low ports are a vertical UDP scan
        DetectorSet scan = new DetectorSet(Detectors.create("udpscan"));
        for (int i = 0; i < 400; i++) {
            send(scan, t + i * 5_000_000L, udp("8.8.8.8", "192.0.2.10", 40000, 1 + i), 0);
        }
        assertThat(named(scan)).containsExactly("udpscan 8.8.8.8");
    }

    @Test
    void aWindowClosesWhenPacketTimeGoesOnWithoutAPacket() {
        // a scan of 150 ports in 15 ms, then nothing: its window (10 s by default) ends with no packet after it
        DetectorSet set = new DetectorSet(Detectors.create("portscan"));
        long t = 1_000_000_000L;
        synScan(set, t, 150, 1);
        set.advance(t + 500_000_000L); // within the 10 s window
        assertThat(set.detections()).isEmpty();
        set.advance(t + 10_500_000_000L);
        assertThat(set.detections()).extracting(d -> d.detector() + " " + d.subject()).containsExactly("portscan 198.51.100.9");
    }
    /**
     * An agent runs for days: detections no renewal can ask for any more are forgotten, by the set
     * and by the poll that handed them over (which does not hand them over again); a scan after
     * that is a new detection, handed over once.
     */
    @Test
    void oldDetectionsAreForgottenAndNotHandedOverAgain() {
        DetectorSet set = new DetectorSet(Detectors.create("portscan"));
        NewDetections news = new NewDetections(set);
        java.util.List<Detection> handed = new java.util.ArrayList<>();
        long t = 1_000_000_000L;
        synScan(set, t, 150, 1);
        set.advance(t + 10_500_000_000L);
        assertThat(news.poll(false, handed::add)).isEqualTo(1);
        assertThat(news.forgetBefore(t)).as("still recent").isZero();
        assertThat(news.forgetBefore(t + 60_000_000_000L)).isEqualTo(1);
        assertThat(set.detections()).isEmpty();
        assertThat(news.count()).isZero();
        synScan(set, t + 70_000_000_000L, 150, 1);
        set.advance(t + 81_000_000_000L);
        assertThat(news.poll(false, handed::add)).isEqualTo(1);
        assertThat(news.poll(false, handed::add)).isZero();
        assertThat(handed).hasSize(2);
    }

    /**
     * Each detector that reads the flow table at its own period, in one walk for those due; a census a little early
     * (the agent's tick wakes late by varying amounts) is due, one more than 50 ms early is not.
     */
    @Test
    void eachCensusAtItsOwnPeriodInOneWalkAndALittleEarlyIsDue() {
        long s = 1_000_000_000L;
        DetectorSet set = new DetectorSet(Detectors.create("slowconn,reqflood")); // periods 2 s and 1 s
        int[] walks = new int[1];
        FlowWalk walk = each -> walks[0]++;
        assertThat(set.censusDue(0)).isTrue();
        set.census(10 * s, 10 * s, walk);
        assertThat(walks[0]).as("one walk for both").isEqualTo(1);
        assertThat(set.censusDue(11 * s - 60_000_000L)).as("60 ms early").isFalse();
        assertThat(set.censusDue(11 * s - 40_000_000L)).as("40 ms early: reqflood's").isTrue();
        set.census(11 * s - 40_000_000L, 11 * s, walk);
        assertThat(set.censusDue(12 * s - 100_000_000L)).as("slowconn's due at 12 s, reqflood's at 11.96 s: 100 ms before both").isFalse();
        assertThat(set.censusDue(12 * s - 30_000_000L)).isTrue();
        assertThat(walks[0]).isEqualTo(2);
    }
}
