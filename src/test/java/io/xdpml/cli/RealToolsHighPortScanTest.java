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
 * Vertical UDP scans of high ports from a low source port, live: {@code xdpml run} with udpscan on a
 * victim's veth end (10.72.0.2); from outside, {@code nmap -sU -g 53} of ports 40000-40499
 * (10.72.0.4: nmap sends each of them the same 40-byte ONC RPC call, nmap-payloads' probe for
 * 32768-65535) and hping3 from port 1812 with the same 20 bytes to ports 40000-40499 (10.72.0.3).
 * Both are datagrams from a service port to a client's port, which one way reads as a service's
 * answers (their requests unseen); since 2026-12-06 a payload repeating byte for byte the one its
 * source sent before is a probe ({@code RepeatedPayloads}), and both scans are detected and their
 * sources blocked. Before, neither was ever reported.
 */
class RealToolsHighPortScanTest {
    static final String VICTIM = "10.72.0.2";
    static final String HPING = "10.72.0.3";
    static final String SCANNER = "10.72.0.4";

    @Test
    void udpScansOfHighPortsFromLowPortsAreDetectedAndBlocked() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("nmap", "hping3");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-highscan-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-highscan");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-hsvic"); NetworkNamespace outside = NetworkNamespace.create("xdpml-hsout");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "rhs1", VICTIM, outside, "rhs0", List.of(HPING, SCANNER));
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "rhs1", out, err, "run", "--iface", "rhs1", "--detectors", "udpscan",
                    "--window", "1", "--block", "60", "--duration", "14", "--pin-dir", pins.toString(), "--quiet-status");

            // 500 datagrams of 20 bytes from port 1812 to ports 40000-40499, 1,000 a second (-k: the source port kept)
            RealTools.runToEnd(outside, dir.resolve("hping3.txt"), "hping3", "-q", "--udp", "-s", "1812", "-k", "-p", "++40000", "-d", "20",
                    "-i", "u1000", "-c", "500", "-a", HPING, VICTIM);
            RealTools.runToEnd(outside, dir.resolve("nmap.txt"), "nmap", "-n", "-Pn", "-sU", "-g", "53", "-p", "40000-40499", "--max-retries",
                    "0", "-T5", "-S", SCANNER, "-e", "rhs0", VICTIM);
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            String text = out.toString();
            Files.writeString(Path.of("target", "real-tools-highscan-run.txt"), text);
            assertThat(text).as(text).containsPattern("DETECTED .*udpscan +" + Pattern.quote(SCANNER)).contains("BLOCKED " + SCANNER)
                    .containsPattern("DETECTED .*udpscan +" + Pattern.quote(HPING)).contains("BLOCKED " + HPING);
        } finally {
            RealTools.keepOutputs(dir, "real-tools-highscan");
        }
    }
}
