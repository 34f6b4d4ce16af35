package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.testing.NetSnmp;
import io.xdpml.testing.TestData;
import io.xdpml.testing.UdpEcho;
import java.io.StringWriter;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A UDP flood from spoofed sources, live, through {@code xdpml run} with the example configuration and
 * {@code mitigation.udp-limit: 2000/s} set: hping3 in the outside namespace sends 20,000 datagrams a second to port 5353
 * of the victim, each from a random source address ({@code --rand-source}), so there is no source to block. The agent's
 * {@code volumetric} reports the victim, mostly UDP to port 5353, and the agent puts in
 * {@code udp-limit udp->VICTIM:5353 2000/s}: from then on the datagrams at the victim's stack (its UDP counters, to a
 * closed port: NoPorts) come at about the limit. Meanwhile the victim's own exchanges with a UDP echo service of the
 * outside host are answered, every one: their answers come to another port of the victim (40000), which the limit of
 * port 5353 does not cover. (On one NIC, as here, the agent does not see the victim's requests go out, so conntrack would
 * not spare answers to a limited port: docs/firewall.md, "Measures".)
 */
class RealToolsUdpFloodTest {
    static final String VICTIM = "10.75.0.2";
    static final String OUTSIDE = "10.75.0.1";

    @Test
    void aSpoofedUdpFloodIsHeldToTheConfiguredLimitWhileTheVictimsOwnExchangesPass() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("hping3");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-udpflood-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-udpflood");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-ufv"); NetworkNamespace outside = NetworkNamespace.create("xdpml-ufo");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "ruf1", VICTIM, outside, "ruf0", List.of(OUTSIDE));
            Path config = dir.resolve("agent.yaml");
            String example = RealToolsConnFloodTest.exampleConfig("ruf1", dir);
            String limited = example.replaceFirst("(?m)^  # udp-limit: .*$", "  udp-limit: 2000/s");
            assertThat(limited).as("the example's udp-limit line set").contains("\n  udp-limit: 2000/s");
            Files.writeString(config, limited);

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "ruf1", out, err, "run", "--config", config.toString(),
                    "--duration", "20", "--pin-dir", pins.toString(), "--quiet-status");

            try (DatagramSocket echo = outside.run(() -> new DatagramSocket(new InetSocketAddress(OUTSIDE, 7)));
                 DatagramSocket client = victim.run(() -> new DatagramSocket(new InetSocketAddress(VICTIM, 40000)))) {
                Thread echoing = UdpEcho.serve(echo);
                UdpEcho.Client user = new UdpEcho.Client(client, new InetSocketAddress(OUTSIDE, 7), 1000, 50);
                Thread.sleep(1000); // the agent attached
                long udp0 = victim.run(() -> NetSnmp.udp("NoPorts"));
                long t0 = System.nanoTime();
                Process hping = RealTools.start(outside, dir.resolve("hping3.txt"), "timeout", "-s", "INT", "12", "hping3", "--udp",
                        "--rand-source", "-p", "5353", "-d", "20", "-i", "u50", VICTIM);
                String measure = "MEASURE udp-limit udp->" + VICTIM + ":5353 2000/s";
                while (!out.toString().contains(measure) && System.nanoTime() - t0 < 10_000_000_000L) {
                    Thread.sleep(20);
                }
                double actedAfter = (System.nanoTime() - t0) / 1e9;
                long udpAtMeasure = victim.run(() -> NetSnmp.udp("NoPorts"));
                assertThat(out.toString()).as("the agent's measure; its output:\n%s", out).contains(measure);
                Thread.sleep(1000);
                long udp1 = victim.run(() -> NetSnmp.udp("NoPorts"));
                long w0 = System.nanoTime();
                Thread.sleep(4000);
                long udp2 = victim.run(() -> NetSnmp.udp("NoPorts"));
                double window = (System.nanoTime() - w0) / 1e9;
                boolean attackOn = hping.isAlive();
                assertThat(hping.waitFor(20, TimeUnit.SECONDS)).as("hping3 ends").isTrue();
                user.close();
                echo.close();
                echoing.join(2000);
                assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
                String agent = out.toString();
                Files.writeString(dir.resolve("run.txt"), agent);
                double before = (udpAtMeasure - udp0) / actedAfter;
                double after = (udp2 - udp1) / window;
                System.out.printf("spoofed UDP flood live: measure %.1f s after the start; datagrams at the victim's stack %.0f/s before it"
                        + " (%d), %.0f/s in the %.1f s window after it (%d); the victim's own exchanges: %d of %d answered%n", actedAfter,
                        before, udpAtMeasure - udp0, after, window, udp2 - udp1, user.answered(), user.asked());

                assertThat(agent).containsPattern("DETECTED .*volumetric +" + VICTIM.replace(".", "\\."));
                assertThat(agent).as("no source named or blocked: they are spoofed").doesNotContain("BLOCKED");
                assertThat(attackOn).as("the attack went on through the window").isTrue();
                assertThat(before).as("datagrams a second at the victim before the measure (volumetric's floor: 5,000)").isGreaterThan(5_000);
                // 2,000/s and the burst of 2,000 at most once: the limit, not the flood's 20,000/s
                assertThat(after).as("datagrams a second at the victim under the udp-limit").isBetween(1_500.0, 2_600.0);
                assertThat(user.asked()).as("exchanges during the run").isGreaterThan(50);
                assertThat(user.answered()).as("the victim's own exchanges to another port, all answered").isEqualTo(user.asked());
            }
        } finally {
            RealTools.keepOutputs(dir, "real-tools-udpflood");
        }
    }
}
