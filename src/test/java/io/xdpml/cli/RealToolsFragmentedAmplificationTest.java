package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.StatusReport;
import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.testing.NetSnmp;
import io.xdpml.testing.TestData;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A DNS amplification whose answers arrive in fragments, live, through {@code xdpml run} with the example configuration:
 * dnsmasq in the outside namespace answers a TXT record of 3,341 bytes from every address of 10.76.1.0/24 (AnyIP: a local
 * route for the /24), and hping3 there sends it queries (40 bytes, EDNS 4,096) forged with the victim's address as their
 * source, to random addresses of the /24: the victim (10.76.0.2) receives about 500 answers a second from some 250
 * reflectors, each cut in three by the outside's stack (the veth's 1,500-byte MTU), 83 times the queries' bytes. The agent
 * names the amplification and puts in {@code port-drop udp/53->10.76.0.2}; from then on not one fragment reaches the victim's
 * stack (its reassembly counter, ReasmReqds, does not move): the first fragment by the measure, the other two, which carry no
 * ports, by following it (docs/firewall.md, "Fragments"). Before 2026-12-07 two of every three packets of the attack went on
 * reaching the victim's stack under the measure, to wait 30 s for a reassembly that never completed.
 */
class RealToolsFragmentedAmplificationTest {
    static final String VICTIM = "10.76.0.2";
    static final String ATTACKER = "10.76.0.1";
    static final String REFLECTORS = "10.76.1.0/24";

    /** A standard query for TXT big.example with an EDNS OPT record offering 4,096 bytes: 40 bytes. */
    static byte[] query() {
        ByteBuffer b = ByteBuffer.allocate(40);
        b.putShort((short) 0x1234).putShort((short) 0x0100).putShort((short) 1).putShort((short) 0).putShort((short) 0)
                .putShort((short) 1);
        b.put((byte) 3).put("big".getBytes()).put((byte) 7).put("example".getBytes()).put((byte) 0).putShort((short) 16)
                .putShort((short) 1);
        b.put((byte) 0).putShort((short) 41).putShort((short) 4096).putInt(0).putShort((short) 0);
        return b.array();
    }

    @Test
    void fragmentedAnswersAreDroppedWholeOnceTheAgentActs() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("hping3", "dnsmasq");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-fragamp-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-fragamp");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-fav"); NetworkNamespace outside = NetworkNamespace.create("xdpml-fao");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "rfa1", VICTIM, outside, "rfa0", List.of(ATTACKER));
            victim.exec("ip", "link", "set", "lo", "up");
            outside.exec("ip", "link", "set", "lo", "up");
            outside.exec("ip", "route", "add", "local", REFLECTORS, "dev", "lo");
            Path config = dir.resolve("agent.yaml");
            Files.writeString(config, RealToolsConnFloodTest.exampleConfig("rfa1", dir));
            Files.write(dir.resolve("query.bin"), query());
            String txt = String.join(",", java.util.Collections.nCopies(13, "\"" + "x".repeat(250) + "\""));
            Process dnsmasq = RealTools.start(outside, dir.resolve("dnsmasq.txt"), "dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts",
                    "--pid-file", "--port=53", "--edns-packet-max=4096", "--txt-record=big.example," + txt);

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "rfa1", out, err, "run", "--config", config.toString(),
                    "--duration", "20", "--pin-dir", pins.toString(), "--quiet-status");
            long reasm0 = victim.run(() -> NetSnmp.ip("ReasmReqds"));
            Process hping = RealTools.start(outside, dir.resolve("hping3.txt"), "timeout", "-s", "INT", "12", "hping3", "--udp", "-a", VICTIM,
                    "-p", "53", "-s", "30000", "-E", dir.resolve("query.bin").toString(), "-d", "40", "-i", "u2000", "--rand-dest", "-I", "lo",
                    "10.76.1.x");
            String measure = "MEASURE port-drop udp/53->" + VICTIM;
            long start = System.nanoTime();
            while (!out.toString().contains(measure) && System.nanoTime() - start < 10_000_000_000L) {
                Thread.sleep(20);
            }
            double actedAfter = (System.nanoTime() - start) / 1e9;
            long reasmAtMeasure = victim.run(() -> NetSnmp.ip("ReasmReqds"));
            assertThat(out.toString()).as("the agent's measure; its output:\n%s", out).contains(measure);
            Thread.sleep(1000);
            long reasm1 = victim.run(() -> NetSnmp.ip("ReasmReqds"));
            long dropped1 = portDrops(StatusReport.of("rfa1"));
            Thread.sleep(4000);
            long reasm2 = victim.run(() -> NetSnmp.ip("ReasmReqds"));
            long dropped2 = portDrops(StatusReport.of("rfa1"));
            boolean attackOn = hping.isAlive();
            assertThat(hping.waitFor(20, TimeUnit.SECONDS)).as("hping3 ends").isTrue();
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            dnsmasq.destroy();
            String agent = out.toString();
            Files.writeString(dir.resolve("run.txt"), agent);
            System.out.printf("fragmented amplification live: measure %.1f s after the start, fragments at the victim's stack before it %d; "
                    + "in the 4 s window after it: dropped by the port-drop %d, at the victim's stack %d%n", actedAfter, reasmAtMeasure - reasm0,
                    dropped2 - dropped1, reasm2 - reasm1);

            assertThat(agent).containsPattern("DETECTED .*amplification +" + VICTIM.replace(".", "\\."));
            assertThat(reasmAtMeasure - reasm0).as("fragments at the victim's stack before the measure").isGreaterThanOrEqualTo(30);
            assertThat(attackOn).as("the attack went on through the window").isTrue();
            // 500 answers a second of three fragments each: about 6,000 in 4 s
            assertThat(dropped2 - dropped1).as("fragments dropped by the port-drop in the window").isGreaterThanOrEqualTo(3000);
            assertThat(reasm2 - reasm1).as("fragments at the victim's stack in the window (with the follow undone: two of every three)")
                    .isZero();
        } finally {
            RealTools.keepOutputs(dir, "real-tools-fragamp");
        }
    }

    @SuppressWarnings("unchecked")
    static long portDrops(Map<String, Object> report) {
        Map<String, Object> firewall = RealToolsSlowConnTest.stage(report, "firewall");
        Object reasons = firewall.get("reasons");
        assertThat(reasons).as("the firewall stage's reasons in xdpml status: %s", firewall).isInstanceOf(Map.class);
        return ((Number) ((Map<String, Object>) reasons).getOrDefault("drop_measure_port", 0L)).longValue();
    }
}
