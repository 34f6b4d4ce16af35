package io.xdpml.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.dataplane.PacketResult;
import io.xdpml.detect.Detection;
import io.xdpml.firewall.Measure;
import io.xdpml.packet.FrameBuilder;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's mitigation on answers to its host's own requests, through the twin (its data plane,
 * its detectors with their defaults, its measures): XDP sees what arrives, so the host's requests
 * never reach the detectors. Before, a host running its own resolver (200 answers of 600 B a second
 * from 25 servers) got {@code port-drop udp/53->host}, its own DNS cut while the answers went on,
 * and an HTTP/3 client {@code port-drop udp/443->host}. A DNS amplification sprayed from 300
 * resolvers still gets its port-drop.
 */
class OneWayMeasuresTest {
    private static final long S = 1_000_000_000L;
    private static final long T0 = 1_700_000_000L * S;
    private static final String HOST = "192.0.2.53";

    @TempDir
    Path dir;

    private AgentConfig config() throws Exception {
        Path f = dir.resolve("agent.yaml");
        Files.writeString(f, """
                interfaces: [eth0]
                firewall:
                  rules: |
                    default pass
                flows: {max-flows: 65536}
                sampling: {every: 1}
                delivery: {to: mirror}
                mitigation: {measures: true, measure-time: 60s}
                """);
        return AgentConfigLoader.load(f);
    }

    private record Outcome(List<Detection> detections, List<String> measures, int passed) {}

    /** {@code perSecond} frames a second for {@code seconds}, each chosen by {@code frame} from its index. */
    private Outcome run(java.util.function.IntFunction<byte[]> frame, int perSecond, int seconds) throws Exception {
        List<Detection> detections = new ArrayList<>();
        List<String> measures = new ArrayList<>();
        AgentTwin twin = new AgentTwin(config(), new AgentTwin.Events() {
            @Override
            public void detected(Detection d) {
                detections.add(d);
            }

            @Override
            public void measured(Measure m, Detection d) {
                measures.add(m.toString());
            }
        }, Integer.MAX_VALUE);
        int passed = 0;
        for (int i = 0; i < perSecond * seconds; i++) {
            byte[] f = frame.apply(i);
            if (twin.packet(MemorySegment.ofArray(f), f.length, T0 + i * (S / perSecond)).action() == PacketResult.XDP_PASS) {
                passed++;
            }
        }
        twin.finish();
        return new Outcome(detections, measures, passed);
    }

    private static byte[] udp(String src, int sport, int dport, int frameBytes) {
        return new FrameBuilder().ethernet().ipv4(src, HOST).udp(sport, dport).payload(frameBytes - 42).build();
    }

    @Test
    void aHostsOwnResolverKeepsItsDns() throws Exception {
        Random rnd = new Random(7);
        Outcome o = run(i -> udp("198.51.100." + (1 + rnd.nextInt(25)), 53, 32768 + rnd.nextInt(28232), 600), 200, 10);
        assertThat(o.measures()).isEmpty();
        assertThat(o.detections()).isEmpty();
        assertThat(o.passed()).isEqualTo(2000);
    }

    @Test
    void anHttp3ClientKeepsItsDownloads() throws Exception {
        Random rnd = new Random(8);
        Outcome o = run(i -> {
            int cdn = rnd.nextInt(25);
            return udp("203.0.113." + (1 + cdn), 443, 50000 + cdn, 1200);
        }, 200, 10);
        assertThat(o.measures()).isEmpty();
        assertThat(o.detections()).isEmpty();
        assertThat(o.passed()).isEqualTo(2000);
    }

    @Test
    void aDnsAmplificationSprayedFromManyResolversIsStillDropped() throws Exception {
        Random rnd = new Random(9);
        // 300 resolvers answer ANY queries spoofed from the host's random ports: 1,400 B, 2,000 a second for 5 s
        Outcome o = run(i -> {
            int r = rnd.nextInt(300);
            return udp("198.18." + r / 250 + "." + (1 + r % 250), 53, 32768 + rnd.nextInt(28232), 1400);
        }, 2000, 5);
        assertThat(o.measures()).containsExactly("port-drop udp/53->" + HOST);
        assertThat(o.detections()).extracting(Detection::detector).contains("amplification");
        assertThat(o.passed()).as("dropped from within its first second").isLessThan(2000);
    }
}
