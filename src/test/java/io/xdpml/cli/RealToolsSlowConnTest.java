package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.StatusReport;
import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.testing.TestData;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Slow HTTP attacks from one source, live, with {@code slowhttptest} (Debian's 1.8.2) against
 * {@code xdpml run} with the example configuration ({@code config/xdpml.example.yaml} as shipped,
 * but for its interface and output file): a victim (10.74.0.2) serving HTTP/1.1 (a threaded
 * {@code http.server} that also reads POST bodies) and iperf3; an outside namespace holding the
 * attacker (10.74.0.1, the first address: slowhttptest cannot bind one), a benign web client
 * (10.74.0.3: a new connection and a GET every 0.25 s) and iperf3 (10.74.0.4, 50 Mbit/s TCP). What
 * reaches the victim's stack is counted by a packet socket on its interface (what XDP passed).
 *
 * <p>Shown, for slowloris ({@code -H}) and slow POST ({@code -B}), 200 connections opened at 30/s,
 * a follow-up every 10 s: slowconn names the attacker within seconds of its first follow-ups (with a follow-up every 30 s, by
 * its unanswered requests before any), it is
 * blocked (listed by {@code xdpml blocks list}), its packets at the victim fall to zero after; the
 * web client's requests are answered, iperf3 keeps its rate, neither is blocked, the firewall stage drops nothing ({@code xdpml
 * status}: the web client's SYN from a port it had used 8 to 14 s before was conntrack's {@code drop_ct_invalid} until 2026-12-07). Without slowconn in
 * the example's list nothing blocks the attack (the revert check).
 */
class RealToolsSlowConnTest {
    static final String VICTIM = "10.74.0.2";
    static final String ATTACKER = "10.74.0.1";
    static final String WEB = "10.74.0.3";
    static final String IPERF = "10.74.0.4";

    /** A threaded HTTP/1.1 server: GET serves the directory, POST reads its body to its Content-Length and answers. */
    private static final String SERVER = """
            import http.server, sys
            class H(http.server.SimpleHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def do_POST(self):
                    n = int(self.headers.get("Content-Length", 0))
                    while n > 0:
                        chunk = self.rfile.read(min(n, 65536))
                        if not chunk:
                            return
                        n -= len(chunk)
                    body = b"ok\\n"
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *a):
                    pass
            addr, port, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
            http.server.ThreadingHTTPServer.daemon_threads = True
            srv = http.server.ThreadingHTTPServer((addr, port), lambda *a, **k: H(*a, directory=directory, **k))
            srv.serve_forever()
            """;

    @Test
    void slowlorisFromOneSourceIsBlockedWhileAWebClientAndIperf3GoOn() throws Exception {
        attack("-H", "slowloris");
    }

    @Test
    void slowPostFromOneSourceIsBlockedWhileAWebClientAndIperf3GoOn() throws Exception {
        attack("-B", "slowpost");
    }

    /**
     * A slowloris whose follow-ups come every 30 s (slowhttptest {@code -i 30}): none before the attack's end, so no client sends
     * 8 s after its SYN; its requests, unanswered, count 8 s after each SYN (the flow table's data packets: every client packet
     * after the handshake's ACK carried data). Named within 8 to 18 s, before any follow-up. Without the unanswered rule, never.
     */
    @Test
    void slowlorisWithRareFollowUpsIsBlockedByItsUnansweredRequests() throws Exception {
        attack("-H", "slowloris-rare", 30, 18_000_000_000L);
    }

    /** One stage's counters in an {@code xdpml status} report. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> stage(Map<String, Object> report, String name) {
        return (Map<String, Object>) ((Map<String, Object>) report.get("stages")).get(name);
    }

    private static void attack(String mode, String name) throws Exception {
        // at the census after its first tick of follow-ups (10 s in), or after its second (20 s) where the first found fewer
        // than 50 connections 8 s old
        attack(mode, name, 10, 24_000_000_000L);
    }

    private static void attack(String mode, String name, int interval, long detectedBy) throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("iperf3", "python3", "slowhttptest");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-slowconn-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-slowconn");
        Path www = Files.createTempDirectory("xdpml-slowconn-www");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-slv"); NetworkNamespace outside = NetworkNamespace.create("xdpml-slo");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "rsw1", VICTIM, outside, "rsw0", List.of(ATTACKER, WEB, IPERF));
            victim.exec("ip", "link", "set", "lo", "up");
            Path config = dir.resolve("agent.yaml");
            Files.writeString(config, RealToolsConnFloodTest.exampleConfig("rsw1", dir));
            Files.writeString(www.resolve("index.html"), "hello\n");
            Files.writeString(dir.resolve("server.py"), SERVER);
            Files.writeString(dir.resolve("web.py"), RealToolsConnFloodTest.WEB_CLIENT);

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "rsw1", out, err, "run", "--config", config.toString(),
                    "--duration", "42", "--pin-dir", pins.toString(), "--quiet-status");

            RealTools.VictimTap tap = new RealTools.VictimTap(victim, "rsw1", IPERF); // iperf3 measures itself
            Process http = RealTools.start(victim, dir.resolve("http-server.txt"), "python3", dir.resolve("server.py").toString(), VICTIM, "80",
                    www.toString());
            Process iperfServer = RealTools.start(victim, dir.resolve("iperf3-server.txt"), "iperf3", "-s", "-p", "5201", "-1");
            Thread.sleep(1000);
            Process iperf = RealTools.start(outside, dir.resolve("iperf3.json"), "iperf3", "-c", VICTIM, "-B", IPERF, "-p", "5201", "-t", "34",
                    "-b", "50M", "-J");
            Process web = RealTools.start(outside, dir.resolve("web.txt"), "python3", dir.resolve("web.py").toString(), VICTIM, WEB, "34");
            Thread.sleep(1500);
            long attackStart = System.nanoTime();
            // 200 connections at 30/s, a follow-up (a header line, or a few bytes of the body) every 10 s (or 30), for 30 s; not at
            // 50/s: 100 in one 2 s window is connflood's floor, and connflood then blocked it first (CI, 2026-12-07); not at
            // 25/s: slowhttptest sends its follow-ups at ticks 10 s apart, and the 50 connections slowconn asks for, opened
            // in the first 2 s at 25/s, missed the first tick under load (a helper's runs, load 3-7: named 21-22 s in)
            Process attack = RealTools.start(outside, dir.resolve("slowhttptest.txt"), "slowhttptest", mode, "-c", "200", "-r", "30", "-i", String.valueOf(interval),
                    "-l", "30", "-s", "8192", "-u", "http://" + VICTIM + "/", "-p", "3");
            long detectedAt = 0;
            Pattern detected = Pattern.compile("DETECTED .*slowconn +" + Pattern.quote(ATTACKER));
            while (System.nanoTime() - attackStart < 28_000_000_000L && detectedAt == 0) {
                Thread.sleep(100);
                if (detected.matcher(out.toString()).find()) {
                    detectedAt = System.nanoTime();
                }
            }
            Thread.sleep(2000);
            String listed = RealTools.blocksList(pins);
            assertThat(attack.waitFor(60, TimeUnit.SECONDS)).as("slowhttptest ends").isTrue();
            long attackEnd = System.nanoTime();
            RealTools.awaitClients(web, iperf, iperfServer);
            Map<String, Object> firewall = stage(StatusReport.of("rsw1"), "firewall"); // the agent still runs (42 s)
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            http.destroy();
            tap.stop();
            String text = out.toString();
            String webOut = Files.readString(dir.resolve("web.txt"));
            long firstTen = tap.from(ATTACKER, attackStart, attackStart + 10_000_000_000L);
            long afterBlock = detectedAt == 0 ? -1 : tap.from(ATTACKER, detectedAt + 1_000_000_000L, attackEnd);
            double received = RealTools.iperf3Received(dir.resolve("iperf3.json"));
            String summary = name + ": detected " + (detectedAt == 0 ? "never" : String.format("%.1f s", (detectedAt - attackStart) / 1e9))
                    + " after the attack began; its packets at the victim: " + firstTen + " in its first 10 s, " + afterBlock
                    + " from 1 s after the detection to its end (" + String.format("%.1f s", (attackEnd - detectedAt) / 1e9) + "); web client "
                    + webOut.strip() + "; iperf3 " + Math.round(received / 1e6) + " Mbit/s of 50";
            Files.writeString(dir.resolve("run.txt"), text + "\n--- blocks\n" + listed + "\n--- firewall (xdpml status)\n" + firewall
                    + "\n--- " + summary + "\n");
            System.out.println("slowconn live: " + summary);

            // detected within seconds of its first follow-ups (10 s after its connections opened), blocked; nothing benign blocked
            assertThat(text).containsPattern(detected.pattern()).contains("BLOCKED " + ATTACKER)
                    .doesNotContain("BLOCKED " + WEB).doesNotContain("BLOCKED " + IPERF);
            assertThat(detectedAt - attackStart).as("detection after the attack began (ns)").isBetween(8_000_000_000L, detectedBy);
            assertThat(listed).as("xdpml blocks list during the run").contains(ATTACKER + "/32").doesNotContain(WEB).doesNotContain(IPERF);
            // the attack at the victim: its 200 connections (SYN, ACK, request) in its first 10 s, then nothing passes while it goes on
            // (its follow-ups and their retransmissions, its probe connections)
            assertThat(firstTen).as("attack packets at the victim in its first 10 s").isGreaterThanOrEqualTo(400);
            assertThat(afterBlock).as("attack packets at the victim from 1 s after the detection to its end").isBetween(0L, 2L);
            // the firewall dropped nothing: the attacker's packets fall at the blocks stage, before it, and no benign one falls
            // (a web client's SYN from a port it had used before, the old connection's entry left fin_wait on one NIC, was
            // drop_ct_invalid, its request lost, in about 1 of 3 runs until 2026-12-07: docs/detectors.md, slowconn)
            assertThat(firewall).as("the firewall stage (xdpml status)").containsEntry("dropped", 0L);
            // the web client: its requests answered (about 120 in 34 s), at most two lost (the losses seen were the above)
            Matcher w = Pattern.compile("ok (\\d+) failed (\\d+)").matcher(webOut);
            assertThat(w.find()).as(webOut).isTrue();
            assertThat(Integer.parseInt(w.group(1))).as("web client's answered requests").isGreaterThanOrEqualTo(70);
            assertThat(Integer.parseInt(w.group(2))).as("web client's failed requests: %s", webOut).isLessThanOrEqualTo(2);
            assertThat(received).as("iperf3 bits/s received (50 Mbit/s asked)").isGreaterThanOrEqualTo(45e6);
        } finally {
            Files.deleteIfExists(www.resolve("index.html"));
            Files.deleteIfExists(www);
            RealTools.keepOutputs(dir, "real-tools-slowconn-" + name);
        }
    }
}
