package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.testing.Requirements;
import io.xdpml.testing.TestData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} of an agent that delivers to AF_XDP: the packets redirected to the socket, what
 * Java received, the socket's kernel statistics per queue, and no XDP-to-Java histogram (that one
 * is the mirror ring's); {@code promtool check metrics} clean on it too.
 */
class AgentMetricsAfXdpTest {
    @Test
    void afXdpDeliveryShowsTheSocketStatistics(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Requirements.require(Files.isExecutable(MetricsPrometheusTest.PROMTOOL), "promtool not installed (scripts/setup installs prometheus)");
        Path file = dir.resolve("agent.yaml");
        try (AgentRig rig = new AgentRig("amx")) {
            Files.writeString(file, """
                    interfaces: [%s]
                    sampling: {every: 1}
                    delivery: {to: af_xdp, queues: [0]}
                    detectors: {enabled: [volumetric]}
                    outputs:
                      status: 0
                      metrics: {listen: 127.0.0.1:9465}
                    """.formatted(rig.rx));
            rig.start(file);
            rig.send(AgentRig.udp("10.77.0.7", 53), 100);
            String url = "http://127.0.0.1:9465/metrics";
            String i = "iface=\"" + rig.rx + "\"";
            String text = "";
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline) {
                text = MetricsPrometheusTest.get(rig, url);
                if (value(text, "xdpml_java_received_packets_total{" + i + "}") == 100) {
                    break;
                }
                Thread.sleep(100);
            }
            System.out.println("af_xdp metrics: " + text.lines().filter(l -> l.startsWith("xdpml_xsk") || l.startsWith("xdpml_delivered")
                    || l.startsWith("xdpml_java_received") || l.startsWith("xdpml_exit")).toList());
            assertThat(value(text, "xdpml_packets_total{" + i + "}")).isEqualTo(100);
            assertThat(value(text, "xdpml_delivered_packets_total{" + i + ",way=\"af_xdp\"}")).isEqualTo(100);
            assertThat(value(text, "xdpml_exit_packets_total{action=\"redirect\"," + i + "}")).isEqualTo(100);
            assertThat(value(text, "xdpml_java_received_packets_total{" + i + "}")).isEqualTo(100);
            assertThat(value(text, "xdpml_xsk_rx_dropped_total{" + i + ",queue=\"0\"}")).isZero();
            assertThat(value(text, "xdpml_xsk_rx_ring_full_total{" + i + ",queue=\"0\"}")).isZero();
            // where the metadata travels, the layout the probe gives on this machine (an info series: value 1)
            String layout = io.xdpml.kernel.XdpFeatures.adjustMetaAllowed() ? "before_frame" : "in_frame";
            assertThat(value(text, "xdpml_xsk_metadata_info{" + i + ",layout=\"" + layout + "\"}")).as("metadata layout").isEqualTo(1);
            assertThat(text).contains("xdpml_xsk_fill_ring_empty_total{" + i + ",queue=\"0\"}")
                    .contains("xdpml_java_packet_latency_seconds_count{" + i + "} 100").doesNotContain("xdpml_xdp_to_java_latency_seconds");

            assertThat(MetricsPrometheusTest.documented()).as("docs/metrics.md").containsAll(MetricsPrometheusTest.families(text));
            Process promtool = new ProcessBuilder(MetricsPrometheusTest.PROMTOOL.toString(), "check", "metrics").redirectErrorStream(true).start();
            try (var in = promtool.getOutputStream()) {
                in.write(text.getBytes(StandardCharsets.UTF_8));
            }
            String lint = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(lint).as("promtool check metrics").isBlank();
            assertThat(promtool.exitValue()).isZero();

            // xdpml_reloads_total is the agent's own count: 'fw load' or 'deploy' writing the pinned record with the
            // counts it read before a reload (here: the record as it was before it) does not take it back
            AgentInfo before = rig.info();
            rig.agent().requestReload();
            try (AgentPins.Opened o = AgentPins.open(rig.rx)) {
                AgentReloadTest.awaitReloads(o, rig, 1);
                before.write(o.map(AgentPins.INFO));
            }
            text = MetricsPrometheusTest.get(rig, url);
            assertThat(value(text, "xdpml_reloads_total{result=\"applied\"}")).as("after a reload and a stale record").isEqualTo(1);
        }
    }

    /** The value of the sample {@code series} (labels in the order the exposition writes them: by name), or -1. */
    static double value(String exposition, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(exposition);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }
}
