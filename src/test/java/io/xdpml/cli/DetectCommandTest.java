package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.testing.TestData;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code xdpml detect}: lines, JSON lines, the summary, and argument errors. */
class DetectCommandTest {

    @Test
    void printsOneLinePerDetectionAndASummary() {
        String file = TestData.capture("attack/bacnet-amplification.pcapng").toString();
        CliHarness.Result r = CliHarness.run("detect", file);
        assertThat(r.code()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(4);
        // the reflection from the capture's second, unlisted port (UDP 37810) starts at the same microsecond as the
        // volumetric bucket; lines are in time order, then by detector name
        assertThat(lines.get(0)).contains("reflection", "10.10.10.1", "2,377 unsolicited responses from UDP 37810");
        assertThat(lines.get(1)).contains("volumetric", "10.10.10.1");
        assertThat(lines.get(2)).contains("amplification", "10.10.10.1", "6,735 BACnet (UDP 47808) responses", "from 3,559 reflectors",
                "no requests seen (one way)");
        assertThat(lines.get(3)).isEqualTo(file + ": 9,617 packets (9,617 observed, 0 runts); 3 detections: portscan 0, synflood 0, "
                + "amplification 1, dnstunnel 0, volumetric 1, anomaly 0, udpscan 0, sweep 0, slowscan 0, reflection 1, flood 0, connflood 0, slowconn 0, reqflood 0, bruteforce 0");
    }

    @Test
    void jsonLinesWithChosenDetectors() throws Exception {
        String file = TestData.capture("attack/dns-tunnel-iodine.pcap").toString();
        CliHarness.Result r = CliHarness.run("detect", file, "--detectors", "dnstunnel,portscan", "--json");
        assertThat(r.code()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(2);
        ObjectMapper m = new ObjectMapper();
        JsonNode d = m.readTree(lines.get(0));
        assertThat(d.get("detector").asText()).isEqualTo("dnstunnel");
        assertThat(d.get("subject").asText()).isEqualTo("10.0.2.30");
        assertThat(d.get("timeNanos").asLong()).isEqualTo(1_282_356_640_051_082_000L);
        assertThat(d.get("count").asLong()).isEqualTo(1);
        assertThat(d.get("reasons").get(0).asText()).startsWith("222 distinct names under pirate.sea");
        JsonNode s = m.readTree(lines.get(1)).get("summary");
        assertThat(s.get("packets").asLong()).isEqualTo(438);
        assertThat(s.get("detections").asLong()).isEqualTo(1);
        assertThat(s.get("by_detector").get("dnstunnel").asLong()).isEqualTo(1);
        assertThat(s.get("by_detector").get("portscan").asLong()).isZero();
        assertThat(s.get("by_detector").has("synflood")).as("only the chosen detectors").isFalse();
    }

    @Test
    void unknownDetectorIsAnError() {
        CliHarness.Result r = CliHarness.run("detect", TestData.capture("benign/ndpi-ftp.pcap").toString(), "--detectors", "portscan,nosuch");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown detector 'nosuch'", "known: portscan, synflood, amplification, dnstunnel, volumetric, anomaly");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void missingFileIsAnError() {
        CliHarness.Result r = CliHarness.run("detect", "/nonexistent/x.pcap");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no such file: /nonexistent/x.pcap");
    }

    @Test
    void settingsOverrideThresholds() {
        String file = TestData.capture("attack/portscan-1-10000.pcapng").toString();
        assertThat(CliHarness.run("detect", file, "--detectors", "portscan").out()).contains("portscan 1");
        CliHarness.Result r = CliHarness.run("detect", file, "--detectors", "portscan", "--set", "portscan.minDistinctPorts=10001");
        assertThat(r.code()).isZero();
        assertThat(r.out()).as("10,000 ports are below 10,001").contains("0 detections: portscan 0");
        r = CliHarness.run("detect", file, "--detectors", "portscan,synflood", "--set", "portscan.windowNanos=1000000000", "--set",
                "synflood.minSyns=20000");
        // 1 s windows: the 5.4 s scan is reported by 5 of them (the last has under 100 ports), merged into one detection
        // by the 10 s de-duplication; 10,003 SYNs stay under 20,000
        assertThat(r.out()).contains("1 detections: portscan 1, synflood 0");
        assertThat(r.out().lines().findFirst().orElseThrow()).contains("portscan", "192.168.1.7", " x5 ", "1.00 per host:port");
    }

    @Test
    void theAddedDetectorsByNameAndTheirSettings() {
        String dir = TestData.dataDir().resolve("detect").toString();
        CliHarness.Result r = CliHarness.run("detect", dir + "/nmap-udp-scan.pcap", "--detectors", "udpscan,sweep");
        assertThat(r.code()).isZero();
        assertThat(r.out().lines().findFirst().orElseThrow()).contains("udpscan", "10.77.1.1", "500 distinct UDP destination ports on 1 host");
        assertThat(r.out()).contains("1 detections: udpscan 1, sweep 0");
        // 501 ports are more than the scan reached
        assertThat(CliHarness.run("detect", dir + "/nmap-udp-scan.pcap", "--detectors", "udpscan", "--set", "udpscan.minDistinctPorts=501")
                .out()).contains("0 detections: udpscan 0");
        // a 2-epoch horizon of 10 s cannot hold the slow scan's 100 targets
        assertThat(CliHarness.run("detect", dir + "/nmap-slow-syn-scan.pcap", "--detectors", "slowscan,flood,reflection").out())
                .contains("1 detections: slowscan 1, flood 0, reflection 0");
        assertThat(CliHarness.run("detect", dir + "/nmap-slow-syn-scan.pcap", "--detectors", "slowscan", "--set", "slowscan.epochs=2").out())
                .contains("0 detections: slowscan 0");
        assertThat(CliHarness.run("detect", dir + "/nmap-slow-syn-scan.pcap", "--detectors", "slowscan", "--set", "slowscan.epochs=1").err())
                .contains("bad slow scan config");
    }

    /** As the agent sampling 1 in N sees a capture: 1 in N packets, each counting N (docs/agent.md, "detectors"). */
    @Test
    void aSampleCountsAsTheTrafficItStandsFor() {
        String file = TestData.dataDir().resolve("detect/hping3-icmp-flood.pcap").toString();
        // 101, odd: the capture alternates request and reply, which every 100th packet would alias
        CliHarness.Result r = CliHarness.run("detect", file, "--detectors", "flood", "--sample", "101");
        assertThat(r.code()).isZero();
        assertThat(r.out()).containsPattern("flood +10\\.77\\.0\\.1 .*estimated from 7[0-9] seen").contains("10.77.1.1")
                .contains("15,000 packets (149 observed, 1 in 101, 0 runts); 1 detections: flood 1");
        // every packet: the count itself, no estimate
        assertThat(CliHarness.run("detect", file, "--detectors", "flood").out()).contains("7,500 packets, ").doesNotContain("estimated");
        CliHarness.Result zero = CliHarness.run("detect", file, "--sample", "0");
        assertThat(zero.code()).isEqualTo(2);
        assertThat(zero.err()).contains("--sample 0: must be at least 1");
    }

    @Test
    void badSettingsAreErrors() {
        String file = TestData.capture("benign/ndpi-ftp.pcap").toString();
        CliHarness.Result r = CliHarness.run("detect", file, "--set", "portscan.nosuch=1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown parameter 'nosuch' of portscan (parameters: windowNanos, minDistinctPorts");
        assertThat(CliHarness.run("detect", file, "--set", "portscan.minDistinctPorts=many").err())
                .contains("portscan.minDistinctPorts: 'many' is not an integer");
        // the value refused, not the record's fields before they were set (until 2026-12-07 it printed
        // "Config[windowNanos=0, minDistinctPorts=0, ...]", every field 0)
        assertThat(CliHarness.run("detect", file, "--set", "portscan.minDistinctPorts=0").err()).contains("bad port scan config")
                .contains("(set: minDistinctPorts=0; the others at their defaults)").doesNotContain("windowNanos=0");
        assertThat(CliHarness.run("detect", file, "--set", "portscan.maxReplyRatio=NaN").err())
                .contains("portscan.maxReplyRatio: 'NaN' is not a finite number");
        assertThat(CliHarness.run("detect", file, "--detectors", "synflood", "--set", "portscan.minDistinctPorts=5").err())
                .contains("portscan is not among the chosen detectors");
        assertThat(CliHarness.run("detect", file, "--set", "minDistinctPorts").err()).contains("is not detector.parameter=value");
        assertThat(CliHarness.run("detect", file, "--set", "amplification.services=1").err()).contains("amplification.services cannot be set here");
    }
}
