package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every detector on its attack capture (the subject named in data/README.md or found with tshark,
 * the counts held against tshark in {@link DetectorTsharkOracleTest}) and every detector on the
 * benign captures, where all of them stay quiet.
 */
class DetectorCapturesTest {

    static List<Detection> detect(String capture, String detectors) throws IOException {
        return detect(capture, detectors, List.of());
    }

    static List<Detection> detect(String capture, String detectors, List<String> settings) throws IOException {
        DetectorSet set = new DetectorSet(Detectors.create(detectors, settings));
        CaptureDetection.Result r = CaptureDetection.run(TestData.capture(capture), set);
        assertThat(r.damage()).isNull();
        return set.detections();
    }

    static List<Detection> only(List<Detection> all, String detector) {
        return all.stream().filter(d -> d.detector().equals(detector)).toList();
    }

    @Test
    void portScanOfTenThousandPorts() throws IOException {
        List<Detection> d = detect("attack/portscan-1-10000.pcapng", "portscan");
        assertThat(d).hasSize(1);
        assertThat(d.getFirst().subject()).isEqualTo("192.168.1.7");
        assertThat(d.getFirst().reasons().getFirst()).startsWith("10,000 distinct destination ports on 1 host in 5.436 s");
        assertThat(d.getFirst().reasons()).contains("0 SYN-ACK replies (0.00%)");
    }

    @Test
    void nmapSynScan() throws IOException {
        List<Detection> d = detect("attack/ndpi-synscan.pcap", "portscan");
        assertThat(d).extracting(Detection::subject).containsExactly("172.16.0.8");
        assertThat(d.getFirst().reasons().getFirst()).startsWith("1,000 distinct destination ports on 1 host");
        assertThat(d.getFirst().reasons()).contains("1,994 probes (1.99 per host:port)", "8 SYN-ACK replies (0.40%)");
    }

    @Test
    void spoofedSynFlood() throws IOException {
        List<Detection> d = detect("attack/synflood-spoofed.pcap", "synflood");
        assertThat(d).extracting(Detection::subject).containsExactly("10.10.10.10");
        assertThat(d.getFirst().reasons().getFirst()).startsWith("37,039 SYNs in 4.234 s").endsWith("to port 25565");
        assertThat(d.getFirst().reasons()).contains("0 completed by ACK (0.00%)",
                "36,852 distinct sources (0.99 per SYN: spoofed sources)");
    }

    @Test
    void cicDdosSynFloodNamesTheVictim() throws IOException {
        List<Detection> d = detect("attack/cicddos2019-synflood.pcap", "synflood");
        assertThat(d).extracting(Detection::subject).containsExactly("192.168.50.4");
        assertThat(d.getFirst().reasons().getFirst()).startsWith("18,778 SYNs in 0.687 s");
        assertThat(d.getFirst().reasons()).contains("answered with 0 SYN-ACK, 7,538 RST", "1 source");
    }

    @Test
    void synAckReflectionNamesTheVictim() throws IOException {
        List<Detection> d = detect("attack/synack-reflection.pcap", "synflood");
        assertThat(d).extracting(Detection::subject).containsExactly("10.10.10.10");
        assertThat(d.getFirst().reasons()).containsExactly("SYN-ACK reflection: 6,651 SYN-ACKs for SYNs never sent, in 0.147 s",
                "from 6,035 reflectors");
    }

    @Test
    void bacnetAmplification() throws IOException {
        // one way (the default): the 2 datagrams from 47808 to the victim's 47808 are a peer's, not counted; the
        // evidence is what no host's own answers show
        List<Detection> d = detect("attack/bacnet-amplification.pcapng", "amplification");
        assertThat(d).extracting(Detection::subject).containsExactly("10.10.10.1");
        assertThat(d.getFirst().reasons().getFirst()).startsWith("6,735 BACnet (UDP 47808) responses, 956.5 kB in 0.025 s");
        assertThat(d.getFirst().reasons()).contains("from 3,559 reflectors", "no requests seen (one way)",
                "seen one way, more than a host's own answers: its port 30120 answered by 3,559 reflectors; 3,559 reflectors (50 or more)");
        // both directions seen (the capture holds both): no request at all is the evidence
        List<Detection> two = detect("attack/bacnet-amplification.pcapng", "amplification", List.of("amplification.twoWay=1"));
        assertThat(two.getFirst().reasons().getFirst()).startsWith("6,737 BACnet (UDP 47808) responses, 956.8 kB in 0.025 s");
        assertThat(two.getFirst().reasons()).containsExactly(two.getFirst().reasons().getFirst(), "from 3,559 reflectors",
                "no requests sent by the victim (spoofed)");
    }

    @Test
    void iodineDnsTunnel() throws IOException {
        List<Detection> d = detect("attack/dns-tunnel-iodine.pcap", "dnstunnel");
        assertThat(d).extracting(Detection::subject).containsExactly("10.0.2.30");
        assertThat(d.getFirst().reasons().getFirst()).startsWith("222 distinct names under pirate.sea in 24.487 s (222 queries");
        assertThat(d.getFirst().reasons().get(2)).isEqualTo("222 NULL/TXT/private-type queries (100.00%)");
    }

    @Test
    void volumetricFloodsNameTheirVictims() throws IOException {
        assertThat(detect("attack/synflood-spoofed.pcap", "volumetric")).extracting(Detection::subject).containsExactly("10.10.10.10");
        assertThat(detect("attack/bacnet-amplification.pcapng", "volumetric")).extracting(Detection::subject).containsExactly("10.10.10.1");
        // the victim, and the victim's RST answers towards the attacker
        assertThat(detect("attack/cicddos2019-synflood.pcap", "volumetric")).extracting(Detection::subject)
                .containsExactly("192.168.50.4", "172.16.0.5");
    }

    @Test
    void benignCapturesRaiseNothing() throws IOException {
        for (String benign : List.of("benign/lan-trace-2012.pcap", "benign/ndpi-firefox.pcap", "benign/ndpi-ftp.pcap",
                "benign/ndpi-teams.pcap", "benign/ndpi-tor.pcap")) {
            assertThat(detect(benign, "all")).as("false positives on %s", benign).isEmpty();
        }
    }

    @Test
    void malformedAndTunnelledCaptures() throws IOException {
        // broken headers, garbage fragments, truncated records: read to the end (or the damage) without an exception;
        // the IPv6 extension-header DoS is the only one that fires, as a volumetric flood on its IPv6 victim and as a
        // flood from its one source (the flood detector names it)
        for (String capture : List.of("malformed/ndpi-6in4tunnel.pcap", "malformed/ndpi-badpackets.pcap",
                "malformed/ndpi-ip_fragmented_garbage.pcap", "malformed/ndpi-malformed_icmp.pcap", "malformed/tcpdump-ipv6-srh-truncated.pcap",
                "tunnel/ndpi-vxlan.pcap", "tunnel/tcpdump-vxlan.pcap", "tunnel/zeek-vlan-qinqinq.pcap")) {
            assertThat(detect(capture, "all")).as(capture).isEmpty();
        }
        DetectorSet set = new DetectorSet(Detectors.create("all"));
        CaptureDetection.Result r = CaptureDetection.run(TestData.capture("malformed/ndpi-fuzz-2021-10-13.pcap"), set);
        assertThat(r.damage()).isNotNull();
        assertThat(r.observed()).isEqualTo(1);
        List<Detection> dos = detect("malformed/suricata-ipv6-exthdr-dos.pcap", "all");
        assertThat(dos).extracting(Detection::detector, Detection::subject).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("volumetric", "2001:db8:1::1"), org.assertj.core.groups.Tuple.tuple("flood", "2001:db8:1::1"));
        assertThat(only(dos, "volumetric").getFirst().count()).isEqualTo(3);
        assertThat(only(dos, "flood").getFirst().sources()).containsExactly("2001:db8:1::2");
    }

    @Test
    void anomalyAfterABenignHour() throws IOException {
        // an hour of office LAN teaches the baseline, then the CIC-DDoS SYN flood starts 1 s after it
        DetectorSet set = new DetectorSet(List.of(new AnomalyDetector(), new VolumetricDetector()));
        Path lan = TestData.capture("benign/lan-trace-2012.pcap");
        Path flood = TestData.capture("attack/cicddos2019-synflood.pcap");
        CaptureDetection.run(List.of(lan, flood), 1_000_000_000L, set);
        List<Detection> anomalies = only(set.detections(), "anomaly");
        assertThat(anomalies).as("the flood, and nothing during the LAN hour: %s", anomalies).hasSize(1);
        Detection a = anomalies.getFirst();
        assertThat(a.subject()).isEqualTo("192.168.50.4");
        // the flood straddles two 1 s windows (15,810 + 2,968 = the capture's 18,778 SYNs), merged into one detection
        assertThat(a.count()).isEqualTo(2);
        assertThat(a.reasons().getFirst()).startsWith("TCP SYNs 15,810 in 1 s (mean 1.7, z = ");
        assertThat(a.reasons().getLast()).startsWith("baseline over ");
        assertThat(only(set.detections(), "volumetric")).extracting(Detection::subject).containsExactly("192.168.50.4", "172.16.0.5");
    }
}
