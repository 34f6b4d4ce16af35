package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.testing.TestData;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The example configuration's model, live: {@code xdpml run} on a victim's veth end (10.68.0.2) with
 * the shipped forest (the model file {@code config/xdpml.example.yaml} names, read from it; the one-way
 * forest since 2026-12-06) dropping its class {@code attack} at confidence 0.9, as the example does,
 * and no detector and no mitigation, so
 * the model in XDP is the only thing that can drop. From an outside namespace: an nmap SYN scan of
 * 1,000 ports (10.68.0.4) and iperf3 at 100 Mbit/s as the benign TCP flow (10.68.0.3). The scan's
 * SYNs do not reach the victim (nmap finds every port filtered, where without XDP the victim answers
 * each with a RST), and iperf3 keeps at least 95% of its rate.
 */
class RealToolsModelTest {
    static final String VICTIM = "10.68.0.2";
    static final String BENIGN = "10.68.0.3";
    static final String SCANNER = "10.68.0.4";

    /** The model file the example configuration names: what an operator who starts from it runs. */
    static Path shippedModel() throws Exception {
        return AgentConfigLoader.load(Path.of("config/xdpml.example.yaml")).model().file();
    }

    @Test
    void theShippedForestDropsASynScanInXdpWhileIperf3KeepsItsRate() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("nmap", "iperf3");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-model-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-model-live");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-mvic"); NetworkNamespace outside = NetworkNamespace.create("xdpml-mout");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "rmv1", VICTIM, outside, "rmv0", List.of(BENIGN, SCANNER));
            Path config = dir.resolve("agent.yaml");
            Files.writeString(config, """
                    interfaces: [rmv1]
                    flows:
                      max-flows: 65536
                    model:
                      file: %s
                      mode: packet
                      actions: {attack: drop, benign: pass}
                      min-confidence: {attack: 0.9}
                    sampling:
                      every: 100
                    detectors:
                      enabled: none
                    """.formatted(shippedModel()));

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "rmv1", out, err, "run", "--config", config.toString(),
                    "--duration", "12", "--pin-dir", pins.toString(), "--quiet-status");

            RealTools.VictimTap tap = new RealTools.VictimTap(victim, "rmv1", BENIGN);
            Process server = RealTools.start(victim, dir.resolve("iperf3-server.txt"), "iperf3", "-s", "-p", "5201", "-1");
            Thread.sleep(300);
            Process client = RealTools.start(outside, dir.resolve("iperf3.json"), "iperf3", "-c", VICTIM, "-B", BENIGN, "-p", "5201", "-t", "8",
                    "-b", "100M", "-J");
            Thread.sleep(1000);
            Path nmap = dir.resolve("nmap-sS.txt");
            RealTools.runToEnd(outside, nmap, "nmap", "-n", "-Pn", "-sS", "-p", "1-1000", "--max-retries", "0", "-T5", "-S", SCANNER, "-e", "rmv0",
                    VICTIM);
            assertThat(client.waitFor(30, TimeUnit.SECONDS)).as("iperf3 client ends").isTrue();
            server.waitFor(5, TimeUnit.SECONDS);
            server.destroy();
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            tap.stop();
            Files.writeString(Path.of("target", "real-tools-model-run.txt"), out.toString());

            long reached = tap.from(SCANNER, 0, Long.MAX_VALUE);
            String scan = Files.readString(nmap);
            double received = RealTools.iperf3Received(dir.resolve("iperf3.json"));
            System.out.printf("model live: %d of the scan's packets reached the victim; iperf3 %.1f Mbit/s of 100%n", reached, received / 1e6);
            // the scan ran, and nothing answered it: its SYNs were dropped before the victim's stack
            assertThat(scan).as(scan).contains("1000 scanned ports").doesNotContainPattern("\\d+ closed tcp ports");
            assertThat(reached).as("the scan's packets at the victim (1,000 sent)").isLessThanOrEqualTo(50);
            // the benign flow kept at least 95% of its rate
            assertThat(received).as("iperf3 bits/s received (100 Mbit/s asked)").isGreaterThanOrEqualTo(95e6);
        } finally {
            RealTools.keepOutputs(dir, "real-tools-model");
        }
    }
}
