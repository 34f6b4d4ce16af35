package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.config.DetectorsSection;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

/**
 * Early reports ({@link EarlyLook}): each detector that can report before its window closes does so
 * {@code earlyNanos} after a subject first reached its floors, on the subject's next packet, and
 * judges it by what it saw until then (answers included); with {@code earlyNanos} 0 nothing is
 * reported before the window's end. Every attack here lasts well under its 10 s window, so a
 * report before {@code finish} can only be an early one.
 */
class EarlyReportsTest {
    private static final long MS = 1_000_000L;
    private static final long EARLY = 200 * MS;
    private static final int SYN = PacketObservation.TCP_SYN;
    private static final int ACK = PacketObservation.TCP_ACK;

    private final ObservationBuilder builder = new ObservationBuilder(false);
    /** Each report with the packet time at which it came (Long.MAX_VALUE: at finish). */
    private final List<Detection> found = new ArrayList<>();
    private final List<Long> reportedAt = new ArrayList<>();
    private long now;
    private final DetectionSink sink = d -> {
        found.add(d);
        reportedAt.add(now);
    };

    private static Detector make(String name, long early) {
        return Detectors.create(name, List.of(name + ".earlyNanos=" + early)).getFirst();
    }

    private void send(Detector d, long t, byte[] frame) {
        now = t;
        d.observe(builder.observe(MemorySegment.ofArray(frame), frame.length, t), sink);
    }

    private void finish(Detector d) {
        now = Long.MAX_VALUE;
        d.finish(0, sink);
    }

    private static byte[] tcp(String src, String dst, int sport, int dport, int flags) {
        return new FrameBuilder().ethernet().ipv4(src, dst).tcp(sport, dport, flags).build();
    }

    private static byte[] udp(String src, String dst, int sport, int dport, int bytes) {
        return new FrameBuilder().ethernet().ipv4(src, dst).udp(sport, dport).payload(bytes).build();
    }

    /** A SYN scan of 300 ports, one every 2 ms from t = 0; the 100th port (portscan's floor) at 198 ms. */
    private void synScan(Detector d) {
        for (int i = 0; i < 300; i++) {
            send(d, i * 2 * MS, tcp("203.0.113.9", "192.0.2.10", 50000, 1 + i, SYN));
        }
    }

    @Test
    void aPortScanIsReportedWhileItsWindowIsOpen() {
        Detector d = make("portscan", EARLY);
        synScan(d);
        finish(d);
        assertThat(found).hasSize(2).allMatch(r -> r.subject().equals("203.0.113.9") && r.sources().equals(List.of("203.0.113.9")));
        // the floor reached at 198 ms, looked at on the first probe 200 ms later
        assertThat(reportedAt.getFirst()).isEqualTo(398 * MS);
        assertThat(found.getFirst().reasons().getFirst()).startsWith("200 distinct destination ports on 1 host");
        assertThat(reportedAt.get(1)).as("the window's end judges it again, with all 300 ports").isEqualTo(Long.MAX_VALUE);
        assertThat(found.get(1).reasons().getFirst()).startsWith("300 distinct destination ports");
    }

    @Test
    void withoutEarlyReportsOnlyTheWindowsEndReports() {
        Detector d = make("portscan", 0);
        synScan(d);
        assertThat(found).isEmpty();
        finish(d);
        assertThat(found).hasSize(1);
    }

    /**
     * An earlyNanos past any packet time (every Config accepts it) means no early look: packet time
     * plus it is taken as the farthest time, not wrapped round to a negative one that looked at once
     * (until 2026-12-06 the scan was reported 2 ms after its floor).
     */
    @Test
    void anEarlyLookBeyondAnyPacketTimeNeverComes() {
        Detector d = make("portscan", Long.MAX_VALUE);
        synScan(d);
        assertThat(found).isEmpty();
        finish(d);
        assertThat(found).hasSize(1);

        // in wall-clock packet time (2026, about 1.8 * 10^18 ns) a smaller one overflows too
        found.clear();
        Detector e = make("portscan", 8_000_000_000_000_000_000L);
        long epoch = 1_796_000_000_000_000_000L;
        for (int i = 0; i < 300; i++) {
            send(e, epoch + i * 2 * MS, tcp("203.0.113.9", "192.0.2.10", 50000, 1 + i, SYN));
        }
        assertThat(found).isEmpty();
    }

    @Test
    void theEarlyLookWaitsForTheAnswers() {
        // a client opening 150 connections to 150 ports of one host in 15 ms (a test harness, a parallel fetch), each
        // answered by its SYN-ACK 50 ms later, then one more connection at 300 ms: a look 200 ms after the floor
        // sees the answers and reports nothing; a look at once (1 ns) would see unanswered SYNs and call it a scan
        for (long early : new long[] {EARLY, 1}) {
            found.clear();
            Detector d = make("portscan", early);
            for (int i = 0; i < 150; i++) {
                send(d, i * 100_000L, tcp("198.51.100.7", "192.0.2.10", 40000 + i, 1000 + i, SYN));
            }
            for (int i = 0; i < 150; i++) {
                send(d, 50 * MS + i * 100_000L, tcp("192.0.2.10", "198.51.100.7", 1000 + i, 40000 + i, SYN | ACK));
            }
            send(d, 300 * MS, tcp("198.51.100.7", "192.0.2.10", 40150, 1150, SYN));
            send(d, 300 * MS + 100_000L, tcp("192.0.2.10", "198.51.100.7", 1150, 40150, SYN | ACK));
            if (early == EARLY) {
                assertThat(found).as("looked at after its answers came").isEmpty();
                finish(d);
                assertThat(found).as("and the window's end agrees").isEmpty();
            } else {
                assertThat(found).as("looked at before any answer could come").hasSize(1);
            }
        }
    }

    @Test
    void aSpoofedSynFloodIsReportedEarly() {
        Detector d = make("synflood", EARLY);
        for (int i = 0; i < 4000; i++) { // 2,000 SYNs/s from random sources to one port; the floor (1,000 SYNs) at 499.5 ms
            send(d, i * 500_000L, tcp("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255), "192.0.2.80", 1024 + i % 60000, 443, SYN));
        }
        finish(d);
        assertThat(reportedAt.getFirst()).isEqualTo(699_500_000L);
        Detection first = found.getFirst();
        assertThat(first.sources()).as("spoofed: no one named").isEmpty();
        assertThat(first.target()).hasToString("tcp ->192.0.2.80:443");
        assertThat(found).hasSize(2);
    }

    @Test
    void aSingleSourceFloodIsReportedEarlyWithItsSender() {
        Detector d = make("flood", EARLY);
        // 10,000 datagrams/s to port 9; the floors (5,000 packets, 5,000/s over the span or 1 s if shorter) at 499.9 ms
        for (int i = 0; i < 15_000; i++) {
            send(d, i * 100_000L, udp("203.0.113.66", "192.0.2.7", 4444, 9, 18));
        }
        finish(d);
        assertThat(reportedAt.getFirst()).as("looked at 200 ms after the floors").isEqualTo(699_900_000L);
        assertThat(found.getFirst().sources()).containsExactly("203.0.113.66");
        assertThat(found.getFirst().target()).hasToString("udp ->192.0.2.7:9");
    }

    @Test
    void amplificationIsReportedEarly() {
        Detector d = make("amplification", EARLY);
        for (int i = 0; i < 1000; i++) { // 1.2 kB DNS answers nobody asked for, from 40 resolvers, one per ms
            send(d, i * MS, udp("198.18." + (i % 40) + ".53", "192.0.2.99", 53, 33333, 1200));
        }
        finish(d);
        // 100,000 bytes (frames of 1,242) and 20 reflectors reached with the 81st answer (80 ms), looked at 200 ms later
        assertThat(reportedAt.getFirst()).isEqualTo(280 * MS);
        assertThat(found.getFirst().target()).hasToString("udp 53->192.0.2.99:any");
        assertThat(found).hasSize(2);
    }

    @Test
    void reflectionFromAnUnlistedPortIsReportedEarly() {
        Detector d = make("reflection", EARLY);
        for (int i = 0; i < 1000; i++) { // 1.2 kB answers from UDP 3283 (not a listed service) that nobody asked for, 40 reflectors
            send(d, i * MS, udp("203.0.113." + (i % 40 + 1), "192.0.2.200", 3283, 80, 1200));
        }
        finish(d);
        // 100,000 unsolicited bytes (frames of 1,242) and 20 reflectors with the 81st answer (80 ms), looked at 200 ms later
        assertThat(reportedAt.getFirst()).isEqualTo(280 * MS);
        assertThat(found.getFirst().target()).hasToString("udp 3283->192.0.2.200:any");
        assertThat(found.getFirst().sources()).as("reflectors are not the attacker").isEmpty();
        assertThat(found).hasSize(2);
    }

    @Test
    void sweepsAndUdpScansAreReportedEarly() {
        Detector sweep = make("sweep", EARLY);
        for (int i = 0; i < 200; i++) { // echo requests to 200 hosts, one per 5 ms; 50 hosts (the floor) at 245 ms
            byte[] f = new FrameBuilder().ethernet().ipv4("203.0.113.5", "192.0.2." + (i + 1)).icmpEcho(7, i).payload(56).build();
            send(sweep, i * 5 * MS, f);
        }
        assertThat(found).extracting(Detection::detector).containsExactly("sweep");
        assertThat(reportedAt.getFirst()).isEqualTo(445 * MS);
        found.clear();
        reportedAt.clear();
        Detector udpscan = make("udpscan", EARLY);
        for (int i = 0; i < 300; i++) { // empty datagrams to 300 ports, one per 5 ms; 100 ports at 495 ms
            send(udpscan, i * 5 * MS, udp("203.0.113.5", "192.0.2.10", 50000, 1 + i, 0));
        }
        assertThat(found).extracting(Detection::detector).containsExactly("udpscan");
        assertThat(reportedAt.getFirst()).isEqualTo(695 * MS);
    }

    @Test
    void theSetMergesTheEarlyAndTheClosingReport() {
        DetectorSet set = new DetectorSet(List.of(make("portscan", EARLY)));
        NewDetections news = new NewDetections(set);
        List<Detection> handed = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            byte[] f = tcp("203.0.113.9", "192.0.2.10", 50000, 1 + i, SYN);
            set.observe(builder.observe(MemorySegment.ofArray(f), f.length, i * 2 * MS));
            if (i == 250) {
                assertThat(news.poll(false, handed::add)).as("handed over while the window is open").isEqualTo(1);
            }
        }
        assertThat(news.poll(false, handed::add)).as("nothing new: the polls between are cheap").isZero();
        assertThat(news.poll(true, handed::add)).as("the closing report merges into the same detection").isZero();
        assertThat(set.detections()).singleElement().satisfies(x -> {
            assertThat(x.count()).isEqualTo(2);
            assertThat(x.reasons().getFirst()).startsWith("300 distinct destination ports");
        });
        assertThat(handed).hasSize(1);
    }

    @Test
    void aClosingReportThatAimsElsewhereIsHandedOverToo() {
        // two senders flood port 80 with SYNs (2,000/s) for 0.7 s, then SYNs to 800 other ports: the early report aims at
        // port 80, the window's end at many ports (0). DetectorSet keeps them apart (a measure is made of each target), and
        // so must what hands detections over
        DetectorSet set = new DetectorSet(List.of(make("synflood", EARLY)));
        NewDetections news = new NewDetections(set);
        List<Detection> handed = new ArrayList<>();
        for (int i = 0; i < 2200; i++) {
            int port = i < 1400 ? 80 : 1000 + i - 1400;
            byte[] f = tcp(i % 2 == 0 ? "203.0.113.1" : "203.0.113.2", "192.0.2.80", 1024 + i, port, SYN);
            set.observe(builder.observe(MemorySegment.ofArray(f), f.length, i * 500_000L));
        }
        news.poll(false, handed::add);
        assertThat(handed).singleElement().satisfies(x -> assertThat(x.target()).hasToString("tcp ->192.0.2.80:80"));
        news.poll(true, handed::add);
        assertThat(handed).extracting(x -> x.target().toString()).containsExactly("tcp ->192.0.2.80:80", "tcp ->192.0.2.80:any");
        assertThat(handed.get(1).sources()).containsExactly("203.0.113.1", "203.0.113.2");
    }

    /** (detector, subject) of every detection on {@code capture} by the detectors as the agent makes them. */
    private static List<Tuple> detections(Path capture, List<String> names, Duration early) throws IOException {
        DetectorSet set = new DetectorSet(new DetectorsSection(names, DetectorsSection.DEFAULT_WINDOW, early, List.of()).create());
        assertThat(CaptureDetection.run(capture, set).damage()).isNull();
        return set.detections().stream().map(d -> new Tuple(d.detector(), d.subject())).toList();
    }

    @Test
    void earlyReportsRaiseNoFalseAlarmOnTheBenignCaptures() throws IOException {
        // the agent's detectors (2 s windows), with early reports after 200 ms and without; and every kind but anomaly (which needs
        // a warm-up), flood included: early reports find what the windows' ends find, nothing more
        List<String> every = Detectors.names().stream().filter(n -> !n.equals("anomaly")).toList();
        for (Path benign : List.of(TestData.capture("benign/lan-trace-2012.pcap"), TestData.capture("benign/ndpi-firefox.pcap"),
                TestData.capture("benign/ndpi-ftp.pcap"), TestData.capture("benign/ndpi-teams.pcap"), TestData.capture("benign/ndpi-tor.pcap"),
                TestData.dataDir().resolve("detect/iperf3-tcp.pcap"))) {
            assertThat(detections(benign, DetectorsSection.DEFAULT_NAMES, DetectorsSection.DEFAULT_EARLY)).as("%s", benign).isEmpty();
            assertThat(detections(benign, every, DetectorsSection.DEFAULT_EARLY)).as("%s, every kind", benign)
                    .isEqualTo(detections(benign, every, Duration.ZERO));
        }
    }
}
