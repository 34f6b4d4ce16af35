package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.xdpml.output.EveLines;
import io.xdpml.output.EveSignatures;
import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code xdpml detect FILE --eve OUT}: Suricata EVE alerts for the detections of every shared attack and benign capture. */
class DetectEveTest {
    @TempDir
    Path dir;

    static Stream<Path> attackAndBenign() {
        return TestData.captures().stream().filter(p -> p.getParent().getFileName().toString().matches("attack|benign"));
    }

    @ParameterizedTest
    @MethodSource("attackAndBenign")
    void everyAlertLineParsesAndMatchesItsDetection(Path capture) throws Exception {
        Path eve = dir.resolve("eve.json");
        CliHarness.Result r = CliHarness.run("detect", capture.toString(), "--json", "--eve", eve.toString());
        assertThat(r.code()).as(r.err()).isZero();
        // the usual --json output is still there: detections, then the summary
        List<JsonNode> detections = new ArrayList<>(EveLines.parse(r.out()));
        JsonNode summary = detections.remove(detections.size() - 1).get("summary");
        assertThat(summary.get("detections").asInt()).isEqualTo(detections.size());
        List<JsonNode> alerts = EveLines.parse(Files.readString(eve));
        int expected = detections.stream().mapToInt(d -> Math.max(1, d.get("sources").size())).sum();
        assertThat(alerts).hasSize(expected);
        if (capture.getParent().getFileName().toString().equals("benign")) {
            assertThat(alerts).isEmpty();
        } else {
            assertThat(alerts).isNotEmpty();
        }
        Map<Long, EveSignatures.Signature> sigs = EveSignatures.all().stream()
                .collect(Collectors.toMap(EveSignatures.Signature::id, s -> s));
        int at = 0;
        for (JsonNode d : detections) {
            int n = Math.max(1, d.get("sources").size());
            for (int i = 0; i < n; i++) {
                JsonNode a = alerts.get(at++);
                String s = a.toString();
                EveLines.assertCommon(a);
                assertThat(a.get("event_type").asText()).isEqualTo("alert");
                assertThat(a.has("in_iface")).isFalse();
                assertThat(EveLines.micros(a.get("timestamp").asText())).isEqualTo(Math.floorDiv(d.get("timeNanos").asLong(), 1000L));
                JsonNode al = a.get("alert");
                assertThat(al.get("action").asText()).isEqualTo("allowed");
                assertThat(al.get("gid").asInt()).isEqualTo(1);
                assertThat(al.get("rev").asInt()).isEqualTo(1);
                EveSignatures.Signature sig = sigs.get(al.get("signature_id").asLong());
                assertThat(sig).as(s).isNotNull();
                assertThat(al.get("signature").asText()).isEqualTo(sig.text());
                assertThat(al.get("category").asText()).isEqualTo(sig.category());
                assertThat(al.get("severity").asInt()).isBetween(1, 3).isEqualTo(sig.severity());
                JsonNode x = a.get("xdpml");
                assertThat(x.get("detector").asText()).isEqualTo(d.get("detector").asText());
                assertThat(x.get("subject").asText()).isEqualTo(d.get("subject").asText());
                assertThat(x.get("score").asDouble()).isEqualTo(d.get("score").asDouble());
                assertThat(x.get("count").asLong()).isEqualTo(d.get("count").asLong());
                assertThat(x.get("reasons")).isEqualTo(d.get("reasons"));
                assertThat(al.get("metadata").get("xdpml_reason")).isEqualTo(d.get("reasons"));
                // the mapping: a named source is src_ip; the victim (target, or a destination subject) is dest_ip
                if (d.get("sources").size() > 0) {
                    assertThat(a.get("src_ip").asText()).isEqualTo(d.get("sources").get(i).asText());
                }
                JsonNode target = d.get("target");
                if (target != null && !target.isNull()) {
                    assertThat(a.get("dest_ip").asText()).isEqualTo(d.get("subject").asText());
                    assertThat(a.path("dest_port").asInt(0)).isEqualTo(target.get("destinationPort").asInt());
                    assertThat(a.path("src_port").asInt(0)).isEqualTo(target.get("sourcePort").asInt());
                }
                switch (d.get("detector").asText()) {
                    case "portscan", "dnstunnel" -> {
                        assertThat(a.get("src_ip").asText()).isEqualTo(d.get("subject").asText());
                        assertThat(a.has("dest_ip")).isFalse();
                    }
                    default -> {
                        assertThat(a.get("dest_ip").asText()).isEqualTo(d.get("subject").asText());
                    }
                }
                // alert.source / alert.target repeat the attacker's and the victim's ends
                assertThat(al.path("source").path("ip").asText(null)).isEqualTo(a.path("src_ip").asText(null));
                assertThat(al.path("source").path("port").asInt(0)).isEqualTo(a.path("src_port").asInt(0));
                assertThat(al.path("target").path("ip").asText(null)).isEqualTo(a.path("dest_ip").asText(null));
                assertThat(al.path("target").path("port").asInt(0)).isEqualTo(a.path("dest_port").asInt(0));
                // community_id: present exactly when the line's tuple is complete, and then its hash
                String recomputed = EveLines.recomputedCommunityId(a);
                if (recomputed == null) {
                    assertThat(a.has("community_id")).as(s).isFalse();
                } else {
                    assertThat(a.get("community_id").asText()).as(s).isEqualTo(recomputed);
                }
            }
        }
    }

    @Test
    void theCapturesAlertsAsDocumented() throws Exception {
        List<JsonNode> scan = eve("attack/portscan-1-10000.pcapng");
        assertThat(scan).extracting(a -> a.get("alert").get("signature_id").asLong()).containsExactly(8_800_001L, 8_800_002L);
        assertThat(scan.get(0).get("src_ip").asText()).isEqualTo("192.168.1.7");
        assertThat(scan.get(0).get("proto").asText()).isEqualTo("TCP");
        assertThat(scan.get(1).get("src_ip").asText()).isEqualTo("192.168.1.7");
        assertThat(scan.get(1).get("dest_ip").asText()).isEqualTo("192.168.1.1");

        JsonNode flood = eve("attack/synflood-spoofed.pcap").get(0);
        assertThat(flood.has("src_ip")).isFalse(); // spoofed: no source named
        assertThat(flood.get("dest_ip").asText()).isEqualTo("10.10.10.10");
        assertThat(flood.get("dest_port").asInt()).isEqualTo(25565);
        assertThat(flood.get("xdpml").get("bare_syns").asBoolean()).isTrue(); // its SYNs carry no TCP options

        JsonNode amp = eve("attack/bacnet-amplification.pcapng").stream()
                .filter(a -> a.get("xdpml").get("detector").asText().equals("amplification")).findFirst().orElseThrow();
        assertThat(amp.get("src_port").asInt()).isEqualTo(47808);
        assertThat(amp.get("dest_ip").asText()).isEqualTo("10.10.10.1");
        assertThat(amp.get("proto").asText()).isEqualTo("UDP");
        assertThat(amp.get("xdpml").get("bare_syns").asBoolean(true)).isFalse();

        JsonNode reflection = eve("attack/synack-reflection.pcap").stream()
                .filter(a -> a.get("xdpml").get("detector").asText().equals("synflood")).findFirst().orElseThrow();
        assertThat(reflection.get("alert").get("signature_id").asLong()).isEqualTo(8_800_003L);
        assertThat(reflection.get("dest_ip").asText()).isEqualTo("10.10.10.10");

        JsonNode tunnel = eve("attack/dns-tunnel-iodine.pcap").get(0);
        assertThat(tunnel.get("src_ip").asText()).isEqualTo("10.0.2.30");
        assertThat(tunnel.get("proto").asText()).isEqualTo("UDP");
        assertThat(tunnel.get("alert").get("severity").asInt()).isEqualTo(1);
    }

    private List<JsonNode> eve(String capture) throws Exception {
        Path eve = dir.resolve(capture.replace('/', '_') + ".json");
        CliHarness.Result r = CliHarness.run("detect", TestData.capture(capture).toString(), "--eve", eve.toString());
        assertThat(r.code()).as(r.err()).isZero();
        return EveLines.parse(Files.readString(eve));
    }

    @Test
    void toStandardOutputOnlyEveLines() {
        CliHarness.Result r = CliHarness.run("detect", TestData.capture("attack/portscan-1-10000.pcapng").toString(), "--eve", "-");
        assertThat(r.code()).as(r.err()).isZero();
        List<JsonNode> lines = EveLines.parse(r.out());
        assertThat(lines).hasSize(2).allSatisfy(l -> assertThat(l.get("event_type").asText()).isEqualTo("alert"));
        assertThat(r.err()).contains("2 detections");
    }

    @Test
    void withoutEveTheOutputIsUnchanged() {
        CliHarness.Result r = CliHarness.run("detect", TestData.capture("attack/portscan-1-10000.pcapng").toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).doesNotContain("event_type").contains("portscan").contains("2 detections");
    }

    @Test
    void anEveDirectoryIsRefused() {
        CliHarness.Result r = CliHarness.run("detect", TestData.capture("attack/portscan-1-10000.pcapng").toString(), "--eve",
                dir.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("is a directory");
    }
}
