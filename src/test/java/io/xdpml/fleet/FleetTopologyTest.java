package io.xdpml.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.detect.Detection;
import io.xdpml.detect.DetectorSet;
import io.xdpml.detect.Detectors;
import io.xdpml.detect.CaptureDetection;
import io.xdpml.gen.PcapSink;
import io.xdpml.gen.ScenarioSender;
import io.xdpml.gen.ScenarioSettings;
import io.xdpml.gen.Scenarios;
import io.xdpml.testing.TestData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet detector's topology driven by Kafka Streams' own {@link TopologyTestDriver} with
 * recorded agent output: EVE flow events of the shared captures' flows (written by EveWriter),
 * split over several hosts, and EVE alerts of real detections.
 */
class FleetTopologyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> THREE = List.of("hostA", "hostB", "hostC");

    @TempDir
    Path tmp;

    /** A topology under the test driver with its topics. */
    final class Rig implements AutoCloseable {
        final FleetCounters counters = new FleetCounters();
        final List<Finding> findings = new ArrayList<>();
        final TopologyTestDriver driver;
        final TestInputTopic<String, String> flows;
        final TestInputTopic<String, String> alerts;
        final TestInputTopic<byte[], byte[]> rawFlows;
        final TestOutputTopic<String, String> alertsOut;
        final TestOutputTopic<String, String> blocksOut;

        Rig(FleetConfig config, boolean blocks) {
            FleetTopology.Topics t = FleetTopology.Topics.defaults();
            Properties p = FleetApp.properties("test:9092", "fleet-test", tmp.resolve("state").toString(), Map.of());
            driver = new TopologyTestDriver(new FleetTopology(config, t, blocks, counters, findings::add).build(), p);
            flows = driver.createInputTopic(t.flows(), new StringSerializer(), new StringSerializer());
            alerts = driver.createInputTopic(t.alerts(), new StringSerializer(), new StringSerializer());
            rawFlows = driver.createInputTopic(t.flows(), new ByteArraySerializer(), new ByteArraySerializer());
            alertsOut = driver.createOutputTopic(t.alertsOut(), new StringDeserializer(), new StringDeserializer());
            blocksOut = driver.createOutputTopic(t.blocks(), new StringDeserializer(), new StringDeserializer());
        }

        void pipe(List<AgentRecordings.Line> lines) {
            for (AgentRecordings.Line l : lines) {
                flows.pipeInput(l.key(), l.value(), l.timeMs());
            }
        }

        void alert(String value, long timeMs) {
            alerts.pipeInput(null, value, timeMs);
        }

        List<Finding> of(String detector) {
            return findings.stream().filter(f -> f.detector().equals(detector)).toList();
        }

        @Override
        public void close() {
            findings.forEach(f -> System.out.println("finding: " + f.toLine()));
            System.out.println("counters: " + counters.summary());
            driver.close();
        }
    }

    // ----------------------------------------------------------------------------- distributed scan

    @Test
    void portscanCaptureSplitOverThreeHostsIsOneScanOfAllThree() throws Exception {
        AgentRecordings.Split split = AgentRecordings.roundRobin(TestData.capture("attack/portscan-1-10000.pcapng"), THREE);
        try (Rig rig = new Rig(FleetConfig.defaults(), true)) {
            rig.pipe(split.lines());
            assertThat(rig.counters.flows.get()).isEqualTo(split.flows().size());
            assertThat(rig.counters.malformedFlows.get()).isZero();
            List<Finding> scans = rig.of("fleet-scan");
            assertThat(scans).hasSize(1);
            Finding f = scans.getFirst();
            assertThat(f.subject()).isEqualTo("192.168.1.7");
            assertThat(f.hosts().keySet()).containsExactly("hostA", "hostB", "hostC");
            // made by the probe that crossed 100 targets: each host had about a third of them then
            assertThat(f.hosts().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(100);
            assertThat(f.hosts().values()).allSatisfy(n -> assertThat(n).isBetween(33L, 34L));
            assertThat(rig.findings).allSatisfy(x -> assertThat(x.subject()).isEqualTo("192.168.1.7"));

            // published: one EVE alert, one fleet block
            List<TestRecord<String, String>> out = rig.alertsOut.readRecordsToList();
            assertThat(out).hasSize(rig.findings.size());
            JsonNode a = JSON.readTree(out.stream().filter(r -> r.value().contains("fleet-scan")).findFirst().orElseThrow().value());
            assertThat(a.get("host").asText()).isEqualTo("fleet");
            assertThat(a.get("event_type").asText()).isEqualTo("alert");
            assertThat(a.get("src_ip").asText()).isEqualTo("192.168.1.7");
            assertThat(a.get("proto").asText()).isEqualTo("TCP");
            assertThat(a.at("/alert/signature_id").asLong()).isEqualTo(8_800_101);
            assertThat(a.at("/alert/action").asText()).isEqualTo("blocked");
            assertThat(a.at("/xdpml/detector").asText()).isEqualTo("fleet-scan");
            assertThat(a.at("/xdpml/hosts").size()).isEqualTo(3);
            assertThat(a.get("timestamp").asText()).startsWith("2020-06-19T07:29:3");
            List<KeyValue<String, String>> blocks = rig.blocksOut.readKeyValuesToList();
            assertThat(blocks).hasSize(rig.findings.size());
            KeyValue<String, String> b = blocks.stream().filter(kv -> kv.value.contains("fleet-scan")).findFirst().orElseThrow();
            assertThat(b.key).isEqualTo("prefix:192.168.1.7/32");
            FleetBlock block = FleetBlock.parse(b.key, b.value);
            assertThat(block.host()).isEqualTo("fleet");
            assertThat(block.untilMs() - block.createdMs()).isEqualTo(600_000);
            assertThat(block.createdMs()).isEqualTo(f.timeMs());
        }
    }

    @Test
    void synscanOverThirtyHostsEachBelowItsOwnDetectorIsFoundByTheFleet() throws Exception {
        // 1,000 ports probed twice each (about 2,000 single-SYN flows) in 5 s: a 30th of them per host
        Path capture = TestData.capture("attack/ndpi-synscan.pcap");
        List<String> hosts = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            hosts.add("host" + i);
        }
        AgentRecordings.Split split = AgentRecordings.roundRobin(capture, hosts);
        // the whole capture on one host: its port scan detector sees the scan
        DetectorSet whole = new DetectorSet(Detectors.create("portscan"));
        CaptureDetection.run(capture, whole);
        assertThat(whole.detections()).extracting(Detection::subject).contains("172.16.0.8");
        // each host's share alone: its port scan detector sees nothing
        List<List<Detection>> local = AgentRecordings.localDetections(capture, split, "portscan");
        assertThat(local).allSatisfy(l -> assertThat(l).isEmpty());

        try (Rig rig = new Rig(FleetConfig.defaults(), false)) {
            rig.pipe(split.lines());
            List<Finding> scans = rig.of("fleet-scan");
            assertThat(scans).isNotEmpty();
            assertThat(scans).allSatisfy(f -> assertThat(f.subject()).isEqualTo("172.16.0.8"));
            assertThat(scans.getFirst().hosts()).hasSizeGreaterThanOrEqualTo(25);
            assertThat(rig.blocksOut.isEmpty()).isTrue(); // blocks not configured
            assertThat(rig.alertsOut.readValuesToList()).allSatisfy(v -> assertThat(v).contains("\"action\":\"allowed\""));
        }
    }

    // -------------------------------------------------------------------------------- spread flood

    @Test
    void synFloodSpreadOverTwelveVictimsOnThreeHostsIsFoundForItsSlash24() throws Exception {
        // xdpml gen's SYN flood (six attackers in 10.66.0.0/29) at 90 SYN/s to each of 4 victims per host,
        // 12 s: below a single host's synflood (100 SYN/s per destination) and volumetric detectors
        List<AgentRecordings.Line> lines = new ArrayList<>();
        int seed = 1;
        for (int h = 0; h < 3; h++) {
            for (int v = 1; v <= 4; v++) {
                Path pcap = tmp.resolve("flood-" + h + "-" + v + ".pcap");
                ScenarioSettings s = ScenarioSettings.defaults().withVictim("10.20." + h + "." + v).withSeed(seed++);
                try (PcapSink sink = PcapSink.open(pcap)) {
                    new ScenarioSender(sink, PcapSink.DEFAULT_START_NANOS).run(Scenarios.create("synflood", s), 90, 90 * 12, () -> false);
                }
                // the generator's SYNs carry no options: since 2026-12-07 a host alone sees such a stream of 90 a second by
                // synflood's slow bare rule; off here, so that the flood stands for one a host cannot see (SYNs with options)
                DetectorSet local = new DetectorSet(Detectors.create("all", List.of("synflood.slowBareSyns=0")));
                CaptureDetection.run(pcap, local);
                assertThat(local.detections()).as("victim 10.20.%d.%d alone", h, v).isEmpty();
                DetectorSet bare = new DetectorSet(Detectors.create("synflood"));
                CaptureDetection.run(pcap, bare);
                assertThat(bare.detections()).as("victim 10.20.%d.%d alone, the slow bare rule on", h, v).isNotEmpty()
                        .allSatisfy(d -> assertThat(d.target().bareSyns()).isTrue());
                lines.addAll(AgentRecordings.onHost(pcap, THREE.get(h)));
            }
        }
        lines.sort(java.util.Comparator.comparingLong(AgentRecordings.Line::timeMs));
        try (Rig rig = new Rig(FleetConfig.defaults(), true)) {
            rig.pipe(lines);
            List<Finding> floods = rig.of("fleet-flood");
            assertThat(floods).hasSize(1);
            Finding f = floods.getFirst();
            assertThat(f.subject()).isEqualTo("10.66.0.0/24");
            assertThat(f.prefix()).isTrue();
            assertThat(f.sources()).hasSize(6).allSatisfy(s -> assertThat(s).startsWith("10.66.0."));
            assertThat(f.hosts().keySet()).containsExactlyElementsOf(THREE);
            assertThat(f.score()).isGreaterThanOrEqualTo(1.0);
            // each attacker alone sends ~180 SYN/s: no finding for any single address
            assertThat(floods).noneMatch(x -> !x.prefix());
            assertThat(rig.blocksOut.readKeyValuesToList()).extracting(kv -> kv.key).contains("prefix:10.66.0.0/24");
            JsonNode a = JSON.readTree(rig.alertsOut.readValuesToList().stream().filter(v -> v.contains("fleet-flood")).findFirst().orElseThrow());
            assertThat(a.has("src_ip")).isFalse();
            assertThat(a.at("/xdpml/subject").asText()).isEqualTo("10.66.0.0/24");
            assertThat(a.at("/alert/signature_id").asLong()).isEqualTo(8_800_102);
            // read back by its own source of xdpml.alerts: the fleet's own, not malformed
            assertThat(rig.counters.ownAlerts.get()).isEqualTo(1);
            assertThat(rig.counters.malformedAlerts.get()).isZero();
        }
    }

    // ---------------------------------------------------------------------------------- benign

    @Test
    void benignLanTraceSplitOverThreeHostsRaisesNothing() {
        AgentRecordings.Split split = AgentRecordings.roundRobin(TestData.capture("benign/lan-trace-2012.pcap"), THREE);
        try (Rig rig = new Rig(FleetConfig.defaults(), true)) {
            rig.pipe(split.lines());
            assertThat(rig.counters.flows.get()).isEqualTo(split.flows().size());
            assertThat(rig.findings).isEmpty();
            assertThat(rig.alertsOut.isEmpty()).isTrue();
            assertThat(rig.blocksOut.isEmpty()).isTrue();
        }
    }

    // --------------------------------------------------------------------- flagged on several hosts

    private static List<String> portscanAlerts(String host) throws Exception {
        DetectorSet set = new DetectorSet(Detectors.create("portscan"));
        CaptureDetection.run(TestData.capture("attack/portscan-1-10000.pcapng"), set);
        assertThat(set.detections()).hasSize(1);
        return AgentRecordings.alerts(set.detections().getFirst(), host);
    }

    @Test
    void oneSourceFlaggedOnTwoHostsIsFoundOnceAndNotOnOneHost() throws Exception {
        String onA = portscanAlerts("hostA").getFirst();
        String onB = portscanAlerts("hostB").getFirst();
        long t = FleetEvents.time(JSON.readTree(onA).get("timestamp"));
        try (Rig rig = new Rig(FleetConfig.defaults(), true)) {
            rig.alert(onA, t);
            rig.alert(at(onA, t + 1_000), t + 1_000); // the same host again: still one host
            assertThat(rig.findings).isEmpty();
            rig.alert(at(onB, t + 2_000), t + 2_000);
            assertThat(rig.findings).hasSize(1);
            Finding f = rig.findings.getFirst();
            assertThat(f.detector()).isEqualTo("fleet-flagged");
            assertThat(f.subject()).isEqualTo("192.168.1.7");
            assertThat(f.hosts()).containsExactly(Map.entry("hostA", 2L), Map.entry("hostB", 1L));
            assertThat(f.reasons().getFirst()).isEqualTo("flagged on 2 hosts in 2.000 s: hostA (portscan x2), hostB (portscan)");
            assertThat(f.timeMs()).isEqualTo(t + 2_000);
            rig.alert(at(onB, t + 3_000), t + 3_000); // once per source and window
            assertThat(rig.findings).hasSize(1);
            // the fleet's own alert, read back from the topic it writes to, is ignored
            String own = rig.alertsOut.readValuesToList().getFirst();
            assertThat(JSON.readTree(own).at("/alert/signature_id").asLong()).isEqualTo(8_800_103);
            rig.alert(at(own, t + 4_000), t + 4_000);
            // twice: the test driver, like a broker, hands what the topology writes to xdpml.alerts back to its
            // source of xdpml.alerts; and once piped by hand
            assertThat(rig.counters.ownAlerts.get()).isEqualTo(2);
            assertThat(rig.counters.alerts.get()).isEqualTo(4);
            assertThat(rig.findings).hasSize(1);
        }
    }

    @Test
    void windowsCloseAndARecordAfterTheGraceIsDropped() throws Exception {
        FleetConfig c = FleetConfig.defaults(); // 60 s windows, 30 s grace
        String onA = portscanAlerts("hostA").getFirst();
        String onB = portscanAlerts("hostB").getFirst();
        String onC = portscanAlerts("hostC").getFirst().replace("192.168.1.7", "192.0.2.99");
        long w0 = 1_500_000_000_000L; // a window start (a multiple of 60 s), in the past: a time ahead of the clock is refused
        try (Rig rig = new Rig(c, false)) {
            // A at the end of one window, B at the start of the next: two windows of one host each
            rig.alert(at(onA, w0 + 59_000), w0 + 59_000);
            rig.alert(at(onB, w0 + 61_000), w0 + 61_000);
            assertThat(rig.findings).isEmpty();
            // B inside the first window, arriving late: event time has reached w0+61 s, and the window
            // [w0, w0+60) takes late records until w0+90 s (its end + the 30 s grace): it counts, A and B make a finding
            rig.alert(at(onB, w0 + 58_000), w0 + 58_000);
            assertThat(rig.findings).hasSize(1);
            assertThat(rig.findings.getFirst().windowStartMs()).isEqualTo(w0);

            // a later window: A, then stream time moves past that window's end + grace (another source, on C)
            long w1 = w0 + 600_000;
            rig.alert(at(onA, w1 + 10_000), w1 + 10_000);
            rig.alert(at(onC, w1 + 60_000 + 30_000 + 1), w1 + 90_001);
            // B in w1 arrives now: too late, dropped by the window; no finding
            rig.alert(at(onB, w1 + 20_000), w1 + 20_000);
            assertThat(rig.findings).hasSize(1);
            assertThat(rig.counters.alerts.get()).isEqualTo(6); // read, but the late one never counted in a window
            // the closed windows are gone from the store once past their retention (window + grace)
            var store = rig.driver.getWindowStore(FleetTopology.FLAGGED_TALLY);
            try (var it = store.fetch("192.168.1.7", java.time.Instant.ofEpochMilli(w0), java.time.Instant.ofEpochMilli(w1 + 60_000))) {
                List<Long> starts = new ArrayList<>();
                it.forEachRemaining(kv -> starts.add(kv.key));
                assertThat(starts).containsExactly(w1); // w0's windows expired; w1 holds A only
            }
        }
    }

    /** The alert line with its timestamp set to {@code ms}. */
    private static String at(String alert, long ms) throws Exception {
        var o = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(alert);
        o.put("timestamp", io.xdpml.output.EveWriter.time(ms * 1_000_000L));
        return o.toString();
    }

    // ---------------------------------------------------------------------------- malformed input

    @Test
    void malformedRecordsAreSkippedAndCountedAndTheTopologyGoesOn() throws Exception {
        AgentRecordings.Split split = AgentRecordings.roundRobin(TestData.capture("attack/portscan-1-10000.pcapng"), THREE);
        List<AgentRecordings.Line> lines = split.lines();
        try (Rig rig = new Rig(FleetConfig.defaults(), false)) {
            String good = lines.getFirst().value();
            List<String> bad = List.of("not json", "[1,2]", "{}", "null", "{\"event_type\":\"alert\"}",
                    good.replace("\"event_type\":\"flow\"", "\"event_type\":\"dns\""),
                    good.replace("\"src_ip\":\"192.168.1.7\"", "\"src_ip\":\"evil.example\""),
                    good.replace("\"pkts_toserver\":1", "\"pkts_toserver\":-1"),
                    good.replace("\"timestamp\"", "\"ts\"").replaceAll("\"(start|end)\":\"[^\"]*\",?", ""),
                    good.replace("\"host\":\"hostA\"", "\"host\":7"));
            long t = lines.getFirst().timeMs();
            for (String b : bad) {
                rig.flows.pipeInput("k", b, t);
            }
            rig.flows.pipeInput("k", null, t); // a tombstone
            rig.rawFlows.pipeInput("k".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1}, t);
            // a flow without a host field: the header names the host; without either, the key does
            AgentRecordings.Line noHost = AgentRecordings.line(split.flows().getFirst(), "hostA", false);
            rig.flows.pipeInput(new TestRecord<>(noHost.key(), noHost.value(),
                    new RecordHeaders().add("host", "hostH".getBytes(StandardCharsets.UTF_8)), t));
            // no field, no header, and the key the agents use (the flow_id here; a community_id): no host, skipped
            rig.flows.pipeInput(noHost.key(), noHost.value(), t);
            rig.flows.pipeInput("1:C9ufRZCLp/ZBO3IBZ+9sSC5//uQ=", noHost.value(), t);
            // alerts: bad ones
            for (String b : List.of("{", "{\"event_type\":\"alert\",\"host\":\"h\",\"timestamp\":\"2020-06-19T07:29:34.893387+0000\"}",
                    "{\"event_type\":\"flow\"}")) {
                rig.alert(b, t);
            }
            assertThat(rig.counters.malformedAlerts.get()).isEqualTo(3);
            // a valid alert naming no source (an amplification's): not malformed, nothing to count per source
            rig.alert("{\"timestamp\":\"2020-06-19T07:29:34.893387+0000\",\"host\":\"h\",\"event_type\":\"alert\",\"dest_ip\":\"10.10.10.1\","
                    + "\"proto\":\"UDP\",\"alert\":{\"signature_id\":8800004},\"xdpml\":{\"detector\":\"amplification\"}}", t);
            assertThat(rig.counters.alertsWithoutSource.get()).isEqualTo(1);
            assertThat(rig.counters.malformedAlerts.get()).isEqualTo(3);
            long malformed = rig.counters.malformedFlows.get();
            // "host":7 is not text: the key names the host then (not malformed)
            assertThat(malformed).isEqualTo(bad.size() - 1 + 2 + 2);
            assertThat(rig.counters.flows.get()).isEqualTo(2);
            // the good records after them: the scan is still found
            rig.pipe(lines);
            assertThat(rig.counters.malformedFlows.get()).isEqualTo(malformed);
            assertThat(rig.of("fleet-scan")).hasSize(1);
            assertThat(rig.of("fleet-scan").getFirst().hosts().keySet()).contains("hostA", "hostB", "hostC");
        }
    }

    @Test
    void aTimeFarAheadOfTheClockIsRefusedAndDoesNotCloseTheWindowsOfTheOthers() throws Exception {
        AgentRecordings.Split split = AgentRecordings.roundRobin(TestData.capture("attack/portscan-1-10000.pcapng"), THREE);
        List<AgentRecordings.Line> lines = split.lines();
        try (Rig rig = new Rig(FleetConfig.defaults(), false)) {
            // one valid flow of another host whose clock says 2100: before 2026-12-05 it moved stream time to 2100,
            // every window of the recording (2020) was closed past its grace, and the scan was never found
            long y2100 = java.time.Instant.parse("2100-01-01T00:00:00Z").toEpochMilli();
            var fast = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(lines.getFirst().value());
            fast.put("host", "hostZ").put("src_ip", "10.9.9.9").put("proto", "TCP"); // reaches the scan and flood tallies
            ((com.fasterxml.jackson.databind.node.ObjectNode) fast.get("flow")).put("start", "2100-01-01T00:00:00Z")
                    .put("end", "2100-01-01T00:00:00Z");
            rig.flows.pipeInput(lines.getFirst().key(), fast.toString(), y2100);
            // an alert from 90 s ahead (an agent's clock 90 s fast; the grace is 30 s)
            long ahead = System.currentTimeMillis() + 90_000;
            rig.alert(at(portscanAlerts("hostZ").getFirst(), ahead), ahead);
            rig.pipe(lines);
            assertThat(rig.of("fleet-scan")).hasSize(1);
            // both refused, counted, and said
            assertThat(rig.counters.malformedFlows.get()).isEqualTo(1);
            assertThat(rig.counters.malformedAlerts.get()).isEqualTo(1);
            assertThat(rig.counters.lastMalformed.get()).startsWith("alerts: timestamp ").contains("ahead of this detector's clock (at most 30 s");
            rig.flows.pipeInput(lines.getFirst().key(), fast.toString(), y2100);
            assertThat(rig.counters.lastMalformed.get()).contains("flow.end 2100-01-01T00:00:00Z").contains("ahead of this detector's clock");
            // a time before 1970
            rig.flows.pipeInput("k", lines.getFirst().value().replaceAll("\"end\":\"[^\"]*\"", "\"end\":\"1969-12-31T23:59:59Z\""), 0L);
            assertThat(rig.counters.lastMalformed.get()).contains("before 1970");
            assertThat(rig.counters.malformedFlows.get()).isEqualTo(3);
            assertThat(rig.of("fleet-scan").getFirst().hosts().keySet()).containsExactlyElementsOf(THREE);
        }
    }

    @Test
    void hostAndDetectorNamesTooLongOrNotPrintableAreRefused() throws Exception {
        AgentRecordings.Split split = AgentRecordings.roundRobin(TestData.capture("attack/portscan-1-10000.pcapng"), THREE);
        String good = split.lines().getFirst().value();
        long t = split.lines().getFirst().timeMs();
        String alert = portscanAlerts("hostA").getFirst();
        try (Rig rig = new Rig(FleetConfig.defaults(), false)) {
            // before 2026-12-05 a host of 600 KB was taken: a tally of a few such hosts passed the 1 MB a changelog
            // record may have, and the Streams application stopped (RecordTooLargeException)
            String huge = "h".repeat(600_000);
            rig.flows.pipeInput("k", good.replace("\"host\":\"hostA\"", "\"host\":\"" + huge + "\""), t);
            assertThat(rig.counters.lastMalformed.get()).startsWith("flows: host 'hhhh").contains("has 600000 bytes (at most 64)");
            rig.flows.pipeInput("k", good.replace("\"host\":\"hostA\"", "\"host\":\"host\\u0007A\""), t);
            assertThat(rig.counters.lastMalformed.get()).isEqualTo("flows: host 'host?A' has a character that is not printable");
            rig.flows.pipeInput(new TestRecord<>("k", AgentRecordings.line(split.flows().getFirst(), "hostA", false).value(),
                    new RecordHeaders().add("host", huge.getBytes(StandardCharsets.UTF_8)), t));
            assertThat(rig.counters.lastMalformed.get()).contains("host header");
            assertThat(rig.counters.malformedFlows.get()).isEqualTo(3);
            rig.alert(alert.replace("\"detector\":\"portscan\"", "\"detector\":\"" + "d".repeat(33) + "\""), t);
            assertThat(rig.counters.lastMalformed.get()).contains("xdpml.detector").contains("at most 32");
            assertThat(rig.counters.malformedAlerts.get()).isEqualTo(1);
            // at the bounds: taken (64 bytes of host, non-ASCII printable), and the scan still found
            rig.flows.pipeInput("k", good.replace("\"host\":\"hostA\"", "\"host\":\"" + "é".repeat(32) + "\""), t);
            assertThat(rig.counters.malformedFlows.get()).isEqualTo(3);
            rig.pipe(split.lines());
            assertThat(rig.of("fleet-scan")).hasSize(1);
        }
        // the largest tally these bounds allow (maxHosts hosts, each name and label at its bound, full of
        // characters JSON escapes) is well under the 1 MB (1,048,576 bytes) a changelog record may have
        Tally worst = new Tally();
        FleetConfig c = FleetConfig.defaults();
        for (int h = 0; h < c.maxHosts(); h++) {
            String host = String.format("%04d", h) + "\"".repeat(FleetEvents.MAX_HOST_BYTES - 4);
            for (int l = 0; l < Tally.LABELS; l++) {
                worst.add(Part.counts(host, Long.MAX_VALUE / 16, 1, 1, 1, 0, 0, l + "\\".repeat(FleetEvents.MAX_DETECTOR_BYTES - 1)), c.maxHosts());
            }
        }
        byte[] bytes = new JsonSerde<>(Tally.class).serializer().serialize("t", worst);
        System.out.println("largest tally: " + bytes.length + " bytes");
        assertThat(bytes.length).isLessThan(1_000_000);
    }

    @Test
    void settingsByNameAndRefusals() {
        FleetConfig c = FleetConfig.parse(FleetConfig.defaults(), List.of("fleet.scanMinTargets=50", "windowSeconds=10"));
        assertThat(c.scanMinTargets()).isEqualTo(50);
        assertThat(c.windowMillis()).isEqualTo(10_000);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> FleetConfig.parse(FleetConfig.defaults(), List.of("fleet.nope=1")))
                .hasMessageContaining("unknown fleet parameter 'nope'");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> FleetConfig.parse(FleetConfig.defaults(), List.of("fleet.scanMinHosts=x")))
                .hasMessageContaining("scanMinHosts");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> FleetConfig.parse(FleetConfig.defaults(), List.of("fleet.windowSeconds=0")))
                .hasMessageContaining("windowSeconds");
        assertThat(FleetEvents.prefixOf("10.66.0.5", 24, 64)).isEqualTo("10.66.0.0/24");
        assertThat(List.of("hostA", "web-7", "k")).allMatch(FleetEvents::namesHost);
        assertThat(List.of("3506579060801121", "1:C9ufRZCLp/ZBO3IBZ+9sSC5//uQ=", "192.168.1.7", "2001:db8::1")).noneMatch(FleetEvents::namesHost);
        assertThat(FleetEvents.prefixOf("2001:db8:1:2:3:4:5:6", 24, 64)).isEqualTo("2001:db8:1:2::/64");
        assertThat(FleetSignatures.all().stream().map(FleetSignatures.Signature::id).collect(Collectors.toList()))
                .containsExactly(8_800_101L, 8_800_102L, 8_800_103L);
    }
}
