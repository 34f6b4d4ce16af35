package io.xdpml.agent;

import static io.xdpml.testing.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.xdpml.kernel.BpfSupport;
import io.xdpml.output.EveLines;
import io.xdpml.output.ipfix.IpfixEncoder;
import io.xdpml.output.ipfix.IpfixReader;
import io.xdpml.packet.FrameBuilder;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The running agent's flow outputs on a veth pair: flows that go idle while it runs (found by its
 * sweeps), a TCP conversation that closes (reported once with the last ACK it absorbed), flows
 * still going when it stops; each exported once with its packets per direction and its end reason.
 * The same with a model that classifies each flow at its 2nd packet: every later packet of a flow
 * is counted without its timing statistics (docs/flows.md, "Cached flows"), live, on the coarse
 * clock, and the exports are the same.
 */
class AgentFlowOutputsTest {
    private static final String A = "10.77.0.1";
    private static final String B = "10.77.0.2";

    @Test
    void flowsAreExportedOnceAsTheyEnd(@TempDir Path dir) throws Exception {
        flowsExportedOnce(dir, "", false);
    }

    @Test
    void flowsWithACachedClassAreExportedAlike(@TempDir Path dir) throws Exception {
        AgentRig.portModel().write(dir.resolve("model.json"));
        flowsExportedOnce(dir, """
                model:
                  file: %s
                  mode: "flow:2"
                  actions: {low: count, high: count}
                """.formatted(dir.resolve("model.json")), true);
    }

    private void flowsExportedOnce(Path dir, String model, boolean cached) throws Exception {
        require(BpfSupport.unavailableReason().isEmpty(), "needs BPF: " + BpfSupport.unavailableReason().orElse(""));
        Path ipfix = dir.resolve("flows.ipfix");
        Path eve = dir.resolve("eve.json");
        String iface;
        try (AgentRig rig = new AgentRig("fo")) {
            Path config = dir.resolve("agent.yaml");
            Files.writeString(config, """
                    interfaces: [%s]
                    flows: {idle-timeout: 1s}
                    detectors: {enabled: none}
                    outputs:
                      status: 0
                      ipfix: {file: %s}
                      eve: {file: %s}
                    %s""".formatted(rig.rx, ipfix, eve, model));
            iface = rig.rx;
            rig.start(config);
            // 1. a UDP flow that goes quiet: the agent's sweep reports it as idle while it runs
            rig.send(udp(A, 41000, 5000), 7);
            // flushed while the agent runs (once a second), not held until a buffer fills or the agent stops
            long deadline = System.nanoTime() + 15_000_000_000L;
            while ((ipfixRecords(ipfix).isEmpty() || eveLines(eve).isEmpty()) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(rig.agent()).as("still running").isNotNull();
            assertThat(ipfixRecords(ipfix)).as("the idle flow's IPFIX record, while the agent runs").hasSize(1)
                    .allSatisfy(r -> assertThat(r.number(IpfixEncoder.SOURCE_TRANSPORT_PORT)).isEqualTo(41000));
            assertThat(eveLines(eve)).as("the idle flow's EVE line, while the agent runs").hasSize(1)
                    .allSatisfy(l -> assertThat(l.get("src_port").asInt()).isEqualTo(41000));
            // 2. a TCP conversation, both directions, closed by FIN both ways, then the last ACK
            rig.send(tcp(A, 42000, B, 80, 0x02), 1);      // SYN
            rig.send(tcp(B, 80, A, 42000, 0x12), 1);      // SYN-ACK
            rig.send(tcp(A, 42000, B, 80, 0x10), 1);      // ACK
            rig.send(tcp(A, 42000, B, 80, 0x18), 3);      // data
            rig.send(tcp(B, 80, A, 42000, 0x18), 2);      // data back
            rig.send(tcp(A, 42000, B, 80, 0x11), 1);      // FIN
            rig.send(tcp(B, 80, A, 42000, 0x11), 1);      // FIN back: the close is reported...
            rig.send(tcp(A, 42000, B, 80, 0x10), 1);      // ... and the last ACK is absorbed into it
            // 3. a UDP flow still going when the agent stops
            rig.send(udp(A, 43000, 53), 4);
            rig.send(udp(B, 53, A, 43000), 2);
            long until = System.nanoTime() + 10_000_000_000L;
            while (rig.counters().packets() < 7 + 11 + 6 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            // packets after each flow's 2nd: 5 of the first UDP flow, 9 of the TCP conversation, 4 of the last
            assertThat(cachedPackets(rig)).as("packets counted without timing statistics").isEqualTo(cached ? 5 + 9 + 4 : 0);
            assertThat(rig.stop()).isZero();
            assertThat(rig.output()).contains("EVE: 0 alerts, 3 flows; IPFIX: 3 flows, ");
        }
        Map<Integer, IpfixReader.Record> bySourcePort = new HashMap<>();
        List<IpfixReader.Record> records = ipfixRecords(ipfix);
        for (IpfixReader.Record r : records) {
            bySourcePort.put((int) r.number(IpfixEncoder.SOURCE_TRANSPORT_PORT), r);
        }
        assertThat(records).as("one record per flow: %s", records).hasSize(3);
        assertFlow(bySourcePort.get(41000), 7, 0, IpfixEncoder.END_IDLE_TIMEOUT);
        assertFlow(bySourcePort.get(42000), 7, 4, IpfixEncoder.END_OF_FLOW_DETECTED);
        assertThat(bySourcePort.get(42000).number(IpfixEncoder.TCP_CONTROL_BITS) & 0x1f).as("FIN SYN PSH ACK").isEqualTo(0x1b);
        assertFlow(bySourcePort.get(43000), 4, 2, IpfixEncoder.END_FORCED);

        // the same flows as EVE flow events, each once, from the agent's interface
        List<JsonNode> lines = EveLines.parse(Files.readString(eve));
        assertThat(lines).as("EVE lines").hasSize(3);
        Map<Integer, JsonNode> events = new HashMap<>();
        for (JsonNode l : lines) {
            EveLines.assertCommon(l);
            assertThat(l.get("event_type").asText()).isEqualTo("flow");
            assertThat(l.get("in_iface").asText()).isEqualTo(iface);
            events.put(l.get("src_port").asInt(), l);
        }
        assertEvent(events.get(41000), 7, 0, "swept_idle");
        assertEvent(events.get(42000), 7, 4, "tcp_close");
        assertThat(events.get(42000).get("flow").get("state").asText()).isEqualTo("closed");
        assertEvent(events.get(43000), 4, 2, "end");
    }

    private static long cachedPackets(AgentRig rig) {
        try (AgentPins.Opened o = AgentPins.open(rig.rx)) {
            return o.map("xdpml_flow_counters").sumPerCpuLongs(io.xdpml.flow.FlowCounter.CACHED.id())[0];
        }
    }

    private static void assertEvent(JsonNode l, long toServer, long toClient, String reason) {
        assertThat(l).isNotNull();
        assertThat(l.get("flow").get("pkts_toserver").asLong()).isEqualTo(toServer);
        assertThat(l.get("flow").get("pkts_toclient").asLong()).isEqualTo(toClient);
        assertThat(l.get("xdpml").get("reason").asText()).isEqualTo(reason);
        assertThat(l.get("community_id").asText()).isEqualTo(EveLines.recomputedCommunityId(l));
        assertThat(Math.abs(EveLines.micros(l.get("flow").get("start").asText()) / 1000 - System.currentTimeMillis()))
                .as("wall-clock start").isLessThan(120_000);
    }

    private static void assertFlow(IpfixReader.Record r, long forward, long backward, int reason) {
        assertThat(r).isNotNull();
        assertThat(r.number(IpfixEncoder.PACKET_DELTA_COUNT)).as("initiator's packets").isEqualTo(forward);
        assertThat(r.reverse(IpfixEncoder.PACKET_DELTA_COUNT)).as("responder's packets").isEqualTo(backward);
        assertThat(r.number(IpfixEncoder.FLOW_END_REASON)).as("end reason").isEqualTo(reason);
        long start = r.number(IpfixEncoder.FLOW_START_MILLISECONDS);
        assertThat(Math.abs(start - System.currentTimeMillis())).as("wall-clock start time").isLessThan(120_000);
    }

    private static List<JsonNode> eveLines(Path file) throws Exception {
        return Files.exists(file) ? EveLines.parse(Files.readString(file)) : List.of();
    }

    private static List<IpfixReader.Record> ipfixRecords(Path file) throws Exception {
        if (!Files.exists(file)) {
            return List.of();
        }
        byte[] bytes = Files.readAllBytes(file);
        return new IpfixReader().read(ByteBuffer.wrap(bytes)).stream().flatMap(m -> m.records().stream()).toList();
    }

    private static byte[] udp(String src, int sport, int dport) {
        return new FrameBuilder().ethernet().ipv4(src, B).udp(sport, dport).payload(18).build();
    }

    private static byte[] udp(String src, int sport, String dst, int dport) {
        return new FrameBuilder().ethernet().ipv4(src, dst).udp(sport, dport).payload(18).build();
    }

    private static byte[] tcp(String src, int sport, String dst, int dport, int flags) {
        return new FrameBuilder().ethernet().ipv4(src, dst).tcp(sport, dport, flags).payload(flags == 0x18 ? 20 : 0).build();
    }
}
