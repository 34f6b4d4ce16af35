package io.xdpml.output;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.xdpml.detect.Detection;
import io.xdpml.flow.EndedFlow;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.FlowReason;
import io.xdpml.flow.FlowRecord;
import io.xdpml.testing.TestData;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** EVE flow events of real flows (every shared capture), alerts and flows of one tuple, failures, threads. */
class EveWriterTest {
    static Stream<Path> captures() {
        return TestData.captures().stream();
    }

    static String write(List<EndedFlow> flows, EveWriter.Options options) {
        StringWriter sw = new StringWriter();
        try (EveWriter w = new EveWriter(sw, options)) {
            flows.forEach(w::flow);
            w.flush();
            assertThat(w.failed()).isZero();
            assertThat(w.writeErrors()).isZero();
            assertThat(w.flows()).isEqualTo(flows.size());
        }
        return sw.toString();
    }

    @ParameterizedTest
    @MethodSource("captures")
    void flowEventsCarryTheFlowsCountsAndCommunityIds(Path capture) throws Exception {
        CaptureFlows.Result r = CaptureFlows.of(capture);
        List<JsonNode> lines = EveLines.parse(write(r.flows(), EveWriter.Options.defaults()));
        assertThat(lines).hasSize(r.flows().size());
        long packets = 0;
        int withCid = 0;
        Map<Long, String> idByFlowId = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode l = lines.get(i);
            EndedFlow f = r.flows().get(i);
            FlowRecord rec = f.view();
            String s = l.toString();
            EveLines.assertCommon(l);
            assertThat(l.get("event_type").asText()).isEqualTo("flow");
            assertThat(l.get("src_ip").asText()).as(s).isEqualTo(EveWriter.text(rec.sourceAddress()));
            assertThat(InetAddress.getByName(l.get("dest_ip").asText())).as(s).isEqualTo(rec.destinationAddress());
            assertThat(EveLines.protoNumber(l.get("proto").asText())).as(s).isEqualTo(rec.protocol());
            assertThat(l.path("src_port").asInt(0)).as(s).isEqualTo(rec.protocol() == 6 || rec.protocol() == 17 ? rec.sourcePort() : 0);
            assertThat(l.path("dest_port").asInt(0)).as(s).isEqualTo(rec.protocol() == 6 || rec.protocol() == 17 ? rec.destinationPort() : 0);
            JsonNode fl = l.get("flow");
            assertThat(fl.get("pkts_toserver").asLong()).isEqualTo(rec.packets(FlowLayout.FWD));
            assertThat(fl.get("pkts_toclient").asLong()).isEqualTo(rec.packets(FlowLayout.BWD));
            assertThat(fl.get("bytes_toserver").asLong()).isEqualTo(rec.bytes(FlowLayout.FWD));
            assertThat(fl.get("bytes_toclient").asLong()).isEqualTo(rec.bytes(FlowLayout.BWD));
            assertThat(EveLines.micros(fl.get("start").asText())).isEqualTo(Math.floorDiv(f.firstNanos(), 1000L));
            assertThat(EveLines.micros(fl.get("end").asText())).isEqualTo(Math.floorDiv(f.lastNanos(), 1000L));
            assertThat(EveLines.micros(l.get("timestamp").asText())).isEqualTo(Math.floorDiv(f.reportNanos(), 1000L));
            assertThat(fl.get("age").asLong()).isEqualTo(f.lastNanos() / 1_000_000_000L - f.firstNanos() / 1_000_000_000L);
            assertThat(fl.get("reason").asText()).isEqualTo(f.reason() == FlowReason.END ? "shutdown" : "timeout");
            assertThat(fl.get("alerted").asBoolean()).isFalse();
            assertThat(l.get("xdpml").get("reason").asText()).isEqualTo(f.reason().label());
            String state = fl.get("state").asText();
            if (rec.packets(FlowLayout.BWD) == 0) {
                assertThat(state).as(s).isIn("new", "closed");
            } else {
                assertThat(state).as(s).isIn("established", "closed");
            }
            if (state.equals("closed")) {
                assertThat(rec.protocol()).isEqualTo(6);
                assertThat(rec.feature(io.xdpml.flow.FlowFeature.RST_COUNT) + rec.feature(io.xdpml.flow.FlowFeature.FIN_COUNT)).isPositive();
            }
            if (rec.protocol() == 6) {
                int bits = Integer.parseInt(l.get("tcp").get("tcp_flags").asText(), 16);
                assertThat((bits & 2) != 0).isEqualTo(rec.feature(io.xdpml.flow.FlowFeature.SYN_COUNT) > 0);
                assertThat(l.get("tcp").path("syn").asBoolean(false)).isEqualTo((bits & 2) != 0);
                assertThat((bits & 16) != 0).isEqualTo(rec.feature(io.xdpml.flow.FlowFeature.ACK_COUNT) > 0);
            } else {
                assertThat(l.has("tcp")).isFalse();
            }
            if (rec.vlan() != 0) {
                assertThat(l.get("vlan").get(0).asInt()).isEqualTo(rec.vlan());
            } else {
                assertThat(l.has("vlan")).isFalse();
            }
            // community_id: the line's own tuple, hashed again; absent exactly where the flow key cannot give it.
            boolean icmpOrSctp = CommunityId.isIcmp(rec.protocol()) || rec.protocol() == 132;
            String expected = icmpOrSctp ? null : EveLines.recomputedCommunityId(l);
            if (expected == null) {
                assertThat(l.has("community_id")).as(s).isFalse();
            } else {
                assertThat(l.get("community_id").asText()).as(s).isEqualTo(expected);
                withCid++;
            }
            // flow_id: one per key (a key that went idle or closed and came back is several flows with one flow_id)
            String keyText = java.util.HexFormat.of().formatHex(f.key());
            String previous = idByFlowId.put(l.get("flow_id").asLong(), keyText);
            assertThat(previous).as("flow_id %s shared by another key: %s", l.get("flow_id"), s).isIn(null, keyText);
            packets += fl.get("pkts_toserver").asLong() + fl.get("pkts_toclient").asLong();
        }
        assertThat(packets).isEqualTo(r.tracked());
        if (capture.toString().contains("attack/") || capture.toString().contains("benign/")) {
            assertThat(withCid).as("flows with a community_id").isPositive();
        }
    }

    @Test
    void vlanAndVniAppear() throws Exception {
        List<JsonNode> qinq = EveLines.parse(write(CaptureFlows.of(TestData.capture("tunnel/zeek-vlan-qinqinq.pcap")).flows(),
                EveWriter.Options.defaults()));
        assertThat(qinq).isNotEmpty().allSatisfy(l -> assertThat(l.get("vlan").size()).isEqualTo(1));
        List<JsonNode> vxlan = EveLines.parse(write(CaptureFlows.of(TestData.capture("tunnel/ndpi-vxlan.pcap")).flows(),
                EveWriter.Options.defaults()));
        assertThat(vxlan).anySatisfy(l -> assertThat(l.get("xdpml").path("vni").asLong()).isPositive());
    }

    /** The events for another transport (Kafka) are the lines the writer writes, neither written nor counted. */
    @Test
    void nodesAreTheLinesItWouldWrite() throws Exception {
        List<EndedFlow> flows = CaptureFlows.of(TestData.capture("benign/ndpi-firefox.pcap")).flows();
        EndedFlow big = flows.stream().filter(f -> f.view().protocol() == 6).max(Comparator.comparingLong(EndedFlow::packets)).orElseThrow();
        Detection d = Detection.of(big.firstNanos(), "portscan", "10.0.0.9", 3.0, List.of("300 ports"), List.of("10.0.0.9"));
        StringWriter sw = new StringWriter();
        StringWriter none = new StringWriter();
        try (EveWriter w = new EveWriter(sw, EveWriter.Options.defaults().withInIface("eth0"));
                EveWriter n = new EveWriter(none, EveWriter.Options.defaults().withInIface("eth0"))) {
            w.alert(d, true);
            w.flow(big, "eth0");
            List<com.fasterxml.jackson.databind.node.ObjectNode> alerts = n.alertNodes(d, true);
            com.fasterxml.jackson.databind.node.ObjectNode flow = n.flowNode(big, "eth0");
            assertThat(n.alerts() + n.flows() + n.failed()).isZero();
            w.flush();
            String[] l = sw.toString().split("\n");
            assertThat(alerts).hasSize(1);
            assertThat(alerts.get(0).toString()).isEqualTo(l[0]);
            assertThat(flow.toString()).isEqualTo(l[1]);
        }
        assertThat(none.toString()).isEmpty();
    }

    /** A detection about exactly one flow's 5-tuple: its alert and the flow share flow_id and community_id, and the flow is alerted. */
    @Test
    void alertAndFlowOfOneTupleShareTheirIds() throws Exception {
        List<EndedFlow> flows = CaptureFlows.of(TestData.capture("benign/ndpi-firefox.pcap")).flows();
        EndedFlow big = flows.stream().filter(f -> f.view().protocol() == 6).max(Comparator.comparingLong(EndedFlow::packets)).orElseThrow();
        EndedFlow other = flows.stream().filter(f -> f != big && f.view().protocol() == 6).findFirst().orElseThrow();
        FlowRecord r = big.view();
        Detection d = new Detection(big.firstNanos(), big.firstNanos(), "synflood", r.destinationAddress().getHostAddress(), 2.5,
                List.of("made for this test"), 1, List.of(r.sourceAddress().getHostAddress()),
                new Detection.Target(r.destinationAddress(), 6, r.sourcePort(), r.destinationPort()));
        StringWriter sw = new StringWriter();
        try (EveWriter w = new EveWriter(sw, EveWriter.Options.defaults().withInIface("eth0"))) {
            w.alert(d, true);
            w.flow(big.withVerdict("attack", 0.75));
            w.flow(other, "eth1");
        }
        List<JsonNode> l = EveLines.parse(sw.toString());
        assertThat(l).hasSize(3);
        l.forEach(EveLines::assertCommon);
        JsonNode alert = l.get(0);
        JsonNode flow = l.get(1);
        assertThat(alert.get("event_type").asText()).isEqualTo("alert");
        assertThat(alert.get("in_iface").asText()).isEqualTo("eth0");
        assertThat(alert.get("alert").get("action").asText()).isEqualTo("blocked");
        assertThat(alert.get("community_id").asText()).isEqualTo(EveLines.recomputedCommunityId(alert));
        assertThat(alert.get("community_id")).isEqualTo(flow.get("community_id"));
        assertThat(alert.get("flow_id")).isEqualTo(flow.get("flow_id"));
        for (String f : new String[] {"src_ip", "src_port", "dest_ip", "dest_port", "proto"}) {
            assertThat(alert.get(f)).as(f).isEqualTo(flow.get(f));
        }
        assertThat(flow.get("flow").get("alerted").asBoolean()).isTrue();
        assertThat(flow.get("xdpml").get("class").asText()).isEqualTo("attack");
        assertThat(flow.get("xdpml").get("score").asDouble()).isEqualTo(0.75);
        assertThat(l.get(2).get("flow").get("alerted").asBoolean()).isFalse();
        assertThat(flow.get("in_iface").asText()).isEqualTo("eth0");
        assertThat(l.get(2).get("in_iface").asText()).isEqualTo("eth1");
        assertThat(l.get(2).get("flow_id")).isNotEqualTo(flow.get("flow_id"));
    }

    @Test
    void aBadEventIsCountedAndSkipped() throws Exception {
        List<EndedFlow> flows = CaptureFlows.of(TestData.capture("benign/ndpi-ftp.pcap")).flows();
        EndedFlow broken = new EndedFlow(new byte[FlowLayout.KEY_SIZE], new byte[FlowLayout.FLOW_SIZE], FlowReason.IDLE, 0, null, Double.NaN);
        StringWriter sw = new StringWriter();
        EveWriter w = new EveWriter(sw, EveWriter.Options.defaults());
        w.flow(flows.get(0));
        w.flow(broken); // IP version 0
        w.flow(flows.get(1));
        w.close();
        assertThat(w.failed()).isEqualTo(1);
        assertThat(w.flows()).isEqualTo(2);
        assertThat(w.lastError()).hasMessageContaining("IP version 0");
        assertThat(EveLines.parse(sw.toString())).hasSize(2);

        Writer failing = new Writer() {
            @Override
            public void write(char[] c, int off, int len) throws IOException {
                throw new IOException("disk full");
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        EveWriter f = new EveWriter(failing, EveWriter.Options.defaults());
        f.flow(flows.get(0));
        f.report(Detection.of(1, "volumetric", "10.0.0.1", 1.0, List.of("x")));
        f.close();
        f.flow(flows.get(1)); // after close: counted, not thrown
        assertThat(f.writeErrors()).isEqualTo(3);
        assertThat(f.lastError()).hasMessage("disk full");
    }

    /**
     * A write that fails half way (a full disk) is not counted, and the next line starts on a line
     * of its own, not glued to the part that got out; a file appended to that ends in part of a
     * line gets a newline before the first one.
     */
    @Test
    void aFailedWriteLeavesNoLineGluedToTheNext(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        List<EndedFlow> flows = CaptureFlows.of(TestData.capture("benign/ndpi-ftp.pcap")).flows();
        StringBuilder text = new StringBuilder();
        boolean[] failNext = {false};
        Writer halfFull = new Writer() {
            @Override
            public void write(char[] c, int off, int len) throws IOException {
                if (failNext[0]) {
                    failNext[0] = false;
                    text.append(c, off, len / 2);
                    throw new IOException("No space left on device");
                }
                text.append(c, off, len);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        EveWriter w = new EveWriter(halfFull, EveWriter.Options.defaults());
        w.flow(flows.get(0));
        failNext[0] = true;
        w.flow(flows.get(1));
        w.flow(flows.get(2));
        w.close();
        assertThat(w.flows()).as("only the lines written").isEqualTo(2);
        assertThat(w.writeErrors()).isEqualTo(1);
        String[] lines = text.toString().split("\n", -1);
        assertThat(lines).hasSize(4); // the first, the half, the third, and nothing after the last newline
        assertThat(EveLines.parse(lines[0] + "\n" + lines[2])).hasSize(2)
                .extracting(l -> l.get("src_port").asInt()).doesNotContain(0);
        assertThat(lines[3]).isEmpty();

        Path file = dir.resolve("eve.json");
        java.nio.file.Files.writeString(file, "{\"cut\":");
        try (EveWriter f = EveWriter.open(file, true, EveWriter.Options.defaults())) {
            f.flow(flows.get(0));
        }
        String[] appended = java.nio.file.Files.readString(file).split("\n");
        assertThat(appended).hasSize(2);
        assertThat(appended[0]).isEqualTo("{\"cut\":");
        assertThat(EveLines.parse(appended[1])).hasSize(1);
    }

    /**
     * A reload reopens the file by its name; one that was not rotated, with lines still buffered
     * (flows are flushed once a second), gets no empty line: the buffer is flushed before the file's
     * end is looked at (found by review of the reopen, 2026-12-05).
     */
    @Test
    void aReopenOfAFileNotRotatedLeavesNoEmptyLine(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        List<EndedFlow> flows = CaptureFlows.of(TestData.capture("benign/lan-trace-2012.pcap")).flows();
        Path file = dir.resolve("eve.json");
        try (EveWriter w = EveWriter.open(file, true, EveWriter.Options.defaults())) {
            for (int i = 0; i < 60; i++) { // past the writer's 8 KiB buffer: the file ends in part of a line
                w.flow(flows.get(i % flows.size()));
            }
            w.reopen();
            w.flow(flows.get(0));
        }
        List<String> lines = java.nio.file.Files.readAllLines(file);
        assertThat(lines).hasSize(61).noneMatch(String::isEmpty);
        assertThat(EveLines.parse(java.nio.file.Files.readString(file))).hasSize(61);
    }

    @Test
    void linesNeverInterleaveAcrossThreads() throws Exception {
        List<EndedFlow> flows = CaptureFlows.of(TestData.capture("benign/lan-trace-2012.pcap")).flows();
        StringWriter sw = new StringWriter();
        EveWriter w = new EveWriter(sw, EveWriter.Options.defaults());
        Thread flowsThread = Thread.ofPlatform().start(() -> {
            flows.forEach(w::flow);
            w.flush();
        });
        Thread alertsThread = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 2000; i++) {
                w.report(Detection.of(i, "portscan", "10.0.0." + (i % 250 + 1), 1.5, List.of("reason " + i), List.of("10.0.0." + (i % 250 + 1))));
            }
        });
        flowsThread.join();
        alertsThread.join();
        w.close();
        List<JsonNode> lines = EveLines.parse(sw.toString());
        assertThat(lines).hasSize(flows.size() + 2000);
        assertThat(lines.stream().filter(l -> l.get("event_type").asText().equals("alert")).count()).isEqualTo(2000);
        assertThat(w.alerts()).isEqualTo(2000);
        assertThat(w.flows()).isEqualTo(flows.size());
    }

    @Test
    void timestampsFollowTheClock() {
        assertThat(EveWriter.time(1_764_781_414_123_456_789L)).isEqualTo("2025-12-03T17:03:34.123456+0000");
        assertThat(EveWriter.time(0)).isEqualTo("1970-01-01T00:00:00.000000+0000");
        // monotonic to epoch: now in the monotonic clock maps to about now
        long epochNow = EveWriter.monotonicToEpoch().applyAsLong(System.nanoTime());
        assertThat(Math.abs(epochNow - System.currentTimeMillis() * 1_000_000L)).isLessThan(2_000_000_000L);
        List<EndedFlow> none = new ArrayList<>();
        assertThat(write(none, EveWriter.Options.defaults().withClock(EveWriter.offset(5)))).isEmpty();
    }

    @Test
    void alertsOfIpv6AndOfNoAddress() {
        StringWriter sw = new StringWriter();
        try (EveWriter w = new EveWriter(sw, EveWriter.Options.defaults())) {
            w.report(Detection.of(1_000_000_000L, "anomaly", "all", 1.2, List.of("TCP SYNs 15,810 in 1 s")));
            w.report(Detection.of(2_000_000_000L, "portscan", "2001:db8:0:0::1", 3.0, List.of("300 ports"), List.of("2001:db8::1")));
            w.report(Detection.of(3_000_000_000L, "synflood", "2001:db8::2", 2.0, List.of("SYNs"), List.of("10.0.0.1", "2001:db8::3"))
                    .withTarget(new Detection.Target(io.xdpml.detect.Addresses.inet(0x20010db8_00000000L, 2), 6, 0, 443)));
        }
        List<JsonNode> l = EveLines.parse(sw.toString());
        assertThat(l).hasSize(4);
        l.forEach(EveLines::assertCommon);
        JsonNode anomaly = l.get(0);
        assertThat(anomaly.has("src_ip") || anomaly.has("dest_ip") || anomaly.has("flow_id") || anomaly.has("proto")).isFalse();
        assertThat(anomaly.get("alert").get("signature_id").asLong()).isEqualTo(8_800_007L);
        assertThat(anomaly.get("xdpml").get("subject").asText()).isEqualTo("all");
        assertThat(l.get(1).get("src_ip").asText()).isEqualTo("2001:db8::1");
        // one alert per named source, of either family; the community_id needs both ports, so none
        assertThat(l.get(2).get("src_ip").asText()).isEqualTo("10.0.0.1");
        assertThat(l.get(3).get("src_ip").asText()).isEqualTo("2001:db8::3");
        assertThat(l.subList(2, 4)).allSatisfy(a -> {
            assertThat(a.get("dest_ip").asText()).isEqualTo("2001:db8::2");
            assertThat(a.get("dest_port").asInt()).isEqualTo(443);
            assertThat(a.has("community_id")).isFalse();
        });
    }

    /** docs/outputs.md has a row per signature with its id, text, category and severity. */
    @Test
    void everySignatureIsDocumented() throws Exception {
        String doc = java.nio.file.Files.readString(Path.of("docs/outputs.md"));
        for (EveSignatures.Signature s : EveSignatures.all()) {
            String row = doc.lines().filter(l -> l.startsWith("| " + s.id() + " |")).findFirst().orElse("");
            assertThat(row).as("row of %d", s.id()).contains("| " + s.text()).contains("| " + s.category() + " | " + s.severity() + " |");
        }
    }

    @Test
    void protocolNames() {
        assertThat(EveWriter.protoName(6)).isEqualTo("TCP");
        assertThat(EveWriter.protoName(17)).isEqualTo("UDP");
        assertThat(EveWriter.protoName(1)).isEqualTo("ICMP");
        assertThat(EveWriter.protoName(58)).isEqualTo("IPv6-ICMP");
        assertThat(EveWriter.protoName(47)).isEqualTo("47");
    }
}
