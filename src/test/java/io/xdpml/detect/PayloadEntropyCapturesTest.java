package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.PcapFormatException;
import io.xdpml.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Payload entropy on the real captures (docs/detectors.md, "Payload entropy"): what floods carry
 * (the flood detector's payload reason), why entropy is no default rule (the floods of the shared
 * captures carry no payload at all, the IPv6 flood carries zeros, and so does a benign FTP
 * transfer; an amplification's responses have the entropy of the LAN's own UDP), and the one case
 * where it tells them apart: a padded hping3 UDP flood against iperf3 -u (the opt-in rule).
 */
class PayloadEntropyCapturesTest {
    /** Packets of a protocol with a payload, their mean entropy (bits/byte) and the share of entropy 0. */
    record Stats(long withPayload, double mean, double zeroShare) {}

    static Stats stats(Path capture, int protocol) throws IOException {
        ObservationBuilder b = new ObservationBuilder(false);
        long n = 0;
        long zero = 0;
        double sum = 0;
        try (CaptureReader r = CaptureReader.open(capture)) {
            while (true) {
                try {
                    if (!r.next()) {
                        break;
                    }
                } catch (PcapFormatException e) {
                    break;
                }
                if (r.linkType() != 1) {
                    continue;
                }
                PacketObservation o = b.observe(r.data(), r.capturedLength(), r.timestampNanos());
                if (o.protocol() != protocol || o.payloadEntropyBytes() == 0) {
                    continue;
                }
                n++;
                sum += o.payloadEntropy();
                if (o.payloadEntropyQ16() == 0) {
                    zero++;
                }
            }
        }
        return new Stats(n, n == 0 ? 0 : sum / n, n == 0 ? 0 : (double) zero / n);
    }

    @Test
    void floodReportsSayWhatThePacketsCarried() throws IOException {
        Detection udp = DetectorKindsCapturesTest.only(DetectorKindsCapturesTest.detect(
                DetectorKindsCapturesTest.detectCapture("hping3-udp-flood.pcap"), "flood"), "flood");
        assertThat(udp.reasons()).contains("payload: none in 14,829 packets");
        Detection syn = DetectorKindsCapturesTest.only(DetectorKindsCapturesTest.detect(
                TestData.capture("attack/cicddos2019-synflood.pcap"), "flood"), "flood");
        assertThat(syn.reasons()).contains("payload: none in 18,778 packets");
        Detection v6 = DetectorKindsCapturesTest.only(DetectorKindsCapturesTest.detect(
                TestData.capture("malformed/suricata-ipv6-exthdr-dos.pcap"), "flood"), "flood");
        assertThat(v6.reasons()).contains("payload in 39,812 of 39,812 packets: entropy 0.00 bits/byte on average (first 64 bytes),"
                + " 39,812 one byte repeated");
    }

    /**
     * The two captures made for this (testdata/README.md): hping3's UDP flood padded with 1,400 bytes
     * of 'X' and iperf3's one-way UDP stream of random bytes. By default flood reports both (its
     * documented limit); the opt-in rule maxPayloadEntropy clears iperf3 and keeps every flood of
     * the captures.
     */
    @Test
    void optInPayloadRuleTellsIperf3UdpFromAPaddedFlood() throws IOException {
        Path padded = DetectorKindsCapturesTest.detectCapture("hping3-udp-flood-data.pcap");
        Path iperf = DetectorKindsCapturesTest.detectCapture("iperf3-udp.pcap");
        Detection h = DetectorKindsCapturesTest.only(DetectorKindsCapturesTest.detect(padded, "flood"), "flood");
        assertThat(h.sources()).containsExactly("10.77.1.1");
        assertThat(h.reasons()).contains("8,000 UDP to port 9",
                "payload in 8,000 of 8,000 packets: entropy 0.00 bits/byte on average (first 64 bytes), 8,000 one byte repeated");
        Detection i = DetectorKindsCapturesTest.only(DetectorKindsCapturesTest.detect(iperf, "flood"), "flood");
        assertThat(i.reasons()).contains("8,000 UDP to port 5201",
                "payload in 8,000 of 8,000 packets: entropy 5.56 bits/byte on average (first 64 bytes), 0 one byte repeated");
        java.util.List<String> rule = java.util.List.of("flood.maxPayloadEntropy=4.5");
        assertThat(DetectorKindsCapturesTest.detect(iperf, "flood", rule)).isEmpty();
        assertThat(DetectorKindsCapturesTest.detect(padded, "flood", rule)).extracting(Detection::subject).containsExactly("10.77.0.1");
        for (Path flood : java.util.List.of(DetectorKindsCapturesTest.detectCapture("hping3-udp-flood.pcap"),
                DetectorKindsCapturesTest.detectCapture("hping3-icmp-flood.pcap"), TestData.capture("attack/cicddos2019-synflood.pcap"),
                TestData.capture("malformed/suricata-ipv6-exthdr-dos.pcap"))) {
            assertThat(DetectorKindsCapturesTest.detect(flood, "flood", rule)).as("%s", flood).hasSize(1);
        }
        Stats iperfStats = stats(iperf, 17);
        Stats paddedStats = stats(padded, 17);
        assertThat(iperfStats.mean()).isGreaterThan(5.5);
        assertThat(paddedStats.zeroShare()).isEqualTo(1.0);
    }

    @Test
    void entropyAloneDoesNotTellAttackFromBenignOnTheCaptures() throws IOException {
        // floods: no payload at all (hping3's defaults, SYNs); the ICMP echo flood's echoes are empty too
        assertThat(stats(DetectorKindsCapturesTest.detectCapture("hping3-udp-flood.pcap"), 17).withPayload()).isZero();
        assertThat(stats(DetectorKindsCapturesTest.detectCapture("hping3-icmp-flood.pcap"), 1).withPayload()).isZero();
        assertThat(stats(TestData.capture("attack/cicddos2019-synflood.pcap"), 6).withPayload()).isZero();
        // benign bulk data of one repeated byte: the FTP capture's transfer
        Stats ftp = stats(TestData.capture("benign/ndpi-ftp.pcap"), 6);
        assertThat(ftp.withPayload()).isEqualTo(770);
        assertThat(ftp.zeroShare()).isGreaterThan(0.9);
        // encrypted benign traffic near the 64-byte maximum of 6 bits
        assertThat(stats(TestData.capture("benign/ndpi-firefox.pcap"), 6).mean()).isGreaterThan(5.5);
        // amplification responses (BACnet) against the office LAN's own UDP: within half a bit
        Stats bacnet = stats(TestData.capture("attack/bacnet-amplification.pcapng"), 17);
        Stats lan = stats(TestData.capture("benign/lan-trace-2012.pcap"), 17);
        assertThat(bacnet.withPayload()).isEqualTo(9_462);
        assertThat(bacnet.mean()).isCloseTo(lan.mean(), within(0.5));
        System.out.printf("payload entropy: ftp %s; bacnet %s; lan udp %s%n", ftp, bacnet, lan);
    }
}
