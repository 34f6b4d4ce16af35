package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.testing.TestData;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * ACK scans, live: {@code xdpml run} with portscan and flood on a victim's veth end (10.65.0.2); from
 * an outside namespace an nmap ACK scan ({@code -sA}, 10.65.0.4) and iperf3 as the benign TCP flow
 * (10.65.0.3, 100 Mbit/s: a conversation at flood rate, of which the agent's XDP sees one direction).
 * The scan is detected and its source blocked within seconds, so a second ACK scan gets nothing
 * through; iperf3 keeps at least 95% of its rate and its source is never blocked (an ACK flood
 * detector that counted its segments, seeing no answers, blocked it: so flood counts TCP with ACK
 * only with {@code flood.twoWay=1}, docs/detectors.md).
 */
class RealToolsTcpKindsTest {
    static final String VICTIM = "10.65.0.2";
    static final String BENIGN = "10.65.0.3";
    static final String ACK_SCANNER = "10.65.0.4";

    @Test
    void anAckScanIsBlockedWhileIperf3KeepsItsRate() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("hping3", "nmap", "iperf3");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-tcpkinds-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-tcpkinds");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-tvic"); NetworkNamespace outside = NetworkNamespace.create("xdpml-tout");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "rav1", VICTIM, outside, "rav0", List.of(BENIGN, ACK_SCANNER));

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "rav1", out, err, "run", "--iface", "rav1", "--detectors", "portscan,flood",
                    "--window", "1", "--block", "60", "--duration", "14", "--pin-dir", pins.toString(), "--quiet-status");

            RealTools.VictimTap tap = new RealTools.VictimTap(victim, "rav1", BENIGN); // iperf3 measures itself
            Process server = RealTools.start(victim, dir.resolve("iperf3-server.txt"), "iperf3", "-s", "-p", "5201", "-1");
            Thread.sleep(300);
            Process client = RealTools.start(outside, dir.resolve("iperf3.json"), "iperf3", "-c", VICTIM, "-B", BENIGN, "-p", "5201", "-t", "10",
                    "-b", "100M", "-J");
            Thread.sleep(1000);

            // the ACK scan, twice: the second after the first is blocked
            RealTools.runToEnd(outside, dir.resolve("nmap-a1.txt"), "nmap", "-n", "-Pn", "-sA", "-p", "1-500", "--max-retries", "0", "-T5", "-S", ACK_SCANNER,
                    "-e", "rav0", VICTIM);
            Thread.sleep(2500);
            long scan2 = System.nanoTime();
            RealTools.runToEnd(outside, dir.resolve("nmap-a2.txt"), "nmap", "-n", "-Pn", "-sA", "-p", "1-500", "--max-retries", "0", "-T5", "-S", ACK_SCANNER,
                    "-e", "rav0", VICTIM);
            long scan2End = System.nanoTime();
            assertThat(client.waitFor(30, TimeUnit.SECONDS)).as("iperf3 client ends").isTrue();
            server.waitFor(5, TimeUnit.SECONDS);
            server.destroy();
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            tap.stop();
            String text = out.toString();
            Files.writeString(Path.of("target", "real-tools-tcp-kinds-run.txt"), text);
            System.out.printf("at the victim from %s: %d packets%n", ACK_SCANNER, tap.from(ACK_SCANNER, 0, Long.MAX_VALUE));

            // detected, the sources named and blocked; the benign source never
            assertThat(text).as(text).containsPattern("DETECTED .*portscan +" + Pattern.quote(ACK_SCANNER) + ".*TCP ACK scan: 500 distinct")
                    .contains("BLOCKED " + ACK_SCANNER).doesNotContain("BLOCKED " + BENIGN).doesNotContainPattern("DETECTED .*flood");

            // the second scan gets (nearly) nothing through
            assertThat(tap.from(ACK_SCANNER, 0, scan2)).as("first ACK scan's probes at the victim").isGreaterThanOrEqualTo(100);
            assertThat(tap.from(ACK_SCANNER, scan2, scan2End + 500_000_000L)).as("second ACK scan's probes at the victim").isLessThanOrEqualTo(5);

            // the benign flow kept at least 95% of its rate
            double received = RealTools.iperf3Received(dir.resolve("iperf3.json"));
            System.out.printf("iperf3: %.1f Mbit/s received of 100 asked%n", received / 1e6);
            assertThat(received).as("iperf3 bits/s received (100 Mbit/s asked)").isGreaterThanOrEqualTo(95e6);
        } finally {
            RealTools.keepOutputs(dir, "real-tools-tcp-kinds"); // the tools' own words
        }
    }
}
