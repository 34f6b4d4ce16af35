package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.agent.AgentPins;
import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.PacketSocket;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.testing.Requirements;
import io.xdpml.testing.TestData;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The agent as an operator runs it, {@code xdpml run --config FILE} (a JVM of its own, entered into
 * the victim's network namespace with nsenter, stopped with SIGTERM), against real tools nobody here
 * wrote, between two namespaces the test creates and one veth pair: the victim ({@value #VICTIM})
 * and the outside, whose end holds one address per party so that blocking one party never blocks
 * another: the scanner ({@value #SCANNER}, nmap), the iperf3 client ({@value #BENIGN}), the client
 * of an established TCP connection ({@value #ECHO_CLIENT}); hping3's SYNs come from random spoofed
 * sources, the amplification's from 3,559 reflectors routed behind the outside namespace
 * ({@value #REFLECTORS}).
 *
 * <p>The YAML file the test writes: blocks; the firewall with a few rules and conntrack (loose);
 * flows; every packet sampled to the mirror ring; the detectors portscan, synflood, amplification
 * (1 s windows); {@code mitigation: {block: 30s, measures: true}}.
 *
 * <p>The attacks come one after another, each once the previous is mitigated, and all keep sending
 * to the end:
 * <ol>
 *   <li>{@code hping3 -S --rand-source --flood -p 7000}: a spoofed SYN flood at the port of the
 *       established connection; the synflood detector names no sources, the agent installs
 *       {@code syn-limit tcp->VICTIM:7000 1000/s} (its default rate, burst 1000);
 *   <li>{@code nmap -sS} of every port at 2,000 probes/s from the scanner's address: detected, the
 *       source blocked in the blocks stage;
 *   <li>the BACnet amplification capture's 6,737 responses from UDP port 47808 (the service the
 *       amplification detector watches; the capture's other 2,880 frames come from port 37810,
 *       which it does not), rewritten to the victim's address and MAC and the reflectors' range,
 *       replayed in a loop at 4,000 frames/s from a packet socket on the outside end: detected,
 *       {@code port-drop udp/47808->VICTIM}.
 * </ol>
 *
 * <p>What reaches the victim's stack is counted per attack by a packet socket on the victim's end
 * (it sees only what XDP passed), what the outside sent by a packet socket on the outside end (it
 * sees every frame leaving there, whoever sent it), both in 10 ms bins of one clock. The proof
 * window: the {@value #WINDOW_SECONDS} s after all three mitigations are in force (plus 1 s to
 * settle). In it the outside end's tap shows each attack still sending, in every second of it (at
 * least a quarter of its mean rate in the window; hping3 and nmap still running; the flood at 5,000
 * SYNs/s or more, the scan and the replay at half their rate or more), and the agent's own XDP
 * counters ({@code xdpml status --json} at both ends of the window: measure and block drops) show
 * at least half of what the tap saw arriving at the victim's interface and dropped there. The
 * bounds at the victim in that window:
 * <ul>
 *   <li>the flood: at most what the syn-limit lets by, burst + rate x window (1,000 + 1,000/s x
 *       6 s), plus 10% for the bins' edges; and at most 5% of the flood SYNs that reached the
 *       victim's XDP in the window (about 1% in practice: hping3 runs flat out, 60-90 kpps here);
 *   <li>the scan and the amplification: at most 1% of their rate at the victim before mitigation,
 *       over the window (a block and a port-drop drop everything: 0 expected, and seen).
 * </ul>
 * The flood's measure is the port's; a detector window that holds both the flood's last unlimited
 * SYNs and nmap's first probes reports a spoofed flood to many ports, and the agent adds
 * {@code syn-limit tcp->VICTIM:any} (any port without a measure of its own): harmless here (once
 * the scanner is blocked nothing draws on that bucket, and iperf3 opens its connections through it),
 * so it is allowed.
 *
 * <p>Benign: iperf3 (TCP, 100 Mbit/s asked, from {@value #BENIGN}) alone before the attacks and again
 * inside the proof window, the second run's received rate at least 95% of the first (a fixed rate:
 * what is measured is whether the mitigations take benign packets, not how the flood's CPU share
 * slows an unbounded flow on a 2-core machine); an echo connection to the flooded port, opened before
 * the attacks, answers a round trip every 50 ms throughout and after them.
 */
class RealToolsConfigTest {
    static final String VICTIM = "10.66.0.2";
    static final String GATEWAY = "10.66.0.1";
    static final String BENIGN = "10.66.0.3";
    static final String SCANNER = "10.66.0.4";
    static final String ECHO_CLIENT = "10.66.0.5";
    static final String REFLECTORS = "10.67.0.0/16";
    static final String VICTIM_MAC = "02:66:00:00:00:02";
    static final String OUTSIDE_MAC = "02:66:00:00:00:01";
    static final int FLOOD_PORT = 7000;
    static final int IPERF_PORT = 5201;
    static final int BACNET_PORT = 47808;
    static final int AMP_PPS = 4000;
    static final int NMAP_PPS = 2000;
    static final int WINDOW_SECONDS = 6;
    static final long SYN_LIMIT_PPS = 1000;
    static final long SYN_LIMIT_BURST = 1000;

    static final int FLOOD = 0;
    static final int SCAN = 1;
    static final int AMP = 2;
    static final String[] KINDS = {"flood", "scan", "amplification"};

    final List<Process> processes = new ArrayList<>();

    @Test
    void attacksFromRealToolsAreMitigatedByTheAgentFromItsConfigWhileBenignTrafficFlows() throws Exception {
        TestData.assumeBpf();
        for (String tool : List.of("hping3", "nmap", "iperf3", "nsenter", "timeout")) {
            Requirements.require(RealTools.onPath(tool), tool + " not installed (scripts/setup installs it: apt-get install hping3 nmap iperf3)");
        }
        Path capture = TestData.capture("attack/bacnet-amplification.pcapng");
        Requirements.require(Files.isRegularFile(capture), capture + " missing");
        List<byte[]> amplification = amplificationFrames(capture);

        String tag = Long.toString(ProcessHandle.current().pid() % 100_000);
        String vif = "rc" + tag + "v"; // the victim's end: the agent's interface
        String oif = "rc" + tag + "o"; // the outside end
        Path blockPins = BpfFs.ROOT.resolve("xdpml-test-rtc-" + tag);
        Path dir = Files.createTempDirectory("xdpml-rtc");
        Path report = Path.of("target", "real-tools-config.txt");
        Map<String, Object> numbers = new LinkedHashMap<>();
        Path agentOut = dir.resolve("agent.txt");
        List<AutoCloseable> closers = new ArrayList<>();
        Files.deleteIfExists(report);
        // closed in reverse order: the processes and what the test opened first, then the namespaces
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-rcv"); NetworkNamespace outside = NetworkNamespace.create("xdpml-rco");
             AutoCloseable stopAll = () -> stopAll(closers)) {
            victim.createVethPair(oif, vif);
            victim.exec("ip", "link", "set", oif, "netns", outside.name());
            victim.exec("ip", "link", "set", vif, "address", VICTIM_MAC);
            victim.exec("ip", "addr", "add", VICTIM + "/24", "dev", vif);
            victim.exec("ip", "route", "add", REFLECTORS, "via", GATEWAY);
            outside.exec("ip", "link", "set", oif, "address", OUTSIDE_MAC);
            outside.exec("ip", "link", "set", oif, "up");
            for (String a : List.of(GATEWAY, BENIGN, SCANNER, ECHO_CLIENT)) {
                outside.exec("ip", "addr", "add", a + "/24", "dev", oif);
            }

            Path config = dir.resolve("xdpml.yaml");
            Files.writeString(config, yaml(vif, dir));
            CliHarness.Result check = CliHarness.run("run", "--config", config.toString(), "--check");
            assertThat(check.code()).as("--check: %s %s", check.out(), check.err()).isZero();

            // the agent: xdpml run --config FILE in a JVM of its own in the victim's namespace
            Process agent = xdpml(victim, agentOut, "run", "--config", config.toString(), "--pin-dir", blockPins.toString(),
                    "--duration", "170");
            closers.add(() -> BpfFs.removeRecursively(blockPins));
            closers.add(() -> BpfFs.removeRecursively(AgentPins.dir(vif)));
            awaitLine(agentOut, agent, "running on " + vif, 60);
            ObjectMapper json = new ObjectMapper();
            status(json, vif); // warm: the first read loads classes

            long t0 = System.nanoTime();
            Tap victimTap = new Tap(victim, vif, t0);
            closers.add(victimTap::stop);
            Tap outsideTap = new Tap(outside, oif, t0);
            closers.add(outsideTap::stop);

            // the established connection: an echo server on the port the flood will hit, a client opened now
            ServerSocket echoServer = victim.run(() -> {
                ServerSocket s = new ServerSocket();
                s.bind(new InetSocketAddress(VICTIM, FLOOD_PORT), 16);
                return s;
            });
            closers.add(echoServer);
            Socket echoClient = outside.run(() -> {
                Socket s = new Socket();
                s.bind(new InetSocketAddress(ECHO_CLIENT, 0));
                s.connect(new InetSocketAddress(VICTIM, FLOOD_PORT), 3000);
                s.setSoTimeout(5000);
                s.setTcpNoDelay(true);
                return s;
            });
            closers.add(echoClient);
            Socket echoAccepted = echoServer.accept();
            closers.add(echoAccepted);
            Thread.ofPlatform().daemon().name("echo").start(() -> echo(echoAccepted));
            Echo pinger = new Echo(echoClient);
            closers.add(pinger::stop);

            // iperf3 alone first
            Process iperfServer = start(victim, dir.resolve("iperf3-server.txt"), "iperf3", "-s", "-p",
                    Integer.toString(IPERF_PORT));
            Thread.sleep(500);
            double before = iperf(outside, dir.resolve("iperf3-before.json"), 5);
            numbers.put("iperf3 before (bit/s)", before);

            // 1. the spoofed SYN flood
            long floodStart = System.nanoTime();
            Process flood = start(outside, dir.resolve("hping3.txt"), "timeout", "-s", "INT", "150", "hping3", "-q", "-S",
                    "--rand-source", "-p", Integer.toString(FLOOD_PORT), "--flood", VICTIM);
            long floodMitigated = awaitLine(agentOut, agent, "MEASURE syn-limit tcp->" + VICTIM + ":" + FLOOD_PORT, 25);

            // 2. the scan
            long scanStart = System.nanoTime();
            Process scan = start(outside, dir.resolve("nmap.txt"), "nmap", "-sS", "-Pn", "-n", "-T4", "--max-retries", "0", "--min-rate",
                    Integer.toString(NMAP_PPS), "--max-rate", Integer.toString(NMAP_PPS), "-p", "1-65535", "-S", SCANNER, "-e", oif, VICTIM);
            long scanMitigated = awaitLine(agentOut, agent, "BLOCKED " + SCANNER + " ", 25);

            // 3. the amplification, replayed from the capture
            long ampStart = System.nanoTime();
            Replay replay = new Replay(outside, oif, amplification, AMP_PPS);
            closers.add(replay::stop);
            long ampMitigated = awaitLine(agentOut, agent, "MEASURE port-drop udp/" + BACNET_PORT + "->" + VICTIM, 25);

            // the proof window: all three mitigated, all three still sending; iperf3 again inside it
            Thread.sleep(1000);
            long w0 = System.nanoTime();
            JsonNode s0 = status(json, vif);
            long replayAtW0 = replay.sent();
            Process iperfDuring = start(outside, dir.resolve("iperf3-during.json"), "iperf3", "-c", VICTIM, "-B", BENIGN, "-p",
                    Integer.toString(IPERF_PORT), "-t", Integer.toString(WINDOW_SECONDS), "-b", "100M", "-J");
            long w1 = w0 + WINDOW_SECONDS * 1_000_000_000L;
            Thread.sleep(Math.max(0, (w1 - System.nanoTime()) / 1_000_000));
            JsonNode s1 = status(json, vif);
            long replayAtW1 = replay.sent();
            boolean floodAlive = flood.isAlive();
            boolean scanAlive = scan.isAlive();
            assertThat(iperfDuring.waitFor(30, TimeUnit.SECONDS)).as("iperf3 during the attacks ends").isTrue();
            double during = iperfRate(json, dir.resolve("iperf3-during.json"));

            // stop the attacks
            signal(flood, "INT");
            assertThat(flood.waitFor(10, TimeUnit.SECONDS)).isTrue();
            scan.destroy();
            scan.waitFor(10, TimeUnit.SECONDS);
            replay.stop();
            Thread.sleep(300);
            long echoFailuresDuring = pinger.failures();
            pinger.stop();
            long echoRoundTrips = pinger.roundTrips();
            boolean echoAfter = pinger.roundTrip(9999);
            JsonNode s2 = status(json, vif);
            String statusText = CliHarness.run("status", "--iface", vif).out();
            iperfServer.destroy();

            // the agent stops on SIGTERM with its summary
            agent.destroy();
            assertThat(agent.waitFor(30, TimeUnit.SECONDS)).as("the agent stops on SIGTERM").isTrue();
            victimTap.stop();
            outsideTap.stop();
            String text = Files.readString(agentOut);
            String hping = Files.readString(dir.resolve("hping3.txt"));

            // ---- the numbers
            long[] mitigated = {floodMitigated, scanMitigated, ampMitigated};
            long[] started = {floodStart, scanStart, ampStart};
            double windowSeconds = (w1 - w0) / 1e9;
            long[] atVictim = new long[3];
            double[] preRate = new double[3];
            long[] sentInWindow = new long[3];
            long[] minSecond = new long[3];
            for (int k = 0; k < 3; k++) {
                // before mitigation: from the attack's first frame at the victim. The scan and the amplification are dropped
                // whole once acted on, so their span ends with their last 10 ms bin at the victim before the test saw the
                // agent's line, whenever the block took hold; the flood is only limited (it still arrives at the limit), so its
                // span ends 50 ms before the line. A rate needs at least 20 ms and 20 frames of it. (Until 2026-12-07 every span
                // ended 50 ms before the line and had to last 50 ms: the CI of b0c98c7 saw the scan blocked about 90 ms after its
                // first frame at the victim, leaving 40 ms; 100 ms until 2026-12-06, when a block at 149 ms left 99 ms.)
                long first = victimTap.first(k, started[k]);
                long end = k == FLOOD ? mitigated[k] - 50_000_000L : victimTap.lastEnd(k, first, mitigated[k]);
                assertThat(end - first).as("%s: time at the victim before mitigation (first frame %d ms after the start)", KINDS[k],
                        (first - started[k]) / 1_000_000).isGreaterThanOrEqualTo(20_000_000L);
                assertThat(victimTap.count(k, first, end)).as("%s: frames at the victim before mitigation", KINDS[k])
                        .isGreaterThanOrEqualTo(20);
                preRate[k] = victimTap.count(k, first, end) / ((end - first) / 1e9);
                atVictim[k] = victimTap.count(k, w0, w1);
                sentInWindow[k] = outsideTap.count(k, w0, w1);
                minSecond[k] = Long.MAX_VALUE;
                for (long t = w0; t + 1_000_000_000L <= w1 + 1_000_000L; t += 1_000_000_000L) {
                    minSecond[k] = Math.min(minSecond[k], outsideTap.count(k, t, Math.min(t + 1_000_000_000L, w1)));
                }
            }
            // hping3's SYNs carry no options: since 2026-12-07 the flood's bare-syn-drop takes them before the syn-limit
            long xdpSyn = reason(s1, "firewall", "drop_measure_syn") - reason(s0, "firewall", "drop_measure_syn")
                    + reason(s1, "firewall", "drop_measure_bare") - reason(s0, "firewall", "drop_measure_bare");
            long xdpPort = reason(s1, "firewall", "drop_measure_port") - reason(s0, "firewall", "drop_measure_port");
            long xdpBlocked = reason(s1, "blocks", "source") - reason(s0, "blocks", "source");
            long[] xdpDropped = {xdpSyn, xdpBlocked, xdpPort};
            double floodAllowance = SYN_LIMIT_BURST + SYN_LIMIT_PPS * windowSeconds;
            for (int k = 0; k < 3; k++) {
                numbers.put(KINDS[k], String.format(Locale.ROOT,
                        "mitigated %.1f s after its start, at the victim before %.0f/s; window %.1f s: sent %d (%.0f/s; slowest second %d),"
                                + " dropped in XDP %d, at the victim %d (%.3f%% of what reached XDP)",
                        (mitigated[k] - started[k]) / 1e9, preRate[k], windowSeconds, sentInWindow[k], sentInWindow[k] / windowSeconds,
                        minSecond[k], xdpDropped[k], atVictim[k], 100.0 * atVictim[k] / Math.max(1, atVictim[k] + xdpDropped[k])));
            }
            numbers.put("amplification replay", replay.sent() + " frames sent in all, " + (replayAtW1 - replayAtW0) + " in the window (its own counter)");
            numbers.put("iperf3 during (bit/s)", during);
            numbers.put("iperf3 during/before", during / before);
            numbers.put("echo", echoRoundTrips + " round trips during the attacks, " + echoFailuresDuring + " failed; after them: "
                    + (echoAfter ? "answered" : "NO ANSWER"));
            numbers.put("hping3", hping.lines().filter(l -> l.contains("transmitted")).findFirst().orElse("(no statistics)"));
            StringBuilder sb = new StringBuilder();
            numbers.forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
            String summary = sb.toString();
            System.out.print("RealToolsConfigTest\n" + summary);
            Files.writeString(report, summary + "\n--- " + config + "\n" + Files.readString(config) + "\n--- agent\n" + text + "\n--- status at the end\n" + statusText + "\n--- hping3\n" + hping
                    + "\n--- nmap\n" + Files.readString(dir.resolve("nmap.txt")));

            // ---- detected and mitigated, as the agent says
            assertThat(text).containsPattern("DETECTED .*synflood +" + Pattern.quote(VICTIM))
                    .containsPattern("DETECTED .*portscan +" + Pattern.quote(SCANNER))
                    .containsPattern("DETECTED .*amplification +" + Pattern.quote(VICTIM))
                    .contains("MEASURE syn-limit tcp->" + VICTIM + ":" + FLOOD_PORT + " " + SYN_LIMIT_PPS + "/s")
                    .contains("MEASURE bare-syn-drop tcp->" + VICTIM + ":" + FLOOD_PORT)
                    .contains("BLOCKED " + SCANNER + " ")
                    .contains("MEASURE port-drop udp/" + BACNET_PORT + "->" + VICTIM)
                    .doesNotContain("BLOCKED " + BENIGN + " ").doesNotContain("BLOCKED " + ECHO_CLIENT + " ")
                    .doesNotContain("BLOCKED " + GATEWAY + " ").doesNotContain("syn-limit tcp->" + VICTIM + ":" + IPERF_PORT)
                    .contains(vif + ": detached.");

            List<String> detectors = Files.readAllLines(dir.resolve("detections.jsonl")).stream()
                    .map(l -> readTree(json, l).path("detector").asText()).distinct().toList();
            assertThat(detectors).as("outputs.json: detections as JSON lines").contains("synflood", "portscan", "amplification");

            // ---- the proof window: every attack still sending in every second of it, and arriving at the victim's XDP
            assertThat(floodAlive).as("hping3 ran through the window").isTrue();
            assertThat(scanAlive).as("nmap ran through the window").isTrue();
            long[] asked = {5 * SYN_LIMIT_PPS, NMAP_PPS / 2, AMP_PPS / 2}; // the flood runs flat out: at least 5x what the syn-limit lets by
            for (int k = 0; k < 3; k++) {
                assertThat(mitigated[k] - started[k]).as("%s: mitigated within seconds", KINDS[k]).isLessThan(10_000_000_000L);
                assertThat(sentInWindow[k] / windowSeconds).as("%s: sent in the window, per second, by the outside end's tap", KINDS[k])
                        .isGreaterThanOrEqualTo(asked[k]);
                assertThat(minSecond[k]).as("%s: sent in the slowest second of the window (%d in %.1f s)", KINDS[k], sentInWindow[k],
                        windowSeconds).isGreaterThanOrEqualTo((long) (sentInWindow[k] / windowSeconds / 4));
                assertThat(xdpDropped[k]).as("%s: dropped in XDP in the window (sent %d)", KINDS[k], sentInWindow[k])
                        .isGreaterThanOrEqualTo(sentInWindow[k] / 2);
            }
            assertThat(replayAtW1 - replayAtW0).as("the replay's own counter in the window").isGreaterThanOrEqualTo((long) (AMP_PPS / 2 * windowSeconds));

            // ---- near zero at the victim in the window
            assertThat(atVictim[FLOOD]).as("flood SYNs at the victim in the window: at most what syn-limit %d/s burst %d lets through",
                    SYN_LIMIT_PPS, SYN_LIMIT_BURST).isLessThanOrEqualTo((long) (floodAllowance * 1.1));
            assertThat(atVictim[FLOOD]).as("flood SYNs at the victim in the window: at most 5%% of those reaching its XDP (%d dropped)",
                    xdpSyn).isLessThanOrEqualTo((atVictim[FLOOD] + xdpSyn) / 20);
            for (int k : new int[] {SCAN, AMP}) {
                assertThat(atVictim[k]).as("%s at the victim in the window: at most 1%% of its rate there before (%.0f/s) over %.1f s",
                        KINDS[k], preRate[k], windowSeconds).isLessThanOrEqualTo((long) (preRate[k] * windowSeconds / 100));
            }
            assertThat(preRate[FLOOD]).as("the flood's rate at the victim before mitigation: well over the syn-limit")
                    .isGreaterThan(3.0 * SYN_LIMIT_PPS);
            assertThat(preRate[SCAN]).as("the scan's rate at the victim before its block").isGreaterThan(NMAP_PPS / 4.0);
            assertThat(preRate[AMP]).as("the amplification's rate at the victim before the port-drop").isGreaterThan(AMP_PPS / 2.0);

            // ---- benign
            assertThat(during).as("iperf3 during the mitigated attacks vs alone (%.1f Mbit/s)", before / 1e6).isGreaterThanOrEqualTo(0.95 * before);
            assertThat(before).as("iperf3 alone (100 Mbit/s asked)").isGreaterThan(80e6);
            assertThat(echoFailuresDuring).as("echo round trips that failed during the attacks").isZero();
            assertThat(echoRoundTrips).as("echo round trips during the attacks").isGreaterThan(100);
            assertThat(echoAfter).as("the established connection answers after the attacks").isTrue();

            // ---- xdpml status --json: the firewall's measures and the blocks dropped
            // hping3's SYNs carry no options: the bare-syn-drop takes them all, so the syn-limit behind it sees none (since 2026-12-07)
            assertThat(reason(s2, "firewall", "drop_measure_bare")).as("status: drop_measure_bare").isPositive();
            assertThat(reason(s2, "firewall", "drop_measure_port")).as("status: drop_measure_port").isPositive();
            assertThat(reason(s2, "blocks", "source")).as("status: blocks by source").isPositive();
            assertThat(s2.path("stages").path("blocks").path("dropped").asLong()).isPositive();
            assertThat(s2.path("stages").path("firewall").path("dropped").asLong()).isPositive();
            assertThat(s2.path("agent").path("alive").asBoolean()).isTrue();
            long stageDrops = 0;
            for (String stage : (Iterable<String>) () -> s2.path("stages").fieldNames()) {
                JsonNode st = s2.path("stages").path(stage);
                long in = st.path("in").asLong();
                long dropped = st.path("dropped").asLong();
                assertThat(st.path("passed").asLong()).as("status: %s passed = in - dropped", stage).isEqualTo(in - dropped)
                        .isNotNegative();
                stageDrops += dropped;
            }
            assertThat(s2.path("stages").path("end").path("actions").path("drop").asLong()).as("status: XDP_DROP, every stage's drops")
                    .isEqualTo(stageDrops);
        } finally {
            if (Files.exists(agentOut) && !Files.exists(report)) {
                Files.writeString(report, "(failed before the end)\n" + numbers + "\n--- agent\n" + Files.readString(agentOut));
            }
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /** Kills every process the test started (and their children), then closes what it opened, last first. */
    void stopAll(List<AutoCloseable> closers) throws InterruptedException {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : processes) {
            p.waitFor(10, TimeUnit.SECONDS);
        }
        for (AutoCloseable c : closers.reversed()) {
            try {
                c.close();
            } catch (Exception ignored) {
                // cleaning up what is left
            }
        }
    }

    static String yaml(String iface, Path dir) {
        return """
                # written by RealToolsConfigTest
                interfaces:
                  - %s
                blocks:
                  max-sources: 65536
                  max-flows: 65536
                firewall:
                  rules: |
                    default pass
                    conntrack on
                    deny 192.0.2.0/24
                    rule drop udp port 19
                    rule drop tcp from 198.51.100.0/24
                    rule pass tcp to %s port %d
                  max-connections: 65536
                flows:
                  max-flows: 65536
                  idle-timeout: 30s
                sampling:
                  every: 1
                delivery:
                  to: mirror
                detectors:
                  enabled: [portscan, synflood, amplification]
                  window: 1s
                mitigation: {block: 30s, measures: true, measure-time: 60s}
                outputs:
                  json: %s
                  status: 1s
                """.formatted(iface, VICTIM, IPERF_PORT, dir.resolve("detections.jsonl"));
    }

    /**
     * The capture's BACnet responses (UDP from port 47808), rewritten: to the victim's address and
     * MAC, from the outside end's MAC, reflector N of the capture (in order of appearance) becoming
     * 10.67.N/256.N%256; IPv4 and UDP checksums recomputed.
     */
    static List<byte[]> amplificationFrames(Path capture) throws IOException {
        List<byte[]> frames = new ArrayList<>();
        Map<Integer, Integer> reflectors = new LinkedHashMap<>();
        byte[] victim = ipv4(VICTIM);
        byte[] victimMac = mac(VICTIM_MAC);
        byte[] outsideMac = mac(OUTSIDE_MAC);
        EthernetFramer framer = new EthernetFramer();
        try (CaptureReader r = CaptureReader.open(capture)) {
            while (r.next()) {
                int length = framer.frame(r);
                if (length < 42) {
                    continue;
                }
                byte[] f = framer.frameSegment().asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
                int ihl = (f[14] & 0x0f) * 4;
                int total = u16(f, 16);
                boolean firstFragment = (u16(f, 20) & 0x1fff) == 0;
                if (u16(f, 12) != 0x0800 || f[23] != 17 || !firstFragment || 14 + total > length || u16(f, 14 + ihl) != BACNET_PORT
                        || (u16(f, 20) & 0x2000) != 0) {
                    continue;
                }
                f = Arrays.copyOf(f, 14 + total);
                int source = (int) u32(f, 26);
                int n = reflectors.computeIfAbsent(source, s -> reflectors.size() + 1);
                System.arraycopy(victimMac, 0, f, 0, 6);
                System.arraycopy(outsideMac, 0, f, 6, 6);
                f[26] = 10;
                f[27] = 67;
                f[28] = (byte) (n >> 8);
                f[29] = (byte) n;
                System.arraycopy(victim, 0, f, 30, 4);
                f[24] = 0;
                f[25] = 0;
                put16(f, 24, checksum(f, 14, ihl, 0));
                int udp = 14 + ihl;
                int udpLength = u16(f, udp + 4);
                f[udp + 6] = 0;
                f[udp + 7] = 0;
                long pseudo = u16(f, 26) + u16(f, 28) + u16(f, 30) + u16(f, 32) + 17 + udpLength;
                int c = checksum(f, udp, Math.min(udpLength, total - ihl), pseudo);
                put16(f, udp + 6, c == 0 ? 0xffff : c);
                frames.add(f);
            }
        }
        assertThat(frames).as("BACnet responses in %s", capture).hasSizeGreaterThan(6000);
        assertThat(reflectors).as("reflectors").hasSizeGreaterThan(3000);
        return frames;
    }

    static int checksum(byte[] b, int off, int len, long sum) {
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (b[off + len - 1] & 0xff) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    static long u32(byte[] b, int off) {
        return ((long) u16(b, off) << 16) | u16(b, off + 2);
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >> 8);
        b[off + 1] = (byte) v;
    }

    static byte[] ipv4(String a) {
        String[] p = a.split("\\.");
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) Integer.parseInt(p[i]);
        }
        return b;
    }

    static int ipv4Int(String a) {
        byte[] b = ipv4(a);
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    static byte[] mac(String m) {
        String[] p = m.split(":");
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) Integer.parseInt(p[i], 16);
        }
        return b;
    }

    /** A firewall or blocks reason counter from a status report (0 when absent: the firewall lists only non-zero reasons). */
    static long reason(JsonNode status, String stage, String reason) {
        return status.path("stages").path(stage).path("reasons").path(reason).asLong(0);
    }

    static JsonNode readTree(ObjectMapper json, String line) {
        try {
            return json.readTree(line);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }

    static JsonNode status(ObjectMapper json, String iface) throws IOException {
        CliHarness.Result r = CliHarness.run("status", "--iface", iface, "--json");
        assertThat(r.code()).as("xdpml status: %s", r.err()).isZero();
        return json.readTree(r.out());
    }

    /** Waits until the agent's output has a line containing {@code text}; returns when the test saw it. */
    static long awaitLine(Path output, Process agent, String text, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            String s = Files.readString(output, StandardCharsets.UTF_8);
            if (s.contains(text)) {
                return System.nanoTime();
            }
            if (!agent.isAlive()) {
                throw new AssertionError("the agent ended (exit " + agent.exitValue() + ") before '" + text + "':\n" + s);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no '" + text + "' from the agent within " + seconds + " s:\n" + Files.readString(output));
    }

    /** An iperf3 run of {@code seconds} at 100 Mbit/s from the benign address; its received rate. */
    double iperf(NetworkNamespace ns, Path output, int seconds) throws Exception {
        Process p = start(ns, output, "iperf3", "-c", VICTIM, "-B", BENIGN, "-p", Integer.toString(IPERF_PORT), "-t",
                Integer.toString(seconds), "-b", "100M", "-J");
        assertThat(p.waitFor(seconds + 20, TimeUnit.SECONDS)).as("iperf3 ends").isTrue();
        return iperfRate(new ObjectMapper(), output);
    }

    static double iperfRate(ObjectMapper json, Path output) throws IOException {
        JsonNode iperf = json.readTree(Files.readString(output));
        assertThat(iperf.path("error").isMissingNode()).as("iperf3: %s", iperf.path("error")).isTrue();
        return iperf.path("end").path("sum_received").path("bits_per_second").asDouble();
    }

    /** xdpml in a JVM of its own, in {@code ns}'s network namespace only (nsenter: the machine's /sys/fs/bpf stays). */
    Process xdpml(NetworkNamespace ns, Path output, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/var/run/netns/" + ns.name(), java, "--enable-native-access=ALL-UNNAMED",
                "-Xmx512m", "-cp", cp, "io.xdpml.cli.Main"));
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        processes.add(p);
        return p;
    }

    Process start(NetworkNamespace ns, Path output, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name()));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        processes.add(p);
        return p;
    }

    static void signal(Process p, String signal) throws Exception {
        new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start().waitFor(5, TimeUnit.SECONDS);
    }

    static void echo(Socket s) {
        try (s) {
            var in = s.getInputStream();
            var out = s.getOutputStream();
            byte[] b = new byte[256];
            int n;
            while ((n = in.read(b)) > 0) {
                out.write(b, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // closed at the end
        }
    }

    /** Round trips on the established connection every 50 ms, on a thread of its own, until stopped. */
    static final class Echo {
        private final DataOutputStream out;
        private final DataInputStream in;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong trips = new AtomicLong();
        private final AtomicLong failures = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        Echo(Socket s) throws IOException {
            out = new DataOutputStream(s.getOutputStream());
            in = new DataInputStream(s.getInputStream());
            assertThat(roundTrip(-1)).as("the echo connection answers before the attacks").isTrue();
            thread = Thread.ofPlatform().daemon().name("echo-client").start(() -> {
                long i = 0;
                while (running.get()) {
                    if (roundTrip(i++)) {
                        trips.incrementAndGet();
                    } else {
                        failures.incrementAndGet();
                        return;
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        synchronized boolean roundTrip(long value) {
            try {
                out.writeLong(value);
                out.flush();
                return in.readLong() == value;
            } catch (IOException e) {
                failure.compareAndSet(null, e);
                return false;
            }
        }

        long roundTrips() { return trips.get(); }

        long failures() { return failures.get(); }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }

    /** The rewritten amplification frames from a packet socket on the outside end, looped at a steady rate until stopped. */
    static final class Replay {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong sent = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        Replay(NetworkNamespace ns, String iface, List<byte[]> frames, int pps) throws InterruptedException {
            CompletableFuture<Void> opened = new CompletableFuture<>();
            int burst = 8;
            long period = 1_000_000_000L * burst / pps;
            thread = Thread.ofPlatform().daemon().name("replay").start(() -> {
                try {
                    ns.callOnThisThread(() -> {
                        try (PacketSocket s = PacketSocket.open(iface); Arena a = Arena.ofConfined()) {
                            MemorySegment buf = a.allocate(2048);
                            opened.complete(null);
                            long next = System.nanoTime();
                            int i = 0;
                            while (running.get()) {
                                for (int b = 0; b < burst; b++) {
                                    byte[] f = frames.get(i);
                                    i = (i + 1) % frames.size();
                                    MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                                    s.send(buf, f.length);
                                    sent.incrementAndGet();
                                }
                                next += period;
                                long wait = next - System.nanoTime();
                                if (wait > 0) {
                                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                                } else if (wait < -100_000_000L) {
                                    next = System.nanoTime(); // fell behind (a busy machine): no catch-up burst
                                }
                            }
                        }
                        return null;
                    });
                } catch (Throwable t) {
                    failure.set(t);
                    opened.completeExceptionally(t);
                }
            });
            opened.join();
        }

        long sent() { return sent.get(); }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
            if (failure.get() != null) {
                throw new IllegalStateException("the replay failed", failure.get());
            }
        }
    }

    /**
     * A packet socket on an interface (on the victim's end it sees what XDP passed to the stack; on
     * the outside end every frame that leaves it), drained on a thread of its own: frames of each
     * attack counted in 10 ms bins from {@code t0}. An attack's frames: to the victim and
     * <ul>
     *   <li>flood: TCP SYN (no other flag) to port 7000 from outside 10.66.0.0/24 (the spoofed sources);
     *   <li>scan: TCP from the scanner's address;
     *   <li>amplification: UDP from port 47808.
     * </ul>
     */
    static final class Tap {
        static final long BIN = 10_000_000L;
        static final int BINS = 30_000; // 300 s
        private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        private static final int VICTIM_ADDR = ipv4Int(VICTIM);
        private static final int SCANNER_ADDR = ipv4Int(SCANNER);
        private static final int LOCAL_NET = ipv4Int("10.66.0.0");

        private final long t0;
        private final AtomicLongArray bins = new AtomicLongArray(3 * BINS);
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Tap(NetworkNamespace ns, String iface, long t0) throws InterruptedException {
            this.t0 = t0;
            CompletableFuture<Void> opened = new CompletableFuture<>();
            thread = Thread.ofPlatform().daemon().name("tap-" + iface).start(() -> {
                try {
                    ns.callOnThisThread(() -> {
                        try (PacketSocket s = PacketSocket.open(iface); Arena a = Arena.ofConfined()) {
                            MemorySegment buf = a.allocate(2048);
                            opened.complete(null);
                            while (running.get()) {
                                int len = s.receive(buf, 100);
                                if (len > 0) {
                                    int k = kind(buf, len);
                                    if (k >= 0) {
                                        long bin = (System.nanoTime() - t0) / BIN;
                                        if (bin >= 0 && bin < BINS) {
                                            bins.incrementAndGet(k * BINS + (int) bin);
                                        }
                                    }
                                }
                            }
                        }
                        return null;
                    });
                } catch (Throwable t) {
                    opened.completeExceptionally(t);
                }
            });
            opened.join();
        }

        static int kind(MemorySegment b, int len) {
            if (len < 34 || b.get(U16, 12) != 0x0800) {
                return -1;
            }
            int ihl = (b.get(ValueLayout.JAVA_BYTE, 14) & 0x0f) * 4;
            int proto = b.get(ValueLayout.JAVA_BYTE, 23) & 0xff;
            int l4 = 14 + ihl;
            if ((b.get(U16, 20) & 0x1fff) != 0 || b.get(U32, 30) != VICTIM_ADDR || len < l4 + 8) {
                return -1;
            }
            int src = b.get(U32, 26);
            if (proto == 17) {
                return (b.get(U16, l4) & 0xffff) == BACNET_PORT ? AMP : -1;
            }
            if (proto != 6 || len < l4 + 14) {
                return -1;
            }
            if (src == SCANNER_ADDR) {
                return SCAN;
            }
            int flags = b.get(ValueLayout.JAVA_BYTE, l4 + 13) & 0x3f;
            boolean local = (src & 0xffffff00) == LOCAL_NET;
            return flags == 0x02 && (b.get(U16, l4 + 2) & 0xffff) == FLOOD_PORT && !local ? FLOOD : -1;
        }

        /** Frames of {@code kind} in the 10 ms bins that lie wholly in [from, to). */
        long count(int kind, long from, long to) {
            long first = Math.max(0, Math.ceilDiv(from - t0, BIN));
            long end = Math.min(BINS, Math.floorDiv(to - t0, BIN));
            long n = 0;
            for (long i = first; i < end; i++) {
                n += bins.get(kind * BINS + (int) i);
            }
            return n;
        }

        /** The end of the last bin wholly in [from, to) holding a frame of {@code kind}, or {@code from} if none does. */
        long lastEnd(int kind, long from, long to) {
            long first = Math.max(0, Math.ceilDiv(from - t0, BIN));
            for (long i = Math.min(BINS, Math.floorDiv(to - t0, BIN)) - 1; i >= first; i--) {
                if (bins.get(kind * BINS + (int) i) > 0) {
                    return t0 + (i + 1) * BIN;
                }
            }
            return from;
        }

        /** The start of the first bin at or after {@code from} holding a frame of {@code kind}. */
        long first(int kind, long from) {
            for (long i = Math.max(0, (from - t0) / BIN); i < BINS; i++) {
                if (bins.get(kind * BINS + (int) i) > 0) {
                    return t0 + i * BIN;
                }
            }
            throw new AssertionError("no frame of " + KINDS[kind] + " seen");
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(5_000);
        }
    }
}
