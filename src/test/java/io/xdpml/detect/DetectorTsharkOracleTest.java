package io.xdpml.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.TestData;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The numbers in the detections, counted again by tshark (an independent decoder) on the same captures. */
class DetectorTsharkOracleTest {

    static List<String> tshark(String capture, String filter, String... fields) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("-r", TestData.capture(capture).toString(), "-Y", filter, "-T", "fields"));
        for (String f : fields) {
            args.add("-e");
            args.add(f);
        }
        return TsharkOracle.run(args.toArray(String[]::new));
    }

    static String firstReason(String capture, String detector) throws Exception {
        List<Detection> d = DetectorCapturesTest.detect(capture, detector);
        assertThat(d).hasSize(1);
        return d.getFirst().reasons().getFirst();
    }

    static String count(long n) {
        return String.format(java.util.Locale.ROOT, "%,d", n);
    }

    @Test
    void portScanDistinctPorts() throws Exception {
        TsharkOracle.require();
        List<String> ports = tshark("attack/portscan-1-10000.pcapng",
                "ip.src == 192.168.1.7 && tcp.flags.ack == 0 && tcp.flags.reset == 0", "tcp.dstport");
        assertThat(firstReason("attack/portscan-1-10000.pcapng", PortScanDetector.NAME))
                .startsWith(count(new HashSet<>(ports).size()) + " distinct destination ports on 1 host");
    }

    @Test
    void synFloodSynsInTheFirstWindow() throws Exception {
        TsharkOracle.require();
        // the window opens at the first packet (10:30:21.099510) and lasts 10 s
        List<String> syns = tshark("attack/synflood-spoofed.pcap",
                "ip.dst == 10.10.10.10 && tcp.flags.syn == 1 && tcp.flags.ack == 0 && frame.time_relative < 10", "ip.src");
        String reason = firstReason("attack/synflood-spoofed.pcap", SynFloodDetector.NAME);
        assertThat(reason).startsWith(count(syns.size()) + " SYNs in ");
        List<String> reasons = DetectorCapturesTest.detect("attack/synflood-spoofed.pcap", SynFloodDetector.NAME).getFirst().reasons();
        assertThat(reasons.getLast()).startsWith(count(new HashSet<>(syns).size()) + " distinct sources");
    }

    @Test
    void reflectionSynAcks() throws Exception {
        TsharkOracle.require();
        List<String> synAcks = tshark("attack/synack-reflection.pcap", "ip.dst == 10.10.10.10 && tcp.flags.syn == 1 && tcp.flags.ack == 1 && !icmp",
                "ip.src");
        List<String> reasons = DetectorCapturesTest.detect("attack/synack-reflection.pcap", SynFloodDetector.NAME).getFirst().reasons();
        assertThat(reasons.getFirst()).startsWith("SYN-ACK reflection: " + count(synAcks.size()) + " SYN-ACKs");
        assertThat(reasons.get(1)).isEqualTo("from " + count(new HashSet<>(synAcks).size()) + " reflectors");
    }

    @Test
    void bacnetResponsesAndReflectors() throws Exception {
        TsharkOracle.require();
        // one way (the default), datagrams from 47808 to 47808 are a peer's, not responses
        List<String> responses = tshark("attack/bacnet-amplification.pcapng",
                "ip.dst == 10.10.10.1 && udp.srcport == 47808 && udp.dstport != 47808 && !icmp", "ip.src");
        List<String> reasons = DetectorCapturesTest.detect("attack/bacnet-amplification.pcapng", AmplificationDetector.NAME).getFirst().reasons();
        assertThat(reasons.getFirst()).startsWith(count(responses.size()) + " BACnet (UDP 47808) responses");
        assertThat(reasons.get(1)).isEqualTo("from " + count(new HashSet<>(responses).size()) + " reflectors");
    }

    @Test
    void dnsTunnelDistinctNames() throws Exception {
        TsharkOracle.require();
        List<String> names = tshark("attack/dns-tunnel-iodine.pcap", "ip.src == 10.0.2.30 && udp.dstport == 53 && dns.flags.response == 0",
                "dns.qry.name");
        assertThat(firstReason("attack/dns-tunnel-iodine.pcap", DnsTunnelDetector.NAME))
                .startsWith(count(new HashSet<>(names).size()) + " distinct names under pirate.sea")
                .contains("(" + count(names.size()) + " queries");
    }

    @Test
    void cicDdosSyns() throws Exception {
        TsharkOracle.require();
        List<String> syns = tshark("attack/cicddos2019-synflood.pcap", "ip.dst == 192.168.50.4 && tcp.flags.syn == 1 && tcp.flags.ack == 0",
                "tcp.dstport");
        assertThat(firstReason("attack/cicddos2019-synflood.pcap", SynFloodDetector.NAME)).startsWith(count(syns.size()) + " SYNs in ")
                .endsWith("to " + count(new HashSet<>(syns).size()) + " ports");
    }
}
