package io.xdpml.agent;

import static io.xdpml.testing.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.xdpml.kernel.BpfSupport;
import io.xdpml.kernel.Interfaces;
import io.xdpml.output.EveLines;
import io.xdpml.output.ipfix.IpfixEncoder;
import io.xdpml.output.ipfix.IpfixReader;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.LiveFrameGenerator;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the running agent's EVE lines say is what it did and what runs: a source it spared
 * (mitigation.never-block) is {@code allowed}, one it blocked {@code blocked}; a flow's class is
 * named by the model that runs now, after a reload to a model with other classes; a reload opens
 * the EVE file again by its name (log rotation).
 */
class AgentEveTest {
    private static final String SPARED = "10.77.0.9";
    private static final String SCANNER = "10.77.0.10";

    @Test
    void aSparedSourceIsAllowedABlockedOneBlocked(@TempDir Path dir) throws Exception {
        require(BpfSupport.unavailableReason().isEmpty(), "needs BPF: " + BpfSupport.unavailableReason().orElse(""));
        Path eve = dir.resolve("eve.json");
        try (AgentRig rig = new AgentRig("aeb")) {
            Path config = dir.resolve("agent.yaml");
            Files.writeString(config, """
                    interfaces: [%s]
                    blocks: {enabled: true}
                    sampling: {every: 1}
                    delivery: {to: mirror}
                    detectors: {enabled: [portscan], window: 1s}
                    mitigation:
                      block: 60s
                      never-block: [%s]
                    outputs:
                      status: 0
                      eve: {file: %s, types: [alert]}
                    """.formatted(rig.rx, SPARED, eve));
            rig.start(config);
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!(said(rig, "NOT BLOCKED " + SPARED + " ") && said(rig, "BLOCKED " + SCANNER + " ")) && System.nanoTime() < deadline) {
                scan(rig, SPARED);
                scan(rig, SCANNER);
                Thread.sleep(700);
            }
            assertThat(said(rig, "NOT BLOCKED " + SPARED + " ")).as("agent output:%n%s", rig.output()).isTrue();
            assertThat(said(rig, "BLOCKED " + SCANNER + " ")).as("agent output:%n%s", rig.output()).isTrue();
            assertThat(rig.stop()).isZero();
        }
        List<JsonNode> alerts = EveLines.parse(Files.readString(eve));
        Predicate<JsonNode> spared = l -> SPARED.equals(l.path("src_ip").asText());
        Predicate<JsonNode> scanner = l -> SCANNER.equals(l.path("src_ip").asText());
        assertThat(alerts).filteredOn(spared).as("the spared source's alerts").isNotEmpty()
                .allSatisfy(l -> assertThat(l.get("alert").get("action").asText()).isEqualTo("allowed"));
        assertThat(alerts).filteredOn(scanner).as("the blocked scanner's alerts").isNotEmpty()
                .allSatisfy(l -> assertThat(l.get("alert").get("action").asText()).isEqualTo("blocked"));
    }

    @Test
    void aFlowsClassIsNamedByTheModelThatRunsAfterAReload(@TempDir Path dir) throws Exception {
        require(BpfSupport.unavailableReason().isEmpty(), "needs BPF: " + BpfSupport.unavailableReason().orElse(""));
        Path eve = dir.resolve("eve.json");
        AgentRig.portModel().write(dir.resolve("a.json"));
        AgentRig.portModel("benign", "attack").write(dir.resolve("b.json"));
        String config = """
                interfaces: [%s]
                flows: {idle-timeout: 1s}
                detectors: {enabled: none}
                model:
                  file: %s
                  mode: "flow:2"
                  actions: {%s: count, %s: count}
                outputs:
                  status: 0
                  eve: {file: %s, types: [flow]}
                """;
        try (AgentRig rig = new AgentRig("aec")) {
            Path file = dir.resolve("agent.yaml");
            Files.writeString(file, config.formatted(rig.rx, dir.resolve("a.json"), "low", "high", eve));
            rig.start(file);
            rig.send(udp(41000, 5000), 3); // port 5000: the model's second class
            assertThat(awaitFlow(eve, 41000).path("xdpml").path("class").asText()).isEqualTo("high");

            AgentRig.writeAtomically(file, config.formatted(rig.rx, dir.resolve("b.json"), "benign", "attack", eve));
            rig.agent().requestReload();
            try (AgentPins.Opened o = AgentPins.open(rig.rx)) {
                AgentReloadTest.awaitReloads(o, rig, 1);
                assertThat(o.info().rejected()).as("agent output:%n%s", rig.output()).isZero();
            }
            rig.send(udp(42000, 5000), 3);
            assertThat(awaitFlow(eve, 42000).path("xdpml").path("class").asText()).as("named by the model reloaded").isEqualTo("attack");
            assertThat(rig.stop()).isZero();
        }
    }

    /** logrotate's create, then a reload (SIGHUP): the agent writes on to a new file of the name, not to the renamed one. */
    @Test
    void aReloadOpensTheEveIpfixAndDetectionsFilesAgain(@TempDir Path dir) throws Exception {
        require(BpfSupport.unavailableReason().isEmpty(), "needs BPF: " + BpfSupport.unavailableReason().orElse(""));
        Path eve = dir.resolve("eve.json");
        Path rotated = dir.resolve("eve.json.1");
        Path ipfix = dir.resolve("flows.ipfix");
        Path ipfixRotated = dir.resolve("flows.ipfix.1");
        Path json = dir.resolve("detections.jsonl");
        try (AgentRig rig = new AgentRig("aer")) {
            Path file = dir.resolve("agent.yaml");
            Files.writeString(file, """
                    interfaces: [%s]
                    flows: {idle-timeout: 1s}
                    detectors: {enabled: none}
                    outputs:
                      status: 0
                      eve: {file: %s, types: [flow]}
                      ipfix: {file: %s}
                      json: %s
                    """.formatted(rig.rx, eve, ipfix, json));
            rig.start(file);
            rig.send(udp(41000, 5000), 3);
            awaitFlow(eve, 41000);
            awaitIpfixFlow(ipfix, 41000);
            Files.move(eve, rotated);
            Files.move(ipfix, ipfixRotated);
            Files.move(json, dir.resolve("detections.jsonl.1"));
            rig.agent().requestReload();
            try (AgentPins.Opened o = AgentPins.open(rig.rx)) {
                AgentReloadTest.awaitReloads(o, rig, 1);
            }
            assertThat(json).as("the detections file opened again by its name").exists();
            rig.send(udp(42000, 5000), 3);
            awaitFlow(eve, 42000);
            awaitIpfixFlow(ipfix, 42000);
            assertThat(rig.stop()).isZero();
        }
        assertThat(EveLines.parse(Files.readString(rotated))).extracting(l -> l.get("src_port").asInt()).containsExactly(41000);
        assertThat(EveLines.parse(Files.readString(eve))).extracting(l -> l.get("src_port").asInt()).containsExactly(42000);
        assertThat(ipfixSourcePorts(ipfixRotated)).containsExactly(41000L);
        assertThat(ipfixSourcePorts(ipfix)).containsExactly(42000L);
        assertThat(new IpfixReader().read(ByteBuffer.wrap(Files.readAllBytes(ipfix))).getFirst().templateIds())
                .as("the new IPFIX file begins with the templates").containsExactly(256, 257);
    }

    /** The source ports of the IPFIX file's data records. */
    private static List<Long> ipfixSourcePorts(Path file) throws Exception {
        List<Long> ports = new ArrayList<>();
        if (Files.exists(file)) {
            for (IpfixReader.Message m : new IpfixReader().read(ByteBuffer.wrap(Files.readAllBytes(file)))) {
                m.records().forEach(r -> ports.add(r.number(IpfixEncoder.SOURCE_TRANSPORT_PORT)));
            }
        }
        return ports;
    }

    private static void awaitIpfixFlow(Path file, int sport) throws Exception {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                if (ipfixSourcePorts(file).contains((long) sport)) {
                    return;
                }
            } catch (IllegalStateException writeUnderWay) {
                // read while a message was being written: look again
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no IPFIX record from source port " + sport + " in " + file);
    }

    /** The EVE flow line of the flow from source port {@code sport}, waited for while the agent runs (at most 15 s). */
    static JsonNode awaitFlow(Path eve, int sport) throws Exception {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(eve)) {
                for (JsonNode l : EveLines.parse(Files.readString(eve))) {
                    if (l.path("src_port").asInt() == sport) {
                        return l;
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no EVE flow line from source port " + sport + " in " + eve);
    }

    private static boolean said(AgentRig rig, String start) {
        return rig.output().lines().anyMatch(l -> l.startsWith(start));
    }

    /** SYNs from {@code src} to ports 1..400, one each. */
    private static void scan(AgentRig rig, String src) {
        rig.ns.run(() -> {
            try (LiveFrameGenerator g = LiveFrameGenerator.open(Interfaces.indexOf(rig.tx))) {
                for (int port = 1; port <= 400; port++) {
                    g.send(AgentRig.syn(src, 50000, port), 1, 0);
                }
            }
            return null;
        });
    }

    private static byte[] udp(int sport, int dport) {
        return new FrameBuilder().ethernet().ipv4("10.77.0.1", "10.77.0.2").udp(sport, dport).payload(18).build();
    }
}
