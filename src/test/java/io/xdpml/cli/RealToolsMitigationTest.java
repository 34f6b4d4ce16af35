package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The closed loop against real tools nobody here wrote (Debian's hping3, nmap, iperf3), between two
 * network namespaces the test creates: a victim (10.66.0.2) running {@code xdpml run} on its veth
 * end, and an outside namespace holding a SYN flooder (hping3 from 10.66.0.1), a scanner (nmap -sS
 * from 10.66.0.4) and a benign client (iperf3 from 10.66.0.3, 100 Mbit/s TCP). What reaches the
 * victim's stack is counted by a packet socket on the victim's interface (it sees only what XDP
 * passed), independently of xdpml's own counters.
 *
 * <p>Shown: the flood and the scan are detected, their sources blocked in XDP; the flood's SYNs
 * reaching the victim fall to near zero after the block while hping3 keeps sending; a second nmap
 * scan gets nothing through (nmap reports the ports filtered where the first scan found them
 * closed); iperf3's TCP flow keeps its rate in every second, blocks included.
 */
class RealToolsMitigationTest {
    static final String VICTIM = "10.66.0.2";
    static final String FLOODER = "10.66.0.1";
    static final String BENIGN = "10.66.0.3";
    static final String SCANNER = "10.66.0.4";

    @Test
    void hping3FloodAndNmapScanAreBlockedWhileIperf3KeepsFlowing() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("hping3", "nmap", "iperf3");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-tools-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-tools");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-vic"); NetworkNamespace outside = NetworkNamespace.create("xdpml-out");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "rtv1", VICTIM, outside, "rtv0", List.of(FLOODER, BENIGN, SCANNER));

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "rtv1", out, err, "run", "--iface", "rtv1", "--detectors", "portscan,synflood",
                    "--window", "1", "--block", "60", "--duration", "24", "--pin-dir", pins.toString());

            RealTools.VictimTap tap = new RealTools.VictimTap(victim, "rtv1", BENIGN); // iperf3 measures itself
            Process server = RealTools.start(victim, dir.resolve("iperf3-server.txt"), "iperf3", "-s", "-p", "5201", "-1");
            Thread.sleep(300);
            Process client = RealTools.start(outside, dir.resolve("iperf3.json"), "iperf3", "-c", VICTIM, "-B", BENIGN, "-p", "5201", "-t", "13",
                    "-b", "100M", "-J");
            Thread.sleep(1000);
            Process flood = RealTools.start(outside, dir.resolve("hping3.txt"), "timeout", "-s", "INT", "9", "hping3", "-q", "-S", "-p", "80", "-i", "u200",
                    VICTIM);
            String scan1 = nmap(outside, dir.resolve("nmap1.txt"));
            long scan1End = System.nanoTime();
            Thread.sleep(4000); // past the 1 s windows: both sources blocked by now
            long scan2Start = System.nanoTime();
            String scan2 = nmap(outside, dir.resolve("nmap2.txt"));
            long scan2End = System.nanoTime();
            StringWriter listed = new StringWriter();
            CommandLine blocks = Main.commandLine();
            blocks.setOut(new PrintWriter(listed));
            blocks.execute("blocks", "list", "--pin-dir", pins.toString());
            assertThat(flood.waitFor(20, TimeUnit.SECONDS)).isTrue();
            long floodEnd = System.nanoTime();
            assertThat(client.waitFor(30, TimeUnit.SECONDS)).as("iperf3 client ends").isTrue();
            server.waitFor(5, TimeUnit.SECONDS);
            server.destroy();
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            tap.stop();
            String text = out.toString();
            Files.writeString(Path.of("target", "real-tools-run.txt"), text + "\n--- blocks\n" + listed + "\n--- scanner SYNs at the victim, ms after scan 2 started\n"
                    + tap.synsFrom(SCANNER).stream().filter(t -> t >= scan2Start).map(t -> (t - scan2Start) / 1_000_000).toList()
                    + "\n--- nmap 1\n" + scan1 + "\n--- nmap 2\n" + scan2);

            // detected, and the sources blocked
            assertThat(text).containsPattern("DETECTED .*synflood +" + Pattern.quote(VICTIM))
                    .containsPattern("DETECTED .*portscan +" + Pattern.quote(SCANNER))
                    .contains("BLOCKED " + FLOODER).contains("BLOCKED " + SCANNER).doesNotContain("BLOCKED " + BENIGN);
            Matcher dropped = Pattern.compile("(\\d+) packets dropped by blocks").matcher(text);
            assertThat(dropped.find()).as("summary in %s", text).isTrue();

            // the flood at the victim: thousands of SYNs in its first second, near zero in its last three
            List<Long> syns = tap.synsFrom(FLOODER);
            assertThat(syns).as("hping3's SYNs reached the victim before the block").hasSizeGreaterThan(500);
            long first = syns.getFirst();
            long firstSecond = syns.stream().filter(t -> t < first + 1_000_000_000L).count();
            long lastThree = syns.stream().filter(t -> t >= floodEnd - 3_000_000_000L).count();
            assertThat(firstSecond).as("SYNs in the flood's first second at the victim").isGreaterThan(500);
            assertThat(lastThree).as("SYNs at the victim in the flood's last 3 s (first second: %d)", firstSecond)
                    .isLessThanOrEqualTo(firstSecond / 100);
            assertThat(Long.parseLong(dropped.group(1))).as("packets dropped in XDP by the blocks").isGreaterThan(1000);

            // the second scan gets nothing through
            long scanProbesBefore = tap.synsFrom(SCANNER).stream().filter(t -> t <= scan1End).count();
            long scanProbesAfter = tap.synsFrom(SCANNER).stream().filter(t -> t >= scan2Start && t <= scan2End + 500_000_000L).count();
            // the block may come in the middle of the first scan: its probes up to then
            assertThat(scanProbesBefore).as("first scan's probes at the victim").isGreaterThanOrEqualTo(200);
            assertThat(scanProbesAfter).as("second scan's probes at the victim").isLessThanOrEqualTo(5);
            assertThat(scan1).as("first scan: ports answered (closed)").contains("closed");
            assertThat(scan2).as("second scan: no answers").contains("1000 filtered tcp ports").doesNotContain("closed");

            // the blocks, as another shell lists them while the run runs
            assertThat(listed.toString()).contains("rtv1: 2 blocks").contains(FLOODER + "/32").contains(SCANNER + "/32");

            // the benign flow kept its rate in every second
            JsonNode iperf = new ObjectMapper().readTree(Files.readString(dir.resolve("iperf3.json")));
            assertThat(iperf.path("error").isMissingNode()).as("iperf3: %s", iperf.path("error")).isTrue();
            List<Double> perSecond = new ArrayList<>();
            for (JsonNode interval : iperf.path("intervals")) {
                perSecond.add(interval.path("sum").path("bits_per_second").asDouble());
            }
            assertThat(perSecond).as("iperf3 intervals").hasSizeGreaterThanOrEqualTo(12);
            assertThat(perSecond).as("iperf3 bits/s per second (100 Mbit/s asked)").allSatisfy(b -> assertThat(b).isGreaterThan(50e6));
            assertThat(iperf.path("end").path("sum_received").path("bits_per_second").asDouble()).isGreaterThan(80e6);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /** nmap -sS of ports 1-1000 from the scanner's address; returns its output. */
    private static String nmap(NetworkNamespace ns, Path output) throws Exception {
        Process p = RealTools.start(ns, output, "nmap", "-sS", "-Pn", "-n", "-T5", "--max-retries", "0", "-p", "1-1000", "-S", SCANNER, "-e", "rtv0",
                VICTIM);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("nmap ends").isTrue();
        return Files.readString(output, StandardCharsets.UTF_8);
    }
}
