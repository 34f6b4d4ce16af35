package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.dataplane.PipelineCounters;
import io.xdpml.dataplane.Stage;
import io.xdpml.kernel.Interfaces;
import io.xdpml.pipeline.LiveFrameGenerator;
import io.xdpml.testing.Requirements;
import io.xdpml.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.UnaryOperator;
import com.fasterxml.jackson.databind.JsonNode;
import io.xdpml.output.EveLines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every stage of the agent at once on one interface, each shown to act on real traffic: a
 * firewall rule drops UDP port 19, the model (a tree on the responder's port) drops its "high"
 * class where it is at least 0.9 confident and sends the rest to Java, every packet is mirrored to Java where the port-scan detector names a scanner, which the
 * agent then blocks in XDP ({@code mitigation.block}). One XDP program on the interface
 * (bpftool's view), a second agent on it refused, and nothing left after close.
 */
class AgentVethTest {
    static final String SCANNER = "10.77.0.9";

    static String config(String iface) {
        return """
                interfaces: [%s]
                blocks:
                  enabled: true
                firewall:
                  rules: |
                    default pass
                    rule drop udp port 19
                flows:
                  max-flows: 4096
                model:
                  file: model.json
                  mode: packet
                  actions: {low: pass, high: drop}
                  min-confidence: {high: 0.9}
                sampling:
                  every: 1
                delivery:
                  to: mirror
                detectors:
                  enabled: [portscan, synflood]
                  window: 1s
                mitigation:
                  block: 60s
                outputs:
                  json: detections.jsonl
                  status: 1s
                  eve: {file: eve.json, types: [alert]}
                """.formatted(iface);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> stage(Map<String, Object> report, Stage s) {
        return ((Map<String, Map<String, Object>>) report.get("stages")).get(s.key());
    }

    static long count(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).longValue();
    }

    @Test
    void everyStageActsOnOneInterfaceWithOneProgram(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Requirements.require(Files.isExecutable(Path.of("/usr/sbin/bpftool")) || Files.isExecutable(Path.of("/usr/bin/bpftool")),
                "bpftool not installed (scripts/setup installs it)");
        AgentRig.portModelWithConfidence().write(dir.resolve("model.json"));
        Path file = dir.resolve("agent.yaml");
        try (AgentRig rig = new AgentRig("avt")) {
            Files.writeString(file, config(rig.rx));
            rig.start(file);
            OptionalInt program = rig.attachedProgram();
            assertThat(program).as("the agent's program on %s", rig.rx).isPresent();

            // a rule's drops, the model's drops, benign traffic through every stage
            rig.send(AgentRig.udp("10.77.0.6", 19), 200);
            rig.send(AgentRig.udp("10.77.0.5", 3000), 300); // "high" at 0.95: dropped
            rig.send(AgentRig.udp("10.77.0.8", 4000), 150); // "high" at 0.6: to Java, not dropped
            rig.send(AgentRig.udp("10.77.0.7", 53), 100);
            // a SYN scan of 400 ports from one source (all "low": the model passes it), repeated until the agent blocks it
            long scanSent = 0;
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!rig.output().contains("BLOCKED " + SCANNER) && System.nanoTime() < deadline) {
                scanSent += scan(rig);
                Thread.sleep(700);
            }
            assertThat(rig.output()).as("agent output").contains("BLOCKED " + SCANNER);
            long blockedBefore = rig.counters().dropped(Stage.BLOCKS);
            scanSent += scan(rig); // now dropped in the blocks stage
            long total = 750 + scanSent;
            long end = System.nanoTime() + 3_000_000_000L;
            while (rig.counters().packets() < total && System.nanoTime() < end) {
                Thread.sleep(10);
            }

            Map<String, Object> report = StatusReport.of(rig.rx);
            PipelineCounters c = rig.counters();
            Map<String, Object> fw = stage(report, Stage.FIREWALL);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> rules = (List<Map<String, Object>>) fw.get("rules");
            Map<String, Object> model = stage(report, Stage.MODEL);
            Map<String, Object> blocks = stage(report, Stage.BLOCKS);
            Map<String, Object> deliver = stage(report, Stage.DELIVER);
            System.out.printf("agent veth test: %d frames (scan %d), rule hits %s, model drops %d, blocked %d, mirrored %s, detections: %s%n",
                    total, scanSent, rules.get(0).get("hits"), count(model, "dropped"), count(blocks, "dropped"), deliver.get("mirrored"),
                    rig.output().lines().filter(l -> l.startsWith("DETECTED")).toList());
            assertThat(c.packets()).isEqualTo(total);
            assertThat(report.get("iface")).isEqualTo(rig.rx);
            assertThat(rules).hasSize(1);
            assertThat(rules.get(0).get("rule").toString()).contains("drop udp").contains("19");
            assertThat(count(rules.get(0), "hits")).as("rule hits").isEqualTo(200);
            assertThat(count(fw, "dropped")).isEqualTo(200);
            assertThat(count(model, "dropped")).as("model drops (class high)").isEqualTo(300);
            @SuppressWarnings("unchecked")
            Map<String, Object> classes = (Map<String, Object>) model.get("classes");
            assertThat(count(classes, "high")).isEqualTo(450);
            assertThat(count(model, "low_confidence")).as("'high' below 0.9: to Java instead of dropped").isEqualTo(150);
            assertThat(count(classes, "low")).isGreaterThanOrEqualTo(100 + 400);
            assertThat(count(blocks, "dropped")).as("packets dropped by the block").isGreaterThanOrEqualTo(400)
                    .isGreaterThan(blockedBefore);
            assertThat(count(blocks, "source_blocks")).isEqualTo(1);
            assertThat(count(deliver, "mirrored")).as("packets mirrored to Java").isPositive();
            assertThat(rig.output()).containsPattern("DETECTED .*portscan .*" + SCANNER.replace(".", "\\.")).contains("BLOCKED " + SCANNER);
            assertThat(Files.readString(dir.resolve("detections.jsonl"))).contains("\"detector\":\"portscan\"").contains(SCANNER);

            // one XDP program on the interface, and it is the agent's
            String net = rig.ns.exec("bpftool", "-j", "net", "show", "dev", rig.rx);
            JsonNode xdp = new ObjectMapper().readTree(net).get(0).get("xdp");
            assertThat(xdp).as("bpftool net show dev %s: %s", rig.rx, net).hasSize(1);
            assertThat(xdp.get(0).get("id").asInt()).isEqualTo(program.getAsInt());

            // a second agent on the interface is refused, naming the first one; the first runs on, untouched
            assertThatThrownBy(() -> rig.ns.run(() -> new Agent(AgentConfigLoader.load(file), UnaryOperator.identity(), true,
                    AgentRig.extras(rig.blocksPins.resolveSibling(rig.blocksPins.getFileName() + "-second")), rig.out)))
                    .isInstanceOf(AgentPins.TakenException.class)
                    .hasMessageContaining("pid " + ProcessHandle.current().pid())
                    .hasMessageContaining(AgentPins.dir(rig.rx).toString());
            assertThat(AgentPins.dir(rig.rx).resolve("xdpml_agent")).as("the first agent's pins").exists();
            assertThat(rig.attachedProgram()).isEqualTo(program);
            long before = rig.counters().packets();
            rig.send(AgentRig.udp("10.77.0.7", 53), 64);
            long endAgain = System.nanoTime() + 3_000_000_000L;
            while (rig.counters().packets() < before + 64 && System.nanoTime() < endAgain) {
                Thread.sleep(10);
            }
            assertThat(rig.counters().packets()).isEqualTo(before + 64);

            // closed: nothing attached, nothing pinned
            assertThat(rig.stop()).isZero();
            assertThat(rig.output()).contains("detached.").containsPattern("\\d+ detections");
            assertThat(rig.attachedProgram()).isEmpty();
            assertThat(AgentPins.dir(rig.rx)).doesNotExist();
            assertThat(rig.blocksPins.resolve(rig.rx)).doesNotExist();
            assertThat(rig.ns.exec("bpftool", "-j", "net", "show", "dev", rig.rx)).doesNotContain("\"id\"");
        }
        // the detection as an EVE alert: the scanner as source, blocked (the agent blocked it), dated now
        List<JsonNode> alerts = EveLines.parse(Files.readString(dir.resolve("eve.json")));
        long nowMicros = System.currentTimeMillis() * 1000;
        assertThat(alerts).as("EVE lines").isNotEmpty().allSatisfy(l -> {
            EveLines.assertCommon(l);
            assertThat(l.get("event_type").asText()).isEqualTo("alert");
            assertThat(EveLines.micros(l.get("timestamp").asText())).as("the alert's time, epoch us")
                    .isBetween(nowMicros - 300_000_000L, nowMicros);
        });
        assertThat(alerts).anySatisfy(l -> {
            assertThat(l.get("src_ip").asText()).isEqualTo(SCANNER);
            assertThat(l.get("alert").get("signature_id").asInt()).isEqualTo(8800001);
            assertThat(l.get("alert").get("action").asText()).isEqualTo("blocked");
        });
    }

    /** SYNs from the scanner to ports 1..400, one each; returns 400. */
    static long scan(AgentRig rig) {
        return rig.ns.run(() -> {
            try (LiveFrameGenerator g = LiveFrameGenerator.open(Interfaces.indexOf(rig.tx))) {
                for (int port = 1; port <= 400; port++) {
                    g.send(AgentRig.syn(SCANNER, 50000, port), 1, 0);
                }
            }
            return 400L;
        });
    }
}
