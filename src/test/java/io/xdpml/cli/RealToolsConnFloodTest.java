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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * An HTTP flood from one source, live, against {@code xdpml run} with the example configuration
 * ({@code config/xdpml.example.yaml} as shipped, but for its interface and output file): a victim
 * (10.71.0.2) serving HTTP ({@code python3 -m http.server}) and iperf3, an outside namespace
 * holding the flooder (10.71.0.1: a Python loop of new connections, each a GET read to its end, as
 * HULK and GoldenEye do), a benign web client (10.71.0.3: a new connection and a GET every 0.25 s)
 * and iperf3 (10.71.0.4, 50 Mbit/s TCP). What reaches the victim's stack is counted by a packet
 * socket on its interface (it sees what XDP passed).
 *
 * <p>Shown: connflood names the flooder, which is blocked (listed by {@code xdpml blocks list});
 * its SYNs at the victim fall to near zero while it keeps trying; the web client's requests are
 * answered (at most one lost), iperf3 keeps its rate, neither is blocked. Without connflood in the example's list no
 * detector blocks the flood (the revert check).
 */
class RealToolsConnFloodTest {
    static final String VICTIM = "10.71.0.2";
    static final String FLOODER = "10.71.0.1";
    static final String WEB = "10.71.0.3";
    static final String IPERF = "10.71.0.4";

    /** New connections with a GET each, one after another, for {@code seconds}; failures (blocked: the SYN unanswered) retried at once. */
    private static final String FLOOD = """
            import socket, sys, time
            dst, src, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
            start = time.time()
            end = start + seconds
            ok = failed = 0
            while time.time() < end:
                try:
                    s = socket.create_connection((dst, 80), timeout=0.3, source_address=(src, 0))
                    s.sendall(b"GET /?%d HTTP/1.1\\r\\nHost: victim\\r\\nConnection: close\\r\\n\\r\\n" % ok)
                    while s.recv(65536):
                        pass
                    s.close()
                    ok += 1
                except OSError:
                    failed += 1
            print("ok", ok, "failed", failed, "from", start, "to", time.time())
            """;

    /** A web client: a new connection and a GET every 0.25 s for {@code seconds}; prints the successes (RealToolsSlowConnTest's too). */
    static final String WEB_CLIENT = """
            import socket, sys, time
            dst, src, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
            end = time.time() + seconds
            ok = failed = 0
            while time.time() < end:
                try:
                    s = socket.create_connection((dst, 80), timeout=2, source_address=(src, 0))
                    s.sendall(b"GET / HTTP/1.1\\r\\nHost: victim\\r\\nConnection: close\\r\\n\\r\\n")
                    data = b""
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    s.close()
                    if data.startswith(b"HTTP/1.0 200") or data.startswith(b"HTTP/1.1 200"):
                        ok += 1
                    else:
                        failed += 1
                        print("failed at", time.time(), "answer", data[:40])
                except OSError as e:
                    failed += 1
                    print("failed at", time.time(), repr(e))
                time.sleep(0.25)
            print("ok", ok, "failed", failed)
            """;

    /** The example configuration with {@code iface} as its interface, its model's path absolute, the JSON output into {@code dir}. */
    static String exampleConfig(String iface, Path dir) throws Exception {
        String text = Files.readString(Path.of("config/xdpml.example.yaml"));
        String replaced = text.replaceFirst("(?m)^interfaces:\\n(  - .*\\n)+", "interfaces: [" + iface + "]\n")
                .replace("file: ../models/", "file: " + Path.of("models").toAbsolutePath() + "/")
                .replace("json: /var/log/xdpml/detections.jsonl", "json: " + dir.resolve("detections.jsonl"));
        assertThat(replaced).as("the example's interfaces, model and output replaced").contains("interfaces: [" + iface + "]")
                .doesNotContain("../models/").doesNotContain("/var/log/xdpml/detections.jsonl");
        return replaced;
    }

    @Test
    void anHttpFloodFromOneSourceIsBlockedWhileAWebClientAndIperf3GoOn() throws Exception {
        TestData.assumeBpf();
        RealTools.requireTools("iperf3", "python3");
        Path pins = Path.of("/sys/fs/bpf/xdpml-test-connflood-" + ProcessHandle.current().pid());
        Path dir = Files.createTempDirectory("xdpml-connflood");
        Path www = Files.createTempDirectory("xdpml-connflood-www");
        try (NetworkNamespace victim = NetworkNamespace.create("xdpml-cfv"); NetworkNamespace outside = NetworkNamespace.create("xdpml-cfo");
             AutoCloseable cleanPins = () -> BpfFs.removeRecursively(pins)) {
            RealTools.link(victim, "rcf1", VICTIM, outside, "rcf0", List.of(FLOODER, WEB, IPERF));
            victim.exec("ip", "link", "set", "lo", "up");
            Path config = dir.resolve("agent.yaml");
            Files.writeString(config, exampleConfig("rcf1", dir));
            Files.createDirectories(www);
            Files.writeString(www.resolve("index.html"), "hello\n");
            Files.writeString(dir.resolve("flood.py"), FLOOD);
            Files.writeString(dir.resolve("web.py"), WEB_CLIENT);

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CompletableFuture<Integer> run = RealTools.startAgent(victim, "rcf1", out, err, "run", "--config", config.toString(),
                    "--duration", "20", "--pin-dir", pins.toString(), "--quiet-status");

            RealTools.VictimTap tap = new RealTools.VictimTap(victim, "rcf1", IPERF); // iperf3 measures itself
            Process http = RealTools.start(victim, dir.resolve("http-server.txt"), "python3", "-m", "http.server", "80", "--bind", VICTIM,
                    "--directory", www.toString());
            Process iperfServer = RealTools.start(victim, dir.resolve("iperf3-server.txt"), "iperf3", "-s", "-p", "5201", "-1");
            Thread.sleep(1000);
            Process iperf = RealTools.start(outside, dir.resolve("iperf3.json"), "iperf3", "-c", VICTIM, "-B", IPERF, "-p", "5201", "-t", "14",
                    "-b", "50M", "-J");
            Process web = RealTools.start(outside, dir.resolve("web.txt"), "python3", dir.resolve("web.py").toString(), VICTIM, WEB, "14");
            Thread.sleep(1500);
            Process flood = RealTools.start(outside, dir.resolve("flood.txt"), "python3", dir.resolve("flood.py").toString(), VICTIM, FLOODER, "9");
            assertThat(flood.waitFor(30, TimeUnit.SECONDS)).as("flood ends").isTrue();
            long floodEnd = System.nanoTime();
            String listed = RealTools.blocksList(pins);
            RealTools.awaitClients(web, iperf, iperfServer);
            assertThat(run.get(60, TimeUnit.SECONDS)).as("exit code; stderr %s", err).isZero();
            http.destroy();
            tap.stop();
            String text = out.toString();
            String floodOut = Files.readString(dir.resolve("flood.txt"));
            String webOut = Files.readString(dir.resolve("web.txt"));
            List<Long> syns = tap.synsFrom(FLOODER);
            long first = syns.isEmpty() ? 0 : syns.getFirst();
            long firstSecond = syns.stream().filter(t -> t < first + 1_000_000_000L).count();
            long lastThree = syns.stream().filter(t -> t >= floodEnd - 3_000_000_000L).count();
            double received = RealTools.iperf3Received(dir.resolve("iperf3.json"));
            String summary = "flood " + floodOut.strip() + "; its SYNs at the victim: " + syns.size() + ", " + firstSecond + " in the first second, "
                    + lastThree + " in the last 3 s; web client " + webOut.strip() + "; iperf3 " + Math.round(received / 1e6) + " Mbit/s of 50";
            Files.writeString(dir.resolve("run.txt"), text + "\n--- blocks\n" + listed + "\n--- " + summary + "\n");
            System.out.println("connflood live: " + summary);

            // detected and blocked; nothing benign blocked
            assertThat(text).containsPattern("DETECTED .*connflood +" + Pattern.quote(FLOODER)).contains("BLOCKED " + FLOODER)
                    .doesNotContain("BLOCKED " + WEB).doesNotContain("BLOCKED " + IPERF);
            assertThat(listed).as("xdpml blocks list during the run").contains(FLOODER + "/32").doesNotContain(WEB).doesNotContain(IPERF);
            // the flood at the victim: its first 100 and more new connections (connflood's floor), then near zero while it
            // keeps trying (without connflood: 152 SYNs in its last 3 s)
            assertThat(firstSecond).as("flood SYNs at the victim in its first second").isGreaterThanOrEqualTo(100);
            assertThat(lastThree).as("flood SYNs at the victim in its last 3 s (first second: %d)", firstSecond).isLessThanOrEqualTo(2);
            Matcher f = Pattern.compile("ok (\\d+) failed (\\d+)").matcher(floodOut);
            assertThat(f.find()).as(floodOut).isTrue();
            assertThat(Integer.parseInt(f.group(2))).as("the flooder's attempts after the block (each timing out after 0.3 s)").isGreaterThan(10);
            // the web client: its requests answered (about 50 in 14 s); at most one lost to the flood before its block or to
            // the load of a shared machine (each failure printed with its time in target/real-tools-connflood/web.txt)
            Matcher w = Pattern.compile("ok (\\d+) failed (\\d+)").matcher(webOut);
            assertThat(w.find()).as(webOut).isTrue();
            assertThat(Integer.parseInt(w.group(1))).as("web client's answered requests").isGreaterThanOrEqualTo(30);
            assertThat(Integer.parseInt(w.group(2))).as("web client's failed requests: %s", webOut).isLessThanOrEqualTo(1);
            // iperf3 kept its rate
            assertThat(received).as("iperf3 bits/s received (50 Mbit/s asked)").isGreaterThanOrEqualTo(45e6);
        } finally {
            Files.deleteIfExists(www.resolve("index.html"));
            Files.deleteIfExists(www);
            RealTools.keepOutputs(dir, "real-tools-connflood");
        }
    }
}
