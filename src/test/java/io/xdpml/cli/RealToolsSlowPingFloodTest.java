package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.testing.NetSnmp;
import io.xdpml.testing.TestData;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A slow ping flood, live, through {@code xdpml run} with the example configuration as it ships: {@code ping -i 0.005}
 * (200 echo requests a second, far under the 5,000/s floors of {@code flood} and {@code volumetric}) from one address of the
 * outside namespace, and beside it an ordinary ping (5 a second) from another. {@code flood}'s slow echo rule names the
 * flooder once its requests held 100 a second over 5 s; the agent blocks it, and the victim's stack then takes in none of
 * its requests (its ICMP counter InEchos moves only with the ordinary ping's), while the ordinary ping is answered
 * throughout. Before 2026-12-07 nothing named a ping flood slower than 5,000 a second (the tenth held-out set's, at 200).
 */
class RealToolsSlowPingFloodTest {
    static final String VICTIM = "10.74.0.2";
    static final String FLOODER = "10.74.0.1";
    static final String PINGER = "10.74.0.3";

    @Test
    void aPingFloodOf200ASecondIsNamedAndBlockedWhileAnOrdinaryPingGoesOn() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("ping");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-slowping-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-slowping");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-spv"); NetworkNamespace outside = NetworkNamespace.create("xdpml-spo");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "rsp1", VICTIM, outside, "rsp0", List.of(FLOODER, PINGER));
            Path config = dir.resolve("agent.yaml");
            Files.writeString(config, RealToolsConnFloodTest.exampleConfig("rsp1", dir));
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "rsp1", out, err, "run", "--config", config.toString(),
                    "--duration", "25", "--pin-dir", pins.toString(), "--quiet-status");
            Thread.sleep(1000); // the agent attached
            Process ordinary = RealTools.start(outside, dir.resolve("ping-ordinary.txt"), "ping", "-n", "-i", "0.2", "-c", "90", "-I", PINGER,
                    VICTIM);
            long t0 = System.nanoTime();
            Process flood = RealTools.start(outside, dir.resolve("ping-flood.txt"), "timeout", "-s", "INT", "16", "ping", "-n", "-q", "-i",
                    "0.005", "-s", "56", "-I", FLOODER, VICTIM);
            String blocked = "BLOCKED " + FLOODER;
            while (!out.toString().contains(blocked) && System.nanoTime() - t0 < 14_000_000_000L) {
                Thread.sleep(20);
            }
            double actedAfter = (System.nanoTime() - t0) / 1e9;
            assertThat(out.toString()).as("the agent's block; its output:\n%s", out).contains(blocked);
            Thread.sleep(500);
            long echos1 = victim.run(() -> NetSnmp.icmp("InEchos"));
            long w0 = System.nanoTime();
            Thread.sleep(4000);
            long echos2 = victim.run(() -> NetSnmp.icmp("InEchos"));
            double window = (System.nanoTime() - w0) / 1e9;
            boolean floodOn = flood.isAlive();
            assertThat(flood.waitFor(20, TimeUnit.SECONDS)).as("the flood's ping ends").isTrue();
            assertThat(ordinary.waitFor(30, TimeUnit.SECONDS)).as("the ordinary ping ends").isTrue();
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            String agent = out.toString();
            Files.writeString(dir.resolve("run.txt"), agent);
            String ordinaryOut = Files.readString(dir.resolve("ping-ordinary.txt"));
            System.out.printf("slow ping flood live: %s blocked %.1f s after its start; echo requests at the victim's stack in the %.1f s"
                    + " window after: %d (the ordinary ping's 5/s: ~%.0f); ordinary ping: %s%n", FLOODER, actedAfter, window,
                    echos2 - echos1, 5 * window, ordinaryOut.lines().filter(l -> l.contains("packet loss")).findFirst().orElse("?"));

            assertThat(agent).containsPattern("DETECTED .*flood +" + VICTIM.replace(".", "\\.") + " .*echo requests from " + FLOODER.replace(".", "\\."));
            assertThat(actedAfter).as("named after its requests held 100/s over 5 s").isBetween(4.5, 10.0);
            assertThat(floodOn).as("the flood went on through the window").isTrue();
            // 200/s unblocked would be ~800 in 4 s; what comes is the ordinary ping's (~20)
            assertThat(echos2 - echos1).as("echo requests at the victim's stack once the flooder is blocked").isBetween(10L, 30L);
            assertThat(agent).as("the ordinary pinger is not named").doesNotContain("BLOCKED " + PINGER);
            assertThat(ordinaryOut).as("the ordinary ping, answered throughout").contains("90 packets transmitted, 90 received");
        } finally {
            RealTools.keepOutputs(dir, "real-tools-slowping");
        }
    }
}
